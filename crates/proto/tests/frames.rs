//! Framing: size cap, malformed lines, blank lines.

use bytes::BytesMut;
use erp_proto::frame::FrameError;
use erp_proto::{ClientFrame, FrameCodec, MAX_FRAME_BYTES, ServerFrame};
use tokio_util::codec::{Decoder, Encoder};

#[test]
fn oversized_frame_is_refused_without_buffering_it_all() {
    let mut codec = FrameCodec::<ClientFrame, ServerFrame>::default();
    let mut buf = BytesMut::from(vec![b'x'; MAX_FRAME_BYTES + 10].as_slice());
    assert!(matches!(codec.decode(&mut buf), Err(FrameError::TooLarge)));
}

#[test]
fn malformed_frame_is_an_error() {
    let mut codec = FrameCodec::<ClientFrame, ServerFrame>::default();
    let mut buf = BytesMut::from(&b"{\"type\":\"launch_missiles\"}\n"[..]);
    assert!(matches!(codec.decode(&mut buf), Err(FrameError::Malformed(_))));
}

#[test]
fn blank_lines_are_skipped_and_frames_round_trip() {
    let mut out = FrameCodec::<ServerFrame, ClientFrame>::default();
    let mut buf = BytesMut::from(&b"\n  \n"[..]);
    out.encode(ClientFrame::Cancel { id: 3 }, &mut buf).unwrap();
    let mut inp = FrameCodec::<ClientFrame, ServerFrame>::default();
    assert_eq!(inp.decode(&mut buf).unwrap(), Some(ClientFrame::Cancel { id: 3 }));
    assert_eq!(inp.decode(&mut buf).unwrap(), None);
}
