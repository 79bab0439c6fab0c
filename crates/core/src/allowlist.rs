//! The authorized-users list: exact emails and `@domain` entries. Empty means
//! any account the ERP accepts. `MCP_AUTHORIZED_USERS` overrides and locks it.
//! Checked at sign-in (a refused account is never stored) and on every tool
//! call. [`Allowlists`] owns the list and its lock and saves it off the runtime.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use erp_proto::admin::AllowlistView;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::fsutil::{off_runtime, write_private};

/// The list and where it lives.
#[derive(Debug, Clone)]
pub struct Allowlist {
    path: PathBuf,
    entries: Vec<String>,
    locked: bool,
}

#[derive(Serialize, Deserialize, Default)]
struct File {
    authorized_users: Vec<String>,
}

/// Check and normalise one entry: `user@domain` or `@domain`, lower-case.
pub fn normalise_entry(raw: &str) -> Result<String> {
    let e = raw.trim().to_lowercase();
    let bad = || {
        CoreError::invalid(format!(
            "entry must be an email like jane@example.com or a domain like @example.com, got {}.",
            crate::error::shown(raw)
        ))
    };
    if e.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',') || e.len() > 254 {
        return Err(bad());
    }
    let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !domain_ok || local.contains('@') {
        return Err(bad());
    }
    Ok(e)
}

impl Allowlist {
    /// Load from `<config_dir>/authorized_users.json`, or take the env list (locked).
    pub fn load(config_dir: &std::path::Path, env: Option<&[String]>) -> Self {
        let path = config_dir.join("authorized_users.json");
        if let Some(list) = env {
            let entries = list.iter().filter_map(|e| normalise_entry(e).ok()).collect();
            return Self { path, entries, locked: true };
        }
        let entries = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<File>(&bytes) {
                Ok(f) => f.authorized_users.iter().filter_map(|e| normalise_entry(e).ok()).collect(),
                Err(e) => {
                    // Fail closed would lock the user out of their own tool; fail open
                    // would silently widen access. Keep the file, refuse everyone, say why.
                    tracing::error!(path = %path.display(), error = %e, "authorized_users.json is unreadable; refusing every account until it is fixed");
                    vec!["@invalid.invalid".to_string()]
                }
            },
            Err(_) => Vec::new(),
        };
        let mut list = Self { path, entries, locked: false };
        list.entries.sort();
        list.entries.dedup();
        list
    }

    /// The entries, sorted.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Whether the env variable set the list.
    pub fn locked(&self) -> bool {
        self.locked
    }

    /// Whether `email` may use the app.
    pub fn permits(&self, email: &str) -> bool {
        if self.entries.is_empty() {
            return true;
        }
        let email = email.trim().to_lowercase();
        let domain = email.rsplit_once('@').map(|(_, d)| format!("@{d}"));
        self.entries.iter().any(|e| *e == email || Some(e) == domain.as_ref())
    }

    fn check_unlocked(&self) -> Result<()> {
        if self.locked {
            return Err(CoreError::invalid(
                "The authorized-users list is set by MCP_AUTHORIZED_USERS and cannot be edited here; change that variable instead.",
            ));
        }
        Ok(())
    }

    /// Add an entry (in memory; [`Allowlist::save`] writes it).
    pub fn add(&mut self, raw: &str) -> Result<()> {
        self.check_unlocked()?;
        let e = normalise_entry(raw)?;
        if !self.entries.contains(&e) {
            self.entries.push(e);
            self.entries.sort();
        }
        Ok(())
    }

    /// Remove an entry (in memory); an unknown entry is an error.
    pub fn remove(&mut self, raw: &str) -> Result<()> {
        self.check_unlocked()?;
        let e = raw.trim().to_lowercase();
        let before = self.entries.len();
        self.entries.retain(|x| *x != e);
        if before == self.entries.len() {
            return Err(CoreError::invalid(format!("entry {} is not on the list.", crate::error::shown(raw))));
        }
        Ok(())
    }

    /// Write the list to its file (blocking: fsync and rename).
    pub fn save(&self) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&File { authorized_users: self.entries.clone() })
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        write_private(&self.path, &bytes)
    }

    /// As the windows and the CLI show it.
    pub fn view(&self) -> AllowlistView {
        AllowlistView { entries: self.entries.clone(), locked: self.locked }
    }
}

/// The allowlist service: one list, one lock, saved off the async runtime.
/// Edits are serialised (one save at a time, in order). Cheap to clone.
#[derive(Clone)]
pub struct Allowlists {
    list: Arc<Mutex<Allowlist>>,
    saving: Arc<tokio::sync::Mutex<()>>,
}

impl Allowlists {
    /// Wrap a loaded list.
    pub fn new(list: Allowlist) -> Self {
        Self { list: Arc::new(Mutex::new(list)), saving: Arc::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Allowlist> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `email` may use the app.
    pub fn permits(&self, email: &str) -> bool {
        self.lock().permits(email)
    }

    /// The list.
    pub fn view(&self) -> AllowlistView {
        self.lock().view()
    }

    /// Add an entry and save.
    pub async fn add(&self, entry: &str) -> Result<AllowlistView> {
        self.edit(|l| l.add(entry)).await
    }

    /// Remove an entry and save.
    pub async fn remove(&self, entry: &str) -> Result<AllowlistView> {
        self.edit(|l| l.remove(entry)).await
    }

    /// Edit a copy, save it off the runtime, then make it the list: a failed
    /// save changes nothing.
    async fn edit(&self, change: impl FnOnce(&mut Allowlist) -> Result<()>) -> Result<AllowlistView> {
        let _one_at_a_time = self.saving.lock().await;
        let mut next = self.lock().clone();
        change(&mut next)?;
        let saved = off_runtime(move || next.save().map(|()| next)).await?;
        let view = saved.view();
        *self.lock() = saved;
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_permits_all_and_domain_entries_match_the_last_at() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Allowlist::load(dir.path(), None);
        assert!(l.permits("anyone@x.org"));
        l.add("@Example.com").unwrap();
        l.add("boss@corp.io").unwrap();
        l.save().unwrap();
        assert!(l.permits("Jane@EXAMPLE.com"));
        assert!(l.permits("boss@corp.io"));
        assert!(!l.permits("other@corp.io"));
        assert!(!l.permits("jane@example.com.evil.org"));
        let reloaded = Allowlist::load(dir.path(), None);
        assert_eq!(reloaded.entries(), &["@example.com".to_string(), "boss@corp.io".to_string()]);
        assert!(l.remove("nobody@x.org").is_err());
        l.remove("@example.com").unwrap();
        assert!(!l.permits("jane@example.com"));
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        for bad in ["", "jane", "jane@", "@", "a b@c.d", "x@localhost", "a@b@c.d", "@.com"] {
            assert!(normalise_entry(bad).unwrap_err().to_string().starts_with("entry must be"), "{bad:?}");
        }
    }

    #[test]
    fn env_list_locks() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Allowlist::load(dir.path(), Some(&["a@b.co".to_string()]));
        assert!(l.locked());
        assert!(l.add("c@d.co").unwrap_err().to_string().contains("MCP_AUTHORIZED_USERS"));
    }
}
