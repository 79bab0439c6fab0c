//! Renders the tool catalogue (declared once, in erp-proto) into the exact
//! `tools/list` JSON at build time, so the shim parses a small document when a
//! host first asks instead of generating JSON Schemas at run time.

fn main() {
    let tools: Vec<serde_json::Value> = erp_proto::tools::catalogue()
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "inputSchema": t.input_schema,
                "outputSchema": t.output_schema,
                "annotations": {
                    "title": t.title,
                    "readOnlyHint": t.hints.read_only,
                    "destructiveHint": t.hints.destructive,
                    "idempotentHint": t.hints.idempotent,
                    "openWorldHint": false,
                },
            })
        })
        .collect();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("tools.json");
    std::fs::write(out, serde_json::to_string(&tools).expect("serialisable")).expect("write tools.json");
    println!("cargo:rerun-if-changed=../crates/proto/src");
}
