//! Things kept for a while for the account that made them and taken once:
//! a previewed plan (`dry_run`) waits here for its `apply_plan`. The core
//! holds one store; what is kept is opaque to it (the tools know the type).

use std::any::Any;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Item {
    id: String,
    user: String,
    made: Instant,
    value: Box<dyn Any + Send>,
}

/// A small store: items expire after `ttl`; past `max` the oldest goes.
pub struct Kept {
    items: Mutex<Vec<Item>>,
    ttl: Duration,
    max: usize,
}

impl Kept {
    /// An empty store.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self { items: Mutex::default(), ttl, max }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Item>> {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.retain(|i| i.made.elapsed() < self.ttl);
        items
    }

    /// Keep `value` for `user` under a new id that starts with `prefix`.
    pub fn keep(&self, prefix: &str, user: &str, value: impl Any + Send) -> String {
        let id = random_id(prefix);
        let mut items = self.lock();
        if items.len() >= self.max {
            items.remove(0);
        }
        items.push(Item { id: id.clone(), user: user.to_string(), made: Instant::now(), value: Box::new(value) });
        id
    }

    /// Take `user`'s item `id`, if it is a `T` and has not expired.
    pub fn take<T: Any>(&self, user: &str, id: &str) -> Option<T> {
        let mut items = self.lock();
        let at = items.iter().position(|i| i.id == id && i.user == user && i.value.is::<T>())?;
        items.remove(at).value.downcast().ok().map(|b| *b)
    }
}

/// `prefix` and 12 random hex digits: a plan's or a change's id.
pub(crate) fn random_id(prefix: &str) -> String {
    format!("{prefix}{:012x}", rand::random::<u64>() >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_once_by_its_user_and_gone_when_expired_or_crowded_out() {
        let k = Kept::new(Duration::from_secs(60), 2);
        let id = k.keep("plan_", "a@x.org", 7u32);
        assert!(id.starts_with("plan_") && id.len() == 17, "{id}");
        assert_eq!(k.take::<u32>("b@x.org", &id), None);
        assert_eq!(k.take::<String>("a@x.org", &id), None);
        assert_eq!(k.take::<u32>("a@x.org", &id), Some(7));
        assert_eq!(k.take::<u32>("a@x.org", &id), None);
        let (one, two, three) = (k.keep("p", "a", 1u8), k.keep("p", "a", 2u8), k.keep("p", "a", 3u8));
        assert_eq!(
            (k.take::<u8>("a", &one), k.take::<u8>("a", &two), k.take::<u8>("a", &three)),
            (None, Some(2), Some(3))
        );
        let short = Kept::new(Duration::ZERO, 2);
        let id = short.keep("p", "a", 1u8);
        assert_eq!(short.take::<u8>("a", &id), None);
    }
}
