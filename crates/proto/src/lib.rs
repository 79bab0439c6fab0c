//! The wire contract between `erp-mcp` (the shim) and `erp-helper` (the app).
//!
//! Everything both processes must agree on lives here and only here: the tool
//! catalogue (names, typed arguments and outputs, annotations), the socket frames,
//! the error codes, the protocol version and where the socket is.
//! Not here: any I/O beyond framing, any ERP knowledge, any MCP types.

pub mod admin;
pub mod error;
pub mod frame;
pub mod socket;
pub mod tools;

pub use error::{ErrorCode, RpcError};
pub use frame::{ClientFrame, ClientInfo, FrameCodec, MAX_FRAME_BYTES, ServerFrame};
pub use tools::{Method, ToolSpec, catalogue};

/// Version of the socket protocol. Bump it whenever a golden file under
/// `crates/proto/tests/golden/` changes in a way an older peer cannot read.
pub const PROTOCOL_VERSION: u32 = 1;

#[cfg(feature = "client")]
pub mod client;
