//! Hostile bytes at the frame decoder: whatever arrives, decoding gives a
//! frame, an `Unknown` (answered, connection kept) or an error (connection
//! closed), never a panic; frames this side writes always read back as sent.
//! `PROPTEST_CASES` sets the number of cases (`scripts/soak.sh` runs a million).

use bytes::BytesMut;
use erp_proto::{ClientFrame, ClientInfo, FrameCodec, Incoming, ServerFrame};
use proptest::prelude::*;
use serde_json::Value;
use tokio_util::codec::{Decoder, Encoder};

/// Any JSON value, with hostile strings (control characters, any unicode).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "[\\x00-\\x1f\"\\\\]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,12}", inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Objects shaped like client frames: a known or unknown `type`, known fields
/// with values of any type, and extra fields.
fn frame_like() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just("hello".to_string()),
        Just("request".to_string()),
        Just("cancel".to_string()),
        ".{0,10}".prop_map(|s| s),
    ];
    let fields = prop::collection::vec(
        (
            prop_oneof![
                Just("id"),
                Just("protocol"),
                Just("client"),
                Just("method"),
                Just("params"),
                Just("repeat"),
                Just("x")
            ],
            any_json(),
        ),
        0..6,
    );
    (kind, fields).prop_map(|(t, fields)| {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), Value::String(t));
        for (k, v) in fields {
            m.insert(k.to_string(), v);
        }
        Value::Object(m)
    })
}

fn decode_all(bytes: &[u8]) {
    let mut codec = FrameCodec::<Incoming, ServerFrame>::default();
    let mut buf = BytesMut::from(bytes);
    while let Ok(Some(_)) = codec.decode(&mut buf) {}
    let _ = codec.decode_eof(&mut buf);
}

/// Run `test` over `strategy` for `PROPTEST_CASES` cases (proptest's
/// default otherwise) and say how many ran: `scripts/soak.sh` adds them up.
fn check<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    // A few thousand in CI (the tests below add up to that); a million in soak.sh.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}");
    }
    eprintln!("props: {name}: {cases} cases");
}

#[test]
fn any_bytes_decode_without_panic() {
    check("frame bytes", prop::collection::vec(any::<u8>(), 0..512), |bytes| {
        decode_all(&bytes);
        Ok(())
    });
}

#[test]
fn any_json_line_is_a_frame_or_an_unknown_with_its_id() {
    check("frame json", prop_oneof![frame_like(), any_json()], |v| {
        let mut codec = FrameCodec::<Incoming, ServerFrame>::default();
        let mut buf = BytesMut::from(format!("{v}\n").as_bytes());
        match codec.decode(&mut buf) {
            Ok(Some(Incoming::Frame(f))) => {
                // A frame read back writes out as the same frame.
                let again: ClientFrame = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
                prop_assert_eq!(again, f);
            }
            Ok(Some(Incoming::Unknown { id, why })) => {
                prop_assert!(!why.is_empty());
                prop_assert_eq!(id, v.get("id").and_then(Value::as_u64));
            }
            Ok(None) => prop_assert!(false, "a whole line gave no frame"),
            // Only a line that is not an object may fail, e.g. a bare number.
            Err(e) => prop_assert!(!v.is_object(), "an object was refused: {e}"),
        }
        Ok(())
    });
}

#[test]
fn frames_round_trip() {
    let fields = (any::<u64>(), ".{0,30}", ".{0,30}", any::<bool>(), any_json());
    check("frame round trip", fields, |(id, method, name, repeat, params)| {
        let client = ClientInfo { name, version: "1".into(), ..Default::default() };
        let frames = [
            ClientFrame::Request { id, method, params, client: Some(client.clone()), repeat },
            ClientFrame::Cancel { id },
            ClientFrame::Hello { protocol: erp_proto::PROTOCOL_VERSION, client },
        ];
        for f in frames {
            let mut out = FrameCodec::<ServerFrame, ClientFrame>::default();
            let mut buf = BytesMut::new();
            out.encode(f.clone(), &mut buf).unwrap();
            let mut inp = FrameCodec::<Incoming, ServerFrame>::default();
            prop_assert_eq!(inp.decode(&mut buf).unwrap(), Some(Incoming::Frame(f)));
        }
        Ok(())
    });
}

/// A value for a tool argument named `key`: mostly the kind the tool expects
/// (dates near today, hours, ids, text), often hostile (impossible dates,
/// negative and huge numbers, control characters, 100 kB of unicode), and
/// sometimes any JSON at all.
fn argument(key: &str) -> BoxedStrategy<Value> {
    let today = chrono::Utc::now().date_naive();
    let near = (-70i64..70).prop_map(move |d| Value::String((today + chrono::Duration::days(d)).to_string()));
    let bad_date = prop_oneof![
        Just("2026-02-30".to_string()),
        Just("".to_string()),
        Just("yesterday".to_string()),
        Just("+275760-09-13".to_string()),
        "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}",
    ]
    .prop_map(Value::String);
    let number = prop_oneof![
        (-5.0f64..30.0).prop_map(Value::from),
        (0u32..12).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(1e300)),
    ];
    let text = prop_oneof![
        ".{0,60}".prop_map(Value::String),
        "[\\x00-\\x1f\\u{202e}\\u{feff}]{1,20}".prop_map(Value::String),
        (1usize..100_000).prop_map(|n| Value::String("é☃".repeat(n / 5))),
        Just(Value::String("Workstream / Backend".into())),
    ];
    let ids = prop_oneof![Just(Value::from(412)), Just(Value::from(66)), (0i64..2000).prop_map(Value::from)];
    let hostile = prop_oneof![bad_date, number.clone(), text.clone(), any_json()];
    let expected: BoxedStrategy<Value> = match key {
        k if k.contains("date") || k == "week_starting" => near.boxed(),
        "hours" | "hours_per_day" => {
            prop_oneof![4 => (0u32..=48).prop_map(|q| Value::from(f64::from(q) / 4.0)), 1 => number].boxed()
        }
        "year" => (2020i64..2030).prop_map(Value::from).boxed(),
        "month" => (0i64..14).prop_map(Value::from).boxed(),
        k if k.ends_with("_id") => ids.boxed(),
        "skip_weekends" | "save_draft" => any::<bool>().prop_map(Value::Bool).boxed(),
        "method" => {
            prop::sample::select(vec!["google", "erp-page", "token", "telepathy"]).prop_map(Value::from).boxed()
        }
        _ => text.boxed(),
    };
    prop_oneof![4 => expected, 1 => hostile].boxed()
}

/// A call: a tool of the catalogue (or an admin method, or a made-up name),
/// with its required arguments usually there, others sometimes, and now and
/// then one it does not have.
fn call() -> impl Strategy<Value = (String, Value)> {
    let tools = erp_proto::catalogue();
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.extend(erp_proto::admin::ADMIN_NAMES.iter().map(|n| n.to_string()));
    let keys_of = move |name: &str| -> Vec<(String, f64)> {
        let Some(schema) = tools.iter().find(|t| t.name == name).map(|t| &t.input_schema) else {
            return vec![("not_an_argument".into(), 0.5)];
        };
        let required: Vec<&str> =
            schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let mut keys: Vec<(String, f64)> = schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.keys())
            .map(|k| (k.clone(), if required.contains(&k.as_str()) { 0.9 } else { 0.4 }))
            .collect();
        keys.push(("not_an_argument".into(), 0.03));
        keys
    };
    let name = prop_oneof![9 => prop::sample::select(names), 1 => ".{0,20}"];
    name.prop_flat_map(move |name| {
        let args: Vec<_> = keys_of(&name)
            .into_iter()
            .map(|(key, p)| prop::option::weighted(p, argument(&key)).prop_map(move |v| v.map(|v| (key.clone(), v))))
            .collect();
        let args = args.prop_map(|kv| Value::Object(kv.into_iter().flatten().collect()));
        let params = prop_oneof![12 => args, 1 => any_json()];
        (Just(name), params)
    })
}

#[test]
fn every_tool_answers_any_arguments_with_a_clear_error_or_a_right_answer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = opened.clone();
    let opener: erp_core::google::Opener = std::sync::Arc::new(move |_url: &str| {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    });
    let h = rt.block_on(async {
        let h = erp_e2e::Harness::with_opener(erp_sim::SimConfig::default(), &[], opener).await;
        h.sign_in("jane@example.com").await;
        h
    });
    let router = erp_core::tools::router();
    let client = ClientInfo { name: "erp-mcp".into(), version: "1".into(), ..Default::default() };
    let answered = std::sync::atomic::AtomicUsize::new(0);
    check("tool calls", call(), |(name, params)| {
        let progress: erp_core::router::ProgressSink = std::sync::Arc::new(|_, _, _| {});
        let call = erp_core::router::Call::new(h.core.clone(), client.clone(), progress, Default::default());
        let reply = rt.block_on(router.dispatch(call, &name, params.clone()));
        match reply.result {
            Ok(v) => {
                answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                prop_assert!(v.is_object(), "{name}: an answer that is not an object: {v}");
            }
            Err(e) => {
                prop_assert!(!e.message.trim().is_empty(), "{name}: an empty error");
                // A clear error: one sentence, not an echo of a 100 kB argument.
                prop_assert!(e.message.len() <= 2000, "{name}: a {}-byte error", e.message.len());
                prop_assert!(
                    e.code != erp_proto::ErrorCode::Internal,
                    "{name}({params}): internal error {}",
                    e.message
                );
            }
        }
        Ok(())
    });
    eprintln!("props: tool calls answered: {}", answered.into_inner());
    // The session survived it all (sign_out is an admin method erp-mcp may not call).
    assert_eq!(h.core.sessions().view().email.as_deref(), Some("jane@example.com"));
}
