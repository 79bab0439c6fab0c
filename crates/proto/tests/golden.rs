//! Golden files pin the wire format. A diff here is a wire change: decide on
//! `PROTOCOL_VERSION` before running `UPDATE_GOLDEN=1 cargo test -p erp-proto`.

use std::path::PathBuf;

use erp_proto::tools::catalogue;
use erp_proto::{ClientFrame, ClientInfo, ErrorCode, PROTOCOL_VERSION, RpcError, ServerFrame};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn assert_golden<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    let actual = serde_json::to_value(value).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    let expected: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(actual, expected, "{name} changed; see the module doc");
    // And the golden text still parses into the same value (old peers' frames stay readable).
    let back: T = serde_json::from_value(expected).unwrap();
    assert_eq!(&back, value);
}

fn shim() -> ClientInfo {
    ClientInfo {
        name: "erp-mcp".into(),
        version: "0.1.0".into(),
        mcp_client: Some("cursor".into()),
        mcp_client_version: Some("1.7.0".into()),
        erp_api: None,
    }
}

#[test]
fn client_frames_are_stable() {
    assert_golden("client_hello.json", &ClientFrame::Hello { protocol: PROTOCOL_VERSION, client: shim() });
    assert_golden(
        "client_request.json",
        &ClientFrame::Request {
            id: 7,
            method: "get_week_logs".into(),
            params: json!({"week_starting": "2026-01-05"}),
            client: None,
            repeat: false,
        },
    );
    assert_golden("client_cancel.json", &ClientFrame::Cancel { id: 7 });
}

#[test]
fn server_frames_are_stable() {
    assert_golden("server_hello.json", &ServerFrame::Hello { protocol: PROTOCOL_VERSION, app_version: "0.1.0".into() });
    assert_golden("server_response_ok.json", &ServerFrame::ok(7, json!({"week_log_id": 382101})));
    assert_golden(
        "server_response_not_signed_in.json",
        &ServerFrame::err(
            7,
            RpcError::new(ErrorCode::NotSignedIn, "You are not signed in to the ERP.")
                .with_sign_in_url("erp-helper://signin"),
        ),
    );
    assert_golden(
        "server_progress.json",
        &ServerFrame::Progress {
            id: 9,
            progress: 2.0,
            total: Some(5.0),
            message: Some("week of 2026-01-05 saved".into()),
        },
    );
    assert_golden(
        "server_error_version.json",
        &ServerFrame::Error { error: RpcError::new(ErrorCode::VersionMismatch, "update erp-mcp") },
    );
}

#[test]
fn error_codes_are_stable() {
    let codes = [
        ErrorCode::NotSignedIn,
        ErrorCode::NotAuthorized,
        ErrorCode::SessionExpired,
        ErrorCode::InvalidParams,
        ErrorCode::ErpError,
        ErrorCode::ErpUnavailable,
        ErrorCode::Timeout,
        ErrorCode::VersionMismatch,
        ErrorCode::Cancelled,
        ErrorCode::Internal,
    ];
    for c in codes {
        assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
    }
}

#[test]
fn catalogue_is_stable() {
    let tools: Vec<Value> = catalogue()
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name, "title": t.title, "description": t.description,
                "read_only": t.hints.read_only, "destructive": t.hints.destructive, "idempotent": t.hints.idempotent,
                "input_schema": t.input_schema, "output_schema": t.output_schema,
            })
        })
        .collect();
    assert_golden("catalogue.json", &tools);
}

#[test]
fn catalogue_schemas_are_objects_without_refs() {
    for t in catalogue() {
        for schema in [&t.input_schema, &t.output_schema] {
            assert_eq!(schema.get("type"), Some(&json!("object")), "{}", t.name);
            let text = serde_json::to_string(schema).unwrap();
            assert!(!text.contains("$ref"), "{} has a $ref", t.name);
        }
        // No tool takes or returns a token, and identity comes from the session.
        let text = serde_json::to_string(&t.input_schema).unwrap();
        for forbidden in ["token", "email", "password"] {
            assert!(!text.contains(&format!("\"{forbidden}\"")), "{} takes {forbidden}", t.name);
        }
    }
}

#[test]
fn catalogue_schemas_use_only_standard_formats_with_ranges_as_bounds() {
    fn formats(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(f) = m.get("format").and_then(|f| f.as_str()) {
                    out.push(f.to_string());
                }
                m.values().for_each(|v| formats(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| formats(v, out)),
            _ => {}
        }
    }
    for t in catalogue() {
        let mut found = Vec::new();
        formats(&serde_json::Value::Object(t.input_schema.clone()), &mut found);
        formats(&serde_json::Value::Object(t.output_schema.clone()), &mut found);
        assert!(found.is_empty(), "{} has formats {found:?}", t.name);
    }
    // `month` was `format: uint32`: now a range, its 0 kept.
    let month =
        catalogue().into_iter().find(|t| t.name == "get_month_logs").unwrap().input_schema["properties"]["month"]
            .clone();
    assert_eq!(month["minimum"], json!(0));
    assert_eq!(month["maximum"], json!(u32::MAX));
}
