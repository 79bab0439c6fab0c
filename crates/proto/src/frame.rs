//! Socket frames: newline-delimited JSON, one object per line, with a size cap.
//!
//! Every connection starts with `hello` from the client and `hello` (or an
//! error) from the app. After that the client sends `request`/`cancel`, and the
//! app answers with `progress`* then one `response` per request id. Requests on
//! one connection may be answered out of order.

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::codec::{Decoder, Encoder, LinesCodec, LinesCodecError};

use crate::RpcError;

/// Largest frame either side accepts, in bytes (excluding the newline).
/// Large enough for a year of week logs, small enough that a hostile peer
/// cannot make the app buffer without bound.
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// Who is on the other end of the socket: the shim, and the MCP host that
/// launched it (as the host named itself in `initialize`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The connecting program, e.g. `erp-mcp` or `erp-helper-cli`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The MCP host's name (`clientInfo.name`), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_client: Option<String>,
    /// The MCP host's version, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_client_version: Option<String>,
    /// The ERP API this client was set up for (the shim's `ERP_API_BASE_URL`),
    /// when it names one: an app serving another ERP refuses the connection
    /// with a sentence naming both, rather than answer for the wrong company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erp_api: Option<String>,
}

/// Frames the client (shim or CLI) sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame on every connection.
    Hello {
        /// The client's [`crate::PROTOCOL_VERSION`].
        protocol: u32,
        /// Who is connecting.
        client: ClientInfo,
    },
    /// Call a method (a tool or an admin method) by name.
    Request {
        /// Chosen by the client, unique among its in-flight requests.
        id: u64,
        /// `Method::NAME`.
        method: String,
        /// The method's arguments as a JSON object.
        #[serde(default)]
        params: Value,
        /// Who this call is for, when it differs from the hello (a shim learns
        /// the MCP host's name only after `initialize`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<ClientInfo>,
        /// This call was sent before and its answer was lost (the connection
        /// dropped): the app takes no additive path for it, so a repeat can
        /// never write anything twice. Absent means false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        repeat: bool,
    },
    /// Stop working on a request; the app still sends a response for it.
    Cancel {
        /// The request to cancel.
        id: u64,
    },
}

/// Frames the app sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Reply to the client's hello.
    Hello {
        /// The app's [`crate::PROTOCOL_VERSION`].
        protocol: u32,
        /// The app's version, for `doctor` and error messages.
        app_version: String,
    },
    /// Intermediate progress of a long request.
    Progress {
        /// The request this is about.
        id: u64,
        /// Work done so far.
        progress: f64,
        /// Total work, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<f64>,
        /// A short human line, e.g. `week of 2026-01-05 saved`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The final answer to a request: exactly one of `result` or `error`.
    Response {
        /// The request this answers (0 when the request could not be parsed).
        id: u64,
        /// The method's output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<Value>,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<RpcError>,
    },
    /// A connection-level failure (bad hello, version mismatch, oversized
    /// frame); the app closes the connection after sending it.
    Error {
        /// Why.
        error: RpcError,
    },
}

/// A client frame as the app reads it: a frame, or a line that is JSON but no
/// frame this side knows (a newer client's, a hostile one's). The app answers
/// the second kind and keeps the connection; only a line that is not JSON at
/// all ends it.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A frame.
    Frame(ClientFrame),
    /// JSON, but not a frame: its `id` when it has one, and why.
    Unknown {
        /// The request id, so the answer can name it.
        id: Option<u64>,
        /// What is wrong with it.
        why: String,
    },
}

impl<'de> Deserialize<'de> for Incoming {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match ClientFrame::deserialize(&v) {
            Ok(f) => Self::Frame(f),
            Err(e) => Self::Unknown { id: v.get("id").and_then(Value::as_u64), why: e.to_string() },
        })
    }
}

impl ServerFrame {
    /// The request a response answers.
    pub fn response_id(&self) -> Option<u64> {
        match self {
            Self::Response { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// A successful response.
    pub fn ok(id: u64, result: Value) -> Self {
        Self::Response { id, result: Some(result), error: None }
    }

    /// A failed response.
    pub fn err(id: u64, error: RpcError) -> Self {
        Self::Response { id, result: None, error: Some(error) }
    }
}

/// Errors from reading or writing frames.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The line was longer than [`MAX_FRAME_BYTES`].
    #[error("frame larger than {MAX_FRAME_BYTES} bytes")]
    TooLarge,
    /// The line was not a frame of the expected kind.
    #[error("malformed frame: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A `tokio_util` codec for either direction: `FrameCodec<ClientFrame, ServerFrame>`
/// on the app's side, the reverse on the client's.
pub struct FrameCodec<In, Out> {
    lines: LinesCodec,
    _types: std::marker::PhantomData<fn(Out) -> In>,
}

impl<In, Out> Default for FrameCodec<In, Out> {
    fn default() -> Self {
        Self { lines: LinesCodec::new_with_max_length(MAX_FRAME_BYTES), _types: Default::default() }
    }
}

impl<In: serde::de::DeserializeOwned, Out> Decoder for FrameCodec<In, Out> {
    type Item = In;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<In>, FrameError> {
        loop {
            match self.lines.decode(src).map_err(lines_error)? {
                // Blank lines are keep-alives from hand-written clients; skip them.
                Some(line) if line.trim().is_empty() => continue,
                Some(line) => return Ok(Some(serde_json::from_str(&line)?)),
                None => return Ok(None),
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<In>, FrameError> {
        match self.lines.decode_eof(src).map_err(lines_error)? {
            Some(line) if line.trim().is_empty() => Ok(None),
            Some(line) => Ok(Some(serde_json::from_str(&line)?)),
            None => Ok(None),
        }
    }
}

impl<In, Out: Serialize> Encoder<Out> for FrameCodec<In, Out> {
    type Error = FrameError;

    fn encode(&mut self, item: Out, dst: &mut BytesMut) -> Result<(), FrameError> {
        let line = serde_json::to_string(&item)?;
        if line.len() > MAX_FRAME_BYTES {
            return Err(FrameError::TooLarge);
        }
        dst.reserve(line.len() + 1);
        dst.extend_from_slice(line.as_bytes());
        dst.extend_from_slice(b"\n");
        Ok(())
    }
}

fn lines_error(e: LinesCodecError) -> FrameError {
    match e {
        LinesCodecError::MaxLineLengthExceeded => FrameError::TooLarge,
        LinesCodecError::Io(e) => FrameError::Io(e),
    }
}
