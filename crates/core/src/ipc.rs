//! The local socket server: accepts shim and CLI connections on the per-user
//! socket and dispatches `erp_proto` methods to the [`CoreHandle`].
//!
//! Unix: the socket lives in a directory only this user can enter (0700), is
//! itself 0600, and every peer's uid is checked. A live socket at the path
//! means another instance runs (the socket doubles as the single-instance lock);
//! a dead one is replaced. Not here: MCP, Tauri.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use erp_proto::client::SharedStream;
use erp_proto::{ClientFrame, ClientInfo, ErrorCode, FrameCodec, PROTOCOL_VERSION, RpcError, ServerFrame};
use futures::{SinkExt, StreamExt};
use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::{GenericFilePath, ListenerOptions};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use crate::core::CoreHandle;

/// Requests one connection may have in flight at once.
const MAX_IN_FLIGHT: usize = 64;

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

/// A bound socket, removed from disk when dropped.
pub struct IpcListener {
    listener: Listener,
    path: PathBuf,
}

impl IpcListener {
    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Make sure the socket's directory is ours and private; create it 0700 if missing.
#[cfg(unix)]
fn prepare_dir(dir: &Path) -> Result<(), IpcError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let io = |source| IpcError::Io { path: dir.to_path_buf(), source };
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    let meta = std::fs::metadata(dir).map_err(io)?;
    if meta.uid() != erp_proto::socket::current_uid() {
        return Err(IpcError::UnsafeDirectory(format!(
            "the socket directory {} belongs to another user",
            dir.display()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(IpcError::UnsafeDirectory(format!(
            "the socket directory {} is writable by other users; use a private directory (ERP_HELPER_SOCKET)",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn prepare_dir(_: &Path) -> Result<(), IpcError> {
    Ok(())
}

/// Bind the socket at `path` (see the module doc for the rules).
pub async fn bind(path: &Path) -> Result<IpcListener, IpcError> {
    let io = |source| IpcError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        prepare_dir(dir)?;
    }
    let name = path.to_fs_name::<GenericFilePath>().map_err(io)?;
    if Stream::connect(name.clone()).await.is_ok() {
        return Err(IpcError::AlreadyRunning(path.to_path_buf()));
    }
    #[cfg(unix)]
    {
        // Nothing answered: whatever is there is a dead socket from a crashed instance.
        let _ = std::fs::remove_file(path);
    }
    let listener = ListenerOptions::new().name(name).reclaim_name(true).create_tokio().map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(IpcListener { listener, path: path.to_path_buf() })
}

/// Accept connections until `shutdown` fires.
pub async fn serve(listener: IpcListener, core: CoreHandle, shutdown: CancellationToken) {
    tracing::info!(socket = %listener.path.display(), "listening");
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
                tokio::spawn(connection(stream, core.clone(), shutdown.child_token()));
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

#[cfg(not(unix))]
fn peer_is_us(_: &Stream) -> bool {
    // The named pipe's default ACL admits only this user and administrators.
    true
}

async fn connection(stream: Stream, core: CoreHandle, shutdown: CancellationToken) {
    let (rx, tx) = SharedStream::halves(stream);
    let mut reader = FramedRead::new(rx, FrameCodec::<ClientFrame, ServerFrame>::default());
    let mut writer = FramedWrite::new(tx, FrameCodec::<ClientFrame, ServerFrame>::default());

    let hello = tokio::time::timeout(std::time::Duration::from_secs(10), reader.next()).await;
    let client = match hello {
        Ok(Some(Ok(ClientFrame::Hello { protocol, client }))) if protocol == PROTOCOL_VERSION => client,
        Ok(Some(Ok(ClientFrame::Hello { protocol, .. }))) => {
            let error = erp_proto::client::version_mismatch(protocol, PROTOCOL_VERSION, crate::APP_VERSION);
            let _ = writer.send(ServerFrame::Error { error }).await;
            return;
        }
        Ok(Some(Ok(_))) | Ok(Some(Err(_))) => {
            let error = RpcError::new(ErrorCode::InvalidParams, "the first frame must be a hello");
            let _ = writer.send(ServerFrame::Error { error }).await;
            return;
        }
        Ok(None) | Err(_) => return,
    };
    if writer
        .send(ServerFrame::Hello { protocol: PROTOCOL_VERSION, app_version: crate::APP_VERSION.into() })
        .await
        .is_err()
    {
        return;
    }
    tracing::debug!(client = %client.name, mcp_client = ?client.mcp_client, "client connected");
    let guard = core.register_client(client.clone());
    let client = Arc::new(Mutex::new(client));

    // Frames to write, each with an optional "written" acknowledgement.
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<(ServerFrame, Option<oneshot::Sender<()>>)>();
    let writer_task = tokio::spawn(async move {
        while let Some((frame, written)) = out_rx.recv().await {
            if writer.send(frame).await.is_err() {
                break;
            }
            if let Some(ack) = written {
                let _ = ack.send(());
            }
        }
    });
    let in_flight: Arc<Mutex<HashMap<u64, CancellationToken>>> = Arc::default();

    loop {
        let frame = tokio::select! {
            () = shutdown.cancelled() => break,
            f = reader.next() => f,
        };
        let frame = match frame {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                // Oversized or malformed: say so, then drop the connection (the
                // stream position is lost after an oversized line).
                let error = RpcError::new(ErrorCode::InvalidParams, format!("bad frame: {e}"));
                let _ = out_tx.send((ServerFrame::Error { error }, None));
                break;
            }
        };
        match frame {
            ClientFrame::Hello { .. } => {
                let frame = ServerFrame::err(0, RpcError::new(ErrorCode::InvalidParams, "hello was already sent"));
                let _ = out_tx.send((frame, None));
            }
            ClientFrame::Cancel { id } => {
                if let Some(token) = in_flight.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
                    token.cancel();
                }
            }
            ClientFrame::Request { id, method, params, client: update } => {
                let cancel = shutdown.child_token();
                {
                    let mut map = in_flight.lock().unwrap_or_else(|p| p.into_inner());
                    if map.len() >= MAX_IN_FLIGHT || map.contains_key(&id) {
                        let why = if map.contains_key(&id) {
                            "request id already in use"
                        } else {
                            "too many requests at once"
                        };
                        let _ = out_tx.send((ServerFrame::err(id, RpcError::new(ErrorCode::InvalidParams, why)), None));
                        continue;
                    }
                    map.insert(id, cancel.clone());
                }
                if let Some(info) = update {
                    guard.update(&info);
                    *client.lock().unwrap_or_else(|p| p.into_inner()) = info;
                }
                let caller = client.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let core = core.clone();
                let out = out_tx.clone();
                let in_flight = in_flight.clone();
                tokio::spawn(async move {
                    let quit = method == <erp_proto::admin::Quit as erp_proto::Method>::NAME;
                    let frame = run_request(&core, &caller, id, &method, params, out.clone(), cancel).await;
                    in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                    if quit && matches!(frame, ServerFrame::Response { error: None, .. }) {
                        // Quit only once the answer is on the wire, or the caller sees a dropped connection.
                        let (written, done) = oneshot::channel();
                        let _ = out.send((frame, Some(written)));
                        let _ = done.await;
                        core.request_quit();
                    } else {
                        let _ = out.send((frame, None));
                    }
                });
            }
        }
    }
    // The client is gone: stop its work.
    for token in in_flight.lock().unwrap_or_else(|p| p.into_inner()).values() {
        token.cancel();
    }
    drop(out_tx);
    let _ = writer_task.await;
    drop(guard);
}

async fn run_request(
    core: &CoreHandle,
    client: &ClientInfo,
    id: u64,
    method: &str,
    params: serde_json::Value,
    out: mpsc::UnboundedSender<(ServerFrame, Option<oneshot::Sender<()>>)>,
    cancel: CancellationToken,
) -> ServerFrame {
    let progress: crate::tools::ProgressSink = Arc::new(move |progress, total, message| {
        let _ = out.send((ServerFrame::Progress { id, progress, total, message: Some(message) }, None));
    });
    let work = core.dispatch(client, method, params, progress, cancel.clone());
    let result = tokio::select! {
        r = work => r,
        () = cancel.cancelled() => Err(crate::CoreError::Cancelled),
    };
    match result {
        Ok(v) => ServerFrame::ok(id, v),
        Err(e) => {
            if !matches!(e, crate::CoreError::InvalidParams(_)) {
                tracing::info!(method, code = %e.to_rpc().code, "request failed");
            }
            ServerFrame::err(id, e.to_rpc())
        }
    }
}
