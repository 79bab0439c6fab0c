//! The clients connected to the app's socket right now (shims and CLI runs),
//! each listed from its hello until its connection closes: who it says it is,
//! which process it is (the socket's credentials), since when, how many calls.
//! "Disconnect" ends one connection and keeps that process out; a new process
//! (the host restarting its server) is welcome. Changes go out on a `watch`
//! counter (the tray's "Connected apps" follows it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use erp_proto::ClientInfo;
use erp_proto::admin::ConnectedClient;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The process at the other end of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    /// Its process id.
    pub pid: Option<u32>,
    /// Its program.
    pub exe: Option<String>,
}

impl Peer {
    /// The peer with process id `pid`, its program read from the OS.
    pub fn of_pid(pid: Option<u32>) -> Self {
        #[cfg(target_os = "linux")]
        let exe = pid.and_then(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok()).map(|e| e.display().to_string());
        #[cfg(not(target_os = "linux"))]
        let exe = None;
        Self { pid, exe }
    }
}

struct Entry {
    info: ClientInfo,
    peer: Peer,
    at: Instant,
    since: String,
    calls: u64,
    end: CancellationToken,
}

#[derive(Default)]
struct Inner {
    list: Mutex<BTreeMap<u64, Entry>>,
    /// Processes the user disconnected: refused at their next hello.
    shut_out: Mutex<BTreeSet<u32>>,
    next: AtomicU64,
    changes: watch::Sender<u64>,
}

/// The connected-clients service. Cheap to clone.
#[derive(Clone, Default)]
pub struct Clients(Arc<Inner>);

/// Keeps a client listed as connected until dropped.
pub struct ClientGuard {
    clients: Clients,
    id: u64,
    end: CancellationToken,
}

impl Clients {
    fn list(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Entry>> {
        self.0.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn shut_out(&self) -> std::sync::MutexGuard<'_, BTreeSet<u32>> {
        self.0.shut_out.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        self.0.changes.send_modify(|n| *n += 1);
    }

    /// Whether the user disconnected this process.
    pub fn is_shut_out(&self, peer: &Peer) -> bool {
        peer.pid.is_some_and(|pid| self.shut_out().contains(&pid))
    }

    /// List a client as connected until the guard drops; the guard's
    /// [`ClientGuard::ended`] fires on "Disconnect".
    pub fn register(&self, info: ClientInfo, peer: Peer) -> ClientGuard {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        let end = CancellationToken::new();
        let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let entry = Entry { info, peer, at: Instant::now(), since, calls: 0, end: end.clone() };
        self.list().insert(id, entry);
        self.changed();
        ClientGuard { clients: self.clone(), id, end }
    }

    /// Clients connected now.
    pub fn connected(&self) -> Vec<ConnectedClient> {
        self.list()
            .iter()
            .map(|(id, e)| ConnectedClient {
                client: e.info.clone(),
                connected_secs: e.at.elapsed().as_secs(),
                id: *id,
                pid: e.peer.pid,
                exe: e.peer.exe.clone(),
                since: e.since.clone(),
                calls: e.calls,
            })
            .collect()
    }

    /// End connection `id` and keep its process out. False when there is no such connection.
    pub fn disconnect(&self, id: u64) -> bool {
        let (end, pid) = match self.list().get(&id) {
            Some(e) => (e.end.clone(), e.peer.pid),
            None => return false,
        };
        if let Some(pid) = pid {
            self.shut_out().insert(pid);
        }
        tracing::info!(id, ?pid, "disconnected a client");
        end.cancel();
        true
    }

    /// Subscribe to changes (the value is a counter).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.changes.subscribe()
    }
}

impl ClientGuard {
    /// Update what is known about the client (a shim learns its host's name late).
    pub fn update(&self, info: &ClientInfo) {
        {
            let mut list = self.clients.list();
            match list.get_mut(&self.id) {
                Some(entry) if entry.info != *info => entry.info = info.clone(),
                _ => return,
            }
        }
        self.clients.changed();
    }

    /// Count one request.
    pub fn called(&self) {
        if let Some(e) = self.clients.list().get_mut(&self.id) {
            e.calls += 1;
        }
    }

    /// Fires when the user disconnects this client.
    pub fn ended(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.end.clone().cancelled_owned()
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.clients.list().remove(&self.id);
        self.clients.changed();
    }
}
