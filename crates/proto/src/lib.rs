//! The wire contract between `erp-mcp` (the shim) and `erp-helper` (the app).
//!
//! Everything both processes must agree on lives here and only here: the tool
//! catalogue (names, typed arguments and outputs, hints, retry classes), the
//! socket frames, the error codes, the protocol version, where the socket is,
//! the `erp-helper://` link, and the host config snippets.
//! I/O only behind features: `client` (the socket client the shim and the CLI
//! use) and `logging` (the one stderr logging set-up of both binaries).
//! Not here: any ERP knowledge, any MCP types, the app's logic.

pub mod admin;
pub mod error;
pub mod frame;
pub mod hosts;
pub mod links;
#[cfg(feature = "logging")]
pub mod logging;
pub mod socket;
pub mod tools;

pub use error::{ErrorCode, RpcError};
pub use frame::{ClientFrame, ClientInfo, FrameCodec, Incoming, MAX_FRAME_BYTES, ServerFrame};
pub use tools::{Hints, Method, RetryClass, Scope, ToolSpec, catalogue};

/// The link that opens the sign-in in the running app (handed to the model
/// with every not-signed-in error).
pub const SIGN_IN_LINK: &str = "erp-helper://signin";

/// Version of the socket protocol. Bump it whenever a golden file under
/// `crates/proto/tests/golden/` changes in a way an older peer cannot read.
pub const PROTOCOL_VERSION: u32 = 1;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod doctor;
