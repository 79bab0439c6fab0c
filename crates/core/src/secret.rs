//! The secrets the app handles, each its own type with a redacted `Debug` and
//! an explicit `expose()`. A leaf: nothing above it is imported.
//! - [`ErpToken`] (from erp-proto): serialisable, because the CLI sends it to
//!   the app and the session store keeps it; nowhere else.
//! - [`GoogleAccessToken`]: lives only between Google's token endpoint and the
//!   ERP's `core/google-login/`; not serialisable, not `Clone`.
//! - [`ClientSecret`]: the OAuth client secret from the settings; not serialisable.

use std::fmt;

pub use erp_proto::admin::ErpToken;

macro_rules! secret {
    ($(#[doc = $doc:literal])+ $name:ident $(, $derive:ident)*) => {
        $(#[doc = $doc])+
        #[derive($($derive),*)]
        pub struct $name(String);

        impl $name {
            /// Wrap the secret.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            /// The secret itself: only where it must be sent.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret! {
    /// A Google OAuth access token, exchanged once at the ERP for an ERP token.
    GoogleAccessToken
}

secret! {
    /// The Google OAuth client's secret (installed-app clients may have one).
    ClientSecret, Clone
}

/// Equal, in time that depends only on the lengths: for comparing a nonce or
/// an OAuth `state` that an attacker may be probing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh unguessable value (128 bits from the OS's CSPRNG, URL-safe base64).
pub fn random_nonce() -> String {
    oauth2::CsrfToken::new_random().secret().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let shown = format!(
            "{:?} {:?} {:?}",
            ErpToken::new("erp-s3cr3t"),
            GoogleAccessToken::new("goog-s3cr3t"),
            ClientSecret::new("client-s3cr3t")
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("GoogleAccessToken(<redacted>)"), "{shown}");
    }
}
