//! The clients connected to the app's socket right now (shims and CLI runs),
//! each listed from its hello until its connection closes. Changes go out on a
//! `watch` counter (the tray's "Connected apps" follows it).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use erp_proto::ClientInfo;
use erp_proto::admin::ConnectedClient;
use tokio::sync::watch;

#[derive(Default)]
struct Inner {
    list: Mutex<BTreeMap<u64, (ClientInfo, Instant)>>,
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
}

impl Clients {
    fn list(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, (ClientInfo, Instant)>> {
        self.0.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        self.0.changes.send_modify(|n| *n += 1);
    }

    /// List a client as connected until the guard drops.
    pub fn register(&self, info: ClientInfo) -> ClientGuard {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed);
        self.list().insert(id, (info, Instant::now()));
        self.changed();
        ClientGuard { clients: self.clone(), id }
    }

    /// Clients connected now.
    pub fn connected(&self) -> Vec<ConnectedClient> {
        self.list()
            .values()
            .map(|(c, t)| ConnectedClient { client: c.clone(), connected_secs: t.elapsed().as_secs() })
            .collect()
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
                Some(entry) if entry.0 != *info => entry.0 = info.clone(),
                _ => return,
            }
        }
        self.clients.changed();
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.clients.list().remove(&self.id);
        self.clients.changed();
    }
}
