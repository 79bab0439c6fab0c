//! The local socket server: accepts shim and CLI connections on the per-user
//! socket and dispatches `erp_proto` methods to the [`CoreHandle`].
//!
//! Each connection: hello, one writer task, the in-flight table (cancel by
//! id), and dispatch of each request on its own task through the router.
//! Unix: the socket lives in a directory only this user can enter (0700), is
//! itself 0600, and every peer's uid is checked. One instance: a `flock` on
//! `erp-helper.lock` beside the socket; only a dead socket is ever unlinked.
//! Not here: MCP, Tauri.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use erp_proto::client::SharedStream;
use erp_proto::frame::FrameError;
use erp_proto::{ClientFrame, ClientInfo, ErrorCode, FrameCodec, Incoming, PROTOCOL_VERSION, RpcError, ServerFrame};
use futures::{SinkExt, StreamExt};
use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::{GenericFilePath, ListenerOptions};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use crate::clients::{ClientGuard, Peer};
use crate::core::CoreHandle;
use crate::router::{Call, ProgressSink, Router};

/// Requests one connection may have in flight at once.
const MAX_IN_FLIGHT: usize = 64;
/// Connections served at once (shims, CLI runs); one more is refused with a reason.
pub const MAX_CONNECTIONS: usize = 64;
/// Frames queued for one connection's writer. Replies wait for room; progress
/// that finds the queue full is dropped (a later progress frame supersedes it).
const OUT_QUEUE: usize = 256;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    /// Another instance answers on the socket.
    #[error("ERP Helper is already running (its socket {0} answers)")]
    AlreadyRunning(PathBuf),
    /// The socket's directory is not private.
    #[error("{0}")]
    UnsafeDirectory(String),
    /// Binding failed.
    #[error("could not open the socket {path}: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound socket, removed from disk when dropped, and the instance lock.
pub struct IpcListener {
    listener: Listener,
    path: PathBuf,
    _lock: std::fs::File,
}

impl Drop for IpcListener {
    fn drop(&mut self) {
        // Still holding the lock: the socket at the path is ours.
        let _ = std::fs::remove_file(&self.path);
    }
}

impl IpcListener {
    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Make sure the socket's directory is ours and private: created 0700 in one
/// step when missing (no window where it is more open); an existing one must
/// be a real directory (not a link), ours, and closed to everyone else.
#[cfg(unix)]
fn prepare_dir(dir: &Path) -> Result<(), IpcError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let io = |source| IpcError::Io { path: dir.to_path_buf(), source };
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(io)?;
    let unsafe_dir = |why: &str| {
        IpcError::UnsafeDirectory(format!(
            "the socket directory {} {why}; remove it, or set ERP_HELPER_SOCKET to a path in a private directory",
            dir.display()
        ))
    };
    if !meta.file_type().is_dir() {
        return Err(unsafe_dir("is not a directory (a symbolic link?)"));
    }
    if meta.uid() != erp_proto::socket::current_uid() {
        return Err(unsafe_dir(&format!("belongs to another user (uid {})", meta.uid())));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(unsafe_dir(&format!("is open to other users (mode {:o})", meta.mode() & 0o777)));
    }
    Ok(())
}

/// Bind with a umask that keeps the new socket closed to others from its first
/// moment (chmod 0600 follows).
#[cfg(unix)]
fn with_private_umask<T>(bind: impl FnOnce() -> T) -> T {
    #[allow(unsafe_code)]
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    // Another thread creating a file meanwhile gets a stricter mask, never a looser one.
    let old = unsafe { libc::umask(0o077) };
    let out = bind();
    #[allow(unsafe_code)]
    // SAFETY: as above; this restores the previous mask.
    unsafe {
        libc::umask(old)
    };
    out
}

#[cfg(not(unix))]
fn with_private_umask<T>(bind: impl FnOnce() -> T) -> T {
    bind()
}

#[cfg(not(unix))]
fn prepare_dir(_: &Path) -> Result<(), IpcError> {
    Ok(())
}

/// Take the single-instance lock beside the socket (`erp-helper.lock`): held
/// by the bound listener for as long as it lives, released by the OS if the app
/// dies, so a crashed instance never blocks the next one.
fn take_lock(path: &Path) -> Result<std::fs::File, IpcError> {
    let lock_path = path.with_extension("lock");
    let io = |source| IpcError::Io { path: lock_path.clone(), source };
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = opts.open(&lock_path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(IpcError::AlreadyRunning(path.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Bind the socket at `path` (see the module doc for the rules): the lock
/// first; then a leftover socket of a dead instance is removed, but never a
/// socket that answers and never anything that is not a socket.
pub async fn bind(path: &Path) -> Result<IpcListener, IpcError> {
    let io = |source| IpcError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        prepare_dir(dir)?;
    }
    let lock = take_lock(path)?;
    let name = path.to_fs_name::<GenericFilePath>().map_err(io)?;
    #[cfg(unix)]
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !meta.file_type().is_socket() {
            return Err(IpcError::UnsafeDirectory(format!(
                "{} exists and is not a socket; ERP Helper will not replace it. Move it away, or set \
                 ERP_HELPER_SOCKET to another path",
                path.display()
            )));
        }
        // An instance without the lock (an older version) may still serve it.
        if Stream::connect(name.clone()).await.is_ok() {
            return Err(IpcError::AlreadyRunning(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(io)?;
    }
    let listener = with_private_umask(|| ListenerOptions::new().name(name).create_tokio()).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(IpcListener { listener, path: path.to_path_buf(), _lock: lock })
}

/// Accept connections until `shutdown` fires; every request goes through the
/// app's [`Router`] (built once here).
pub async fn serve(listener: IpcListener, core: CoreHandle, shutdown: CancellationToken) {
    tracing::info!(socket = %listener.path.display(), "listening");
    let router = Arc::new(crate::tools::router());
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        let conn = tokio::select! {
            () = shutdown.cancelled() => break,
            c = listener.listener.accept() => c,
        };
        match conn {
            Ok(stream) => {
                if !peer_is_us(&stream) {
                    continue;
                }
                let peer = peer_of(&stream);
                let Some(slot) = ConnectionSlot::take(&open) else {
                    tokio::spawn(refuse_busy(stream));
                    continue;
                };
                let (core, router, stop) = (core.clone(), router.clone(), shutdown.child_token());
                tokio::spawn(async move {
                    connection(stream, peer, core, router, stop).await;
                    drop(slot);
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    tracing::info!("socket server stopped");
}

#[cfg(unix)]
fn peer_is_us(stream: &Stream) -> bool {
    match stream.peer_creds().map(|c| c.euid()) {
        Ok(Some(uid)) if uid == erp_proto::socket::current_uid() => true,
        Ok(uid) => {
            tracing::warn!(?uid, "refused a connection from another user");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "refused a connection whose peer cannot be identified");
            false
        }
    }
}

/// The process at the other end, from the socket's credentials.
#[cfg(unix)]
fn peer_of(stream: &Stream) -> Peer {
    let pid = stream.peer_creds().ok().and_then(|c| c.pid()).and_then(|p| u32::try_from(p).ok());
    Peer::of_pid(pid)
}

#[cfg(not(unix))]
fn peer_of(_: &Stream) -> Peer {
    Peer::default()
}

#[cfg(not(unix))]
fn peer_is_us(_: &Stream) -> bool {
    // The named pipe's default ACL admits only this user and administrators.
    true
}

/// One of [`MAX_CONNECTIONS`], given back when dropped.
struct ConnectionSlot(Arc<std::sync::atomic::AtomicUsize>);

impl ConnectionSlot {
    fn take(open: &Arc<std::sync::atomic::AtomicUsize>) -> Option<Self> {
        use std::sync::atomic::Ordering;
        let taken = open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < MAX_CONNECTIONS).then_some(n + 1));
        taken.is_ok().then(|| Self(open.clone()))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Say why a connection over the cap is closed, then close it.
async fn refuse_busy(stream: Stream) {
    tracing::warn!(max = MAX_CONNECTIONS, "refused a connection: too many open");
    let (_, tx) = SharedStream::halves(stream);
    let mut writer = FramedWrite::new(tx, Codec::default());
    let error = RpcError::new(
        ErrorCode::Internal,
        format!("ERP Helper already serves {MAX_CONNECTIONS} connections; close some editor windows, then try again."),
    );
    let _ = writer.send(ServerFrame::Error { error }).await;
}

type Codec = FrameCodec<Incoming, ServerFrame>;
/// A frame to write, with an optional "it is written" acknowledgement.
type Outgoing = (ServerFrame, Option<oneshot::Sender<()>>);
type Writer = mpsc::Sender<Outgoing>;

/// Hello: the client's hello must come first and speak our protocol; answer it.
async fn hello(
    reader: &mut FramedRead<SharedStream, Codec>,
    writer: &mut FramedWrite<SharedStream, Codec>,
    api: &url::Url,
    shut_out: bool,
) -> Option<ClientInfo> {
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), reader.next()).await;
    let refusal = match first {
        Ok(Some(Ok(Incoming::Frame(ClientFrame::Hello { protocol, client })))) if protocol == PROTOCOL_VERSION => {
            match client.erp_api.as_deref() {
                _ if shut_out => disconnected(&client),
                Some(theirs) if !same_erp(theirs, api) => other_erp(theirs, api),
                _ => {
                    let mine =
                        ServerFrame::Hello { protocol: PROTOCOL_VERSION, app_version: crate::APP_VERSION.into() };
                    return writer.send(mine).await.is_ok().then_some(client);
                }
            }
        }
        Ok(Some(Ok(Incoming::Frame(ClientFrame::Hello { protocol, .. })))) => {
            erp_proto::client::version_mismatch(protocol, PROTOCOL_VERSION, crate::APP_VERSION)
        }
        Ok(Some(Ok(_))) | Ok(Some(Err(_))) => {
            RpcError::new(ErrorCode::InvalidParams, "the first frame must be a hello")
        }
        Ok(None) | Err(_) => return None,
    };
    let _ = writer.send(ServerFrame::Error { error: refusal }).await;
    None
}

/// The refusal for a process the user disconnected.
fn disconnected(client: &ClientInfo) -> RpcError {
    let who = client.mcp_client.as_deref().map(erp_proto::hosts::display_name).unwrap_or_else(|| client.name.clone());
    RpcError::new(
        ErrorCode::NotAuthorized,
        format!(
            "ERP Helper's user disconnected {who} from the app (Connected apps → Disconnect). Restart {who}'s ERP \
             server (or {who}) to connect it again."
        ),
    )
}

/// Whether a client's ERP (as it was configured, unparsed) is the app's.
fn same_erp(theirs: &str, api: &url::Url) -> bool {
    crate::config::parse_api_base(theirs).is_ok_and(|t| &t == api)
}

fn other_erp(theirs: &str, api: &url::Url) -> RpcError {
    let theirs: String = theirs.chars().filter(|c| !c.is_control()).take(200).collect();
    RpcError::new(
        ErrorCode::OtherErp,
        format!(
            "This MCP server is set up for the ERP at {theirs} (ERP_API_BASE_URL in your editor's MCP settings), but the \
             ERP Helper app serves {api}. Remove ERP_API_BASE_URL from the editor's settings, or change the app's ERP \
             with `erp-helper settings set erp_api_base_url URL`."
        ),
    )
}

/// Writer: one task owns the write half, so frames never interleave. A reply
/// too large for a frame becomes an error reply for that id (nothing of it was
/// written: the size is checked before a byte goes out); the connection lives on.
fn spawn_writer(mut writer: FramedWrite<SharedStream, Codec>) -> (Writer, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Outgoing>(OUT_QUEUE);
    let task = tokio::spawn(async move {
        while let Some((frame, written)) = rx.recv().await {
            let id = frame.response_id();
            let sent = match (writer.send(frame).await, id) {
                (Err(FrameError::TooLarge), Some(id)) => {
                    tracing::warn!(id, "a reply was too large for a frame; sent an error instead");
                    writer.send(ServerFrame::err(id, too_large())).await
                }
                (Err(FrameError::TooLarge), None) => Ok(()),
                (other, _) => other,
            };
            if sent.is_err() {
                break;
            }
            if let Some(ack) = written {
                let _ = ack.send(());
            }
        }
    });
    (tx, task)
}

fn too_large() -> RpcError {
    RpcError::new(
        ErrorCode::ErpError,
        format!(
            "The answer is larger than ERP Helper passes on ({} MiB). Ask for less at once (a shorter range, or \
             one week).",
            erp_proto::MAX_FRAME_BYTES / (1024 * 1024)
        ),
    )
}

/// In-flight: the requests of one connection, each with its cancel token.
#[derive(Clone, Default)]
struct InFlight(Arc<Mutex<HashMap<u64, CancellationToken>>>);

impl InFlight {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, CancellationToken>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admit request `id`, or say why not.
    fn admit(&self, id: u64, cancel: &CancellationToken) -> Result<(), &'static str> {
        let mut map = self.map();
        if map.contains_key(&id) {
            return Err("request id already in use");
        }
        if map.len() >= MAX_IN_FLIGHT {
            return Err("too many requests at once");
        }
        map.insert(id, cancel.clone());
        Ok(())
    }

    fn cancel(&self, id: u64) {
        if let Some(token) = self.map().get(&id) {
            token.cancel();
        }
    }

    fn done(&self, id: u64) {
        self.map().remove(&id);
    }

    fn cancel_all(&self) {
        self.map().values().for_each(CancellationToken::cancel);
    }
}

/// One connection's state for dispatching its requests.
struct Conn {
    core: CoreHandle,
    router: Arc<Router>,
    client: Mutex<ClientInfo>,
    guard: ClientGuard,
    out: Writer,
    in_flight: InFlight,
    shutdown: CancellationToken,
}

impl Conn {
    /// Dispatch: run one request on its own task; its progress and answer go
    /// to the writer; after-reply work runs once the answer is written.
    async fn request(
        &self,
        id: u64,
        method: String,
        params: serde_json::Value,
        update: Option<ClientInfo>,
        repeat: bool,
    ) {
        let cancel = self.shutdown.child_token();
        if let Err(why) = self.in_flight.admit(id, &cancel) {
            let _ = self.out.send((ServerFrame::err(id, RpcError::new(ErrorCode::InvalidParams, why)), None)).await;
            return;
        }
        self.guard.called();
        let caller = {
            let mut client = self.client.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(info) = update {
                self.guard.update(&info);
                *client = info;
            }
            client.clone()
        };
        let progress_out = self.out.clone();
        let progress: ProgressSink = Arc::new(move |progress, total, message| {
            let frame = ServerFrame::Progress { id, progress, total, message: Some(message) };
            let _ = progress_out.try_send((frame, None));
        });
        let call = Call::new(self.core.clone(), caller, progress, cancel).repeated(repeat);
        let (router, out, in_flight) = (self.router.clone(), self.out.clone(), self.in_flight.clone());
        tokio::spawn(async move {
            let reply = router.dispatch(call, &method, params).await;
            in_flight.done(id);
            let frame = match reply.result {
                Ok(v) => ServerFrame::ok(id, v),
                Err(e) => ServerFrame::err(id, e),
            };
            match reply.after_reply {
                Some(then) => {
                    let (written, done) = oneshot::channel();
                    let _ = out.send((frame, Some(written))).await;
                    let _ = done.await;
                    then();
                }
                None => {
                    let _ = out.send((frame, None)).await;
                }
            }
        });
    }
}

async fn connection(stream: Stream, peer: Peer, core: CoreHandle, router: Arc<Router>, shutdown: CancellationToken) {
    let (rx, tx) = SharedStream::halves(stream);
    let mut reader = FramedRead::new(rx, Codec::default());
    let mut writer = FramedWrite::new(tx, Codec::default());
    let shut_out = core.clients().is_shut_out(&peer);
    let Some(client) = hello(&mut reader, &mut writer, &core.config().api_base, shut_out).await else { return };
    tracing::debug!(client = %client.name, mcp_client = ?client.mcp_client, pid = ?peer.pid, "client connected");
    let guard = core.clients().register(client.clone(), peer);
    let ended = guard.ended();
    let (out, writer_task) = spawn_writer(writer);
    let conn = Conn { core, router, client: Mutex::new(client), guard, out, in_flight: InFlight::default(), shutdown };
    tokio::pin!(ended);
    loop {
        let frame = tokio::select! {
            () = conn.shutdown.cancelled() => break,
            () = &mut ended => break,
            f = reader.next() => f,
        };
        match frame {
            None => break,
            Some(Err(e)) => {
                // Oversized, or not JSON at all: say so, then drop the connection
                // (past such a line the stream cannot be trusted to be in step).
                let error = RpcError::new(ErrorCode::InvalidParams, format!("bad frame: {e}"));
                let _ = conn.out.send((ServerFrame::Error { error }, None)).await;
                break;
            }
            Some(Ok(Incoming::Unknown { id, why })) => {
                // A frame kind this app does not know: answered, the connection kept.
                let error = RpcError::new(ErrorCode::InvalidParams, format!("unknown frame: {why}"));
                let _ = conn.out.send((ServerFrame::err(id.unwrap_or(0), error), None)).await;
            }
            Some(Ok(Incoming::Frame(ClientFrame::Hello { .. }))) => {
                let frame = ServerFrame::err(0, RpcError::new(ErrorCode::InvalidParams, "hello was already sent"));
                let _ = conn.out.send((frame, None)).await;
            }
            Some(Ok(Incoming::Frame(ClientFrame::Cancel { id }))) => conn.in_flight.cancel(id),
            Some(Ok(Incoming::Frame(ClientFrame::Request { id, method, params, client, repeat }))) => {
                conn.request(id, method, params, client, repeat).await
            }
        }
    }
    // The client is gone: stop its work.
    conn.in_flight.cancel_all();
    let Conn { out, guard, .. } = conn;
    drop(out);
    let _ = writer_task.await;
    drop(guard);
}
