//! The socket client: connect, say hello, then make calls that may run
//! concurrently on the one connection. Used by the shim and by the CLI verbs.
//! Not here: reconnecting or starting the app (the shim decides that).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::{Fuse, FusedFuture, FutureExt};
use futures::{SinkExt, StreamExt};
use interprocess::local_socket::GenericFilePath;
use interprocess::local_socket::tokio::Stream;
use interprocess::local_socket::tokio::prelude::*;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, watch};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::Method;
use crate::{ClientFrame, ClientInfo, ErrorCode, FrameCodec, PROTOCOL_VERSION, RpcError, ServerFrame};

/// One end of a local-socket connection, shareable between a reader and a
/// writer task (`&Stream` reads and writes; dropping both ends closes it).
#[derive(Clone)]
pub struct SharedStream(Arc<Stream>);

impl SharedStream {
    /// Two handles on one stream: one to read, one to write.
    pub fn halves(stream: Stream) -> (Self, Self) {
        let s = Self(Arc::new(stream));
        (s.clone(), s)
    }
}

impl AsyncRead for SharedStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut &*self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut &*self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut &*self.0).poll_shutdown(cx)
    }
}

/// Why a connection or a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket (the app is not running). The one
    /// sentence every client (CLI, doctor, shim) gives for it.
    #[error(
        "the ERP Helper app is not running (nothing answers at {0}); start ERP Helper from your applications menu, \
         or run `erp-helper --headless`"
    )]
    NotRunning(String),
    /// The socket (or the process behind it) is not this user's: nothing was
    /// sent to it, not even the hello.
    #[error(
        "the socket {path} is {what}, not yours: something else may be pretending to be ERP Helper, so nothing was \
         sent to it. Remove it, or point ERP_HELPER_SOCKET (or XDG_RUNTIME_DIR) at a directory only you can use, \
         then start ERP Helper again"
    )]
    NotOurs {
        /// The socket path.
        path: String,
        /// What was found, e.g. `owned by uid 1001` or `a symbolic link`.
        what: String,
    },
    /// The socket exists but talking to it failed.
    #[error("could not talk to the ERP Helper app: {0}")]
    Io(#[from] std::io::Error),
    /// The app closed the connection (it quit or restarted).
    #[error("the ERP Helper app closed the connection")]
    Disconnected,
    /// The call was cancelled and the app did not confirm it within
    /// [`CANCEL_WAIT`]; it may still finish on the app's side.
    #[error("the call was cancelled; the ERP Helper app did not confirm within 5 s, so it may still complete")]
    CancelUnanswered,
    /// The app answered with an error.
    #[error("{0}")]
    Rpc(RpcError),
    /// The app's answer could not be read as the expected type.
    #[error("unexpected answer from the ERP Helper app: {0}")]
    Decode(String),
}

/// Progress reported by the app for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Work done.
    pub progress: f64,
    /// Total work, when known.
    pub total: Option<f64>,
    /// A short line.
    pub message: Option<String>,
}

enum Event {
    Progress(Progress),
    Done(Result<Value, RpcError>),
}

/// The calls waiting for an answer, and whether any more may wait. One lock
/// for both: a call is either registered before the reader ends (and then
/// woken by it) or refused, never stranded between "reader gone" and "closed".
#[derive(Default)]
struct Waiting {
    ended: bool,
    calls: HashMap<u64, mpsc::UnboundedSender<Event>>,
}

type Pending = Arc<Mutex<Waiting>>;

/// How long a cancelled call waits for the app to confirm before giving up
/// on it (the app may be hung; the caller must not be).
pub const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn lock(p: &Pending) -> std::sync::MutexGuard<'_, Waiting> {
    p.lock().unwrap_or_else(|p| p.into_inner())
}

/// A connection to the app. Cheap to share behind an `Arc`; calls run concurrently.
pub struct Connection {
    out: mpsc::UnboundedSender<ClientFrame>,
    pending: Pending,
    next_id: AtomicU64,
    closed: watch::Receiver<bool>,
    app_version: String,
}

impl Connection {
    /// Connect to the socket at `path`, check that it and the process behind it
    /// are this user's (before a single byte is sent), and exchange hellos.
    pub async fn connect(path: &Path, client: ClientInfo) -> Result<Self, ClientError> {
        check_socket_file(path)?;
        let name = path.to_fs_name::<GenericFilePath>()?;
        let stream = match Stream::connect(name).await {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
                return Err(ClientError::NotRunning(path.display().to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        check_peer(&stream, path)?;
        let (rx, tx) = SharedStream::halves(stream);
        let mut reader = FramedRead::new(rx, FrameCodec::<ServerFrame, ClientFrame>::default());
        let mut writer = FramedWrite::new(tx, FrameCodec::<ServerFrame, ClientFrame>::default());
        writer.send(ClientFrame::Hello { protocol: PROTOCOL_VERSION, client }).await.map_err(hello_failed)?;
        let app_version = match reader.next().await {
            Some(Ok(ServerFrame::Hello { protocol, app_version })) if protocol == PROTOCOL_VERSION => app_version,
            Some(Ok(ServerFrame::Hello { protocol, app_version })) => {
                return Err(ClientError::Rpc(version_mismatch(PROTOCOL_VERSION, protocol, &app_version)));
            }
            Some(Ok(ServerFrame::Error { error })) => return Err(ClientError::Rpc(error)),
            Some(Ok(other)) => return Err(ClientError::Decode(format!("expected hello, got {other:?}"))),
            Some(Err(e)) => return Err(hello_failed(e)),
            None => return Err(ClientError::Disconnected),
        };

        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<ClientFrame>();
        let pending: Pending = Arc::default();
        let (closed_tx, closed_rx) = watch::channel(false);
        let closed_tx = Arc::new(closed_tx);
        let writer_closed = closed_tx.clone();
        tokio::spawn(async move {
            while let Some(frame) = out_rx.recv().await {
                if writer.send(frame).await.is_err() {
                    break;
                }
            }
            let _ = writer_closed.send(true);
        });
        let reader_pending = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = reader.next().await {
                let (id, event) = match frame {
                    ServerFrame::Progress { id, progress, total, message } => {
                        (id, Event::Progress(Progress { progress, total, message }))
                    }
                    ServerFrame::Response { id, result, error } => {
                        let done = match (result, error) {
                            (_, Some(e)) => Err(e),
                            (Some(v), None) => Ok(v),
                            (None, None) => Ok(Value::Null),
                        };
                        (id, Event::Done(done))
                    }
                    ServerFrame::Error { .. } | ServerFrame::Hello { .. } => break,
                };
                let tx = {
                    let calls = &mut lock(&reader_pending).calls;
                    if matches!(event, Event::Done(_)) { calls.remove(&id) } else { calls.get(&id).cloned() }
                };
                if let Some(tx) = tx {
                    let _ = tx.send(event);
                }
            }
            // Wake every caller still waiting (their answers will never come)
            // and refuse new ones, in one step.
            let _ = closed_tx.send(true);
            let mut waiting = lock(&reader_pending);
            waiting.ended = true;
            waiting.calls.clear();
        });
        Ok(Self { out: out_tx, pending, next_id: AtomicU64::new(1), closed: closed_rx, app_version })
    }

    /// The app's version, from its hello.
    pub fn app_version(&self) -> &str {
        &self.app_version
    }

    /// Whether the app has closed this connection.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Call `method` with raw JSON params. `on_progress` sees each progress frame;
    /// when `cancel` fires, a cancel frame is sent and the app's answer awaited.
    pub async fn call_raw(
        &self,
        method: &str,
        params: Value,
        client: Option<ClientInfo>,
        on_progress: impl FnMut(Progress),
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Value, ClientError> {
        self.call_again(method, params, client, false, on_progress, cancel).await
    }

    /// [`Self::call_raw`], saying whether this is a `repeat` of a call whose
    /// answer was lost (see [`ClientFrame::Request`]).
    pub async fn call_again(
        &self,
        method: &str,
        params: Value,
        client: Option<ClientInfo>,
        repeat: bool,
        mut on_progress: impl FnMut(Progress),
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, mut rx) = mpsc::unbounded_channel();
        {
            let mut waiting = lock(&self.pending);
            if waiting.ended {
                return Err(ClientError::Disconnected);
            }
            waiting.calls.insert(id, tx);
        }
        let sent = self.out.send(ClientFrame::Request { id, method: method.to_string(), params, client, repeat });
        if sent.is_err() {
            lock(&self.pending).calls.remove(&id);
            return Err(ClientError::Disconnected);
        }
        let mut cancel = std::pin::pin!(cancel);
        let mut given_up = std::pin::pin!(Fuse::<tokio::time::Sleep>::terminated());
        loop {
            tokio::select! {
                // An answer that came before the reader ended is still delivered:
                // the channel is drained before it reports closed.
                event = rx.recv() => match event {
                    Some(Event::Progress(p)) => on_progress(p),
                    Some(Event::Done(r)) => return r.map_err(ClientError::Rpc),
                    None => return Err(ClientError::Disconnected),
                },
                () = &mut cancel, if given_up.is_terminated() => {
                    let _ = self.out.send(ClientFrame::Cancel { id });
                    given_up.set(tokio::time::sleep(CANCEL_WAIT).fuse());
                }
                () = &mut given_up => {
                    lock(&self.pending).calls.remove(&id);
                    return Err(ClientError::CancelUnanswered);
                }
            }
        }
    }

    /// Call a typed method and wait for its output.
    pub async fn call<M: Method>(&self, args: &M::Args) -> Result<M::Output, ClientError> {
        let params = serde_json::to_value(args).map_err(|e| ClientError::Decode(e.to_string()))?;
        let value = self.call_raw(M::NAME, params, None, |_| {}, std::future::pending()).await?;
        serde_json::from_value(value).map_err(|e| ClientError::Decode(e.to_string()))
    }
}

/// A hello that failed: the socket going away under it (an app that is
/// quitting or was killed) is a disconnect, to be met like no app at all;
/// anything else is a bad answer.
fn hello_failed(e: crate::frame::FrameError) -> ClientError {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    match e {
        crate::frame::FrameError::Io(io)
            if matches!(io.kind(), BrokenPipe | ConnectionAborted | ConnectionReset | UnexpectedEof) =>
        {
            ClientError::Disconnected
        }
        other => ClientError::Decode(other.to_string()),
    }
}

fn not_ours(path: &Path, what: impl Into<String>) -> ClientError {
    ClientError::NotOurs { path: path.display().to_string(), what: what.into() }
}

/// The socket file and its directory must be this user's, and not links.
#[cfg(unix)]
fn check_socket_file(path: &Path) -> Result<(), ClientError> {
    use std::os::unix::fs::MetadataExt;
    let me = crate::socket::current_uid();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ClientError::NotRunning(path.display().to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    if meta.file_type().is_symlink() {
        return Err(not_ours(path, "a symbolic link"));
    }
    if meta.uid() != me {
        return Err(not_ours(path, format!("owned by uid {}", meta.uid())));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let d = std::fs::symlink_metadata(dir)?;
        if d.uid() != me || d.mode() & 0o022 != 0 {
            return Err(not_ours(path, format!("in {}, which other users can change", dir.display())));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_socket_file(_: &Path) -> Result<(), ClientError> {
    Ok(())
}

/// The process listening must run as this user.
#[cfg(unix)]
fn check_peer(stream: &Stream, path: &Path) -> Result<(), ClientError> {
    match stream.peer_creds()?.euid() {
        Some(uid) if uid == crate::socket::current_uid() => Ok(()),
        Some(uid) => Err(not_ours(path, format!("served by a process of uid {uid}"))),
        None => Err(not_ours(path, "served by a process that cannot be identified")),
    }
}

#[cfg(not(unix))]
fn check_peer(_: &Stream, _: &Path) -> Result<(), ClientError> {
    // The named pipe's default ACL admits only this user and administrators.
    Ok(())
}

/// The error both sides give when protocol versions differ: it says which side to update.
pub fn version_mismatch(client: u32, app: u32, app_version: &str) -> RpcError {
    let message = if client > app {
        format!(
            "erp-mcp speaks protocol {client} but the ERP Helper app (version {app_version}) speaks {app}; update the ERP Helper app."
        )
    } else {
        format!(
            "erp-mcp speaks protocol {client} but the ERP Helper app (version {app_version}) speaks {app}; update erp-mcp."
        )
    };
    RpcError::new(ErrorCode::VersionMismatch, message)
}
