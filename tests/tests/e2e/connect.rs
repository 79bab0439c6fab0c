//! `erp-helper connect`, for every host: fixture configs (none, with other
//! servers, with comments, not parseable, read-only) in, the expected file
//! out (`tests/fixtures/hosts/<host>/<case>.out.<ext>`, `@ERP_MCP@` standing
//! for erp-mcp's path; `UPDATE_GOLDEN=1` rewrites them); then the written file
//! is read back the way that host reads it, and a real MCP client launches
//! exactly the command, arguments and environment it names and lists the
//! tools. Also: idempotent, `--print` shows what is then written, `--remove`
//! gives back the other servers as they were, `--list` says where each stands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use erp_core::connect::{Dirs, Format, HOSTS, Host};
use erp_e2e::{TestEnv, bin, start_mcp};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hosts")
}

fn ext(h: &Host) -> &'static str {
    match h.format {
        Format::Json => "json",
        Format::Yaml => "yaml",
        Format::Toml => "toml",
    }
}

/// A home of its own, as the CLI and the hosts see it.
struct Home {
    env: TestEnv,
    dirs: Dirs,
}

fn home() -> Home {
    let env = TestEnv::new("http://127.0.0.1:9/api/v1/");
    let home = PathBuf::from(env.get("HOME").unwrap());
    let config = PathBuf::from(env.get("XDG_CONFIG_HOME").unwrap());
    let dirs = Dirs { home, local: config.clone(), config };
    Home { env, dirs }
}

fn connect(h: &Home, args: &[&str]) -> Output {
    h.env.command("erp-helper").arg("connect").args(args).stdin(Stdio::null()).output().unwrap()
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn shim() -> String {
    bin("erp-mcp").canonicalize().unwrap().display().to_string()
}

/// Compare with the expected file (or write it, with `UPDATE_GOLDEN=1`).
fn assert_expected(host: &Host, case: &str, written: &str) {
    let path = fixtures().join(host.id).join(format!("{case}.out.{}", ext(host)));
    let generic = written.replace(&shim(), "@ERP_MCP@");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generic).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(generic, want, "{}: {case}", host.id);
}

/// The file read as the host reads it: strict JSON where the host wants
/// strict JSON (and the user wrote it), JSON with comments for VS Code and Zed.
fn read_as_host(host: &Host, text: &str, commented: bool) -> Value {
    match host.format {
        Format::Json if commented || ["vscode", "zed"].contains(&host.id) => {
            jsonc_parser::parse_to_serde_value(text, &Default::default()).unwrap()
        }
        Format::Json => serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: not JSON: {e}\n{text}", host.id)),
        Format::Yaml => serde_yaml_ng::from_str(text).unwrap(),
        Format::Toml => toml::from_str(text).unwrap(),
    }
}

/// What the host launches for server `erp`: (command, args, env), by its own schema.
fn launch_spec(host: &Host, doc: &Value) -> (String, Vec<String>, Vec<(String, String)>) {
    let entry = match host.id {
        "continue" => doc["mcpServers"].as_array().unwrap().iter().find(|s| s["name"] == "erp").unwrap().clone(),
        "goose" => doc["extensions"]["erp"].clone(),
        "vscode" => doc["servers"]["erp"].clone(),
        "zed" => doc["context_servers"]["erp"].clone(),
        "codex" => doc["mcp_servers"]["erp"].clone(),
        _ => doc["mcpServers"]["erp"].clone(),
    };
    let (cmd, env) = if host.id == "goose" { ("cmd", "envs") } else { ("command", "env") };
    let args = entry["args"].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect());
    let env = entry[env].as_object().map(|e| e.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())));
    (entry[cmd].as_str().unwrap().to_string(), args.unwrap_or_default(), env.into_iter().flatten().collect())
}

async fn launch_and_list(h: &Home, (cmd, args, env): (String, Vec<String>, Vec<(String, String)>)) -> usize {
    let run = h.env.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let mut c = Command::new(cmd);
    c.args(args).envs(env).env("ERP_HELPER_SOCKET", run.join("erp.sock")).env("ERP_MCP_NO_AUTOSTART", "1");
    let mcp = start_mcp(c, "host-check").await;
    mcp.client.list_all_tools().await.unwrap().len()
}

fn install(h: &Home, host: &Host, case: Option<&str>) -> PathBuf {
    let file = host.file(&h.dirs);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    if let Some(case) = case {
        std::fs::copy(fixtures().join(host.id).join(format!("{case}.{}", ext(host))), &file).unwrap();
    }
    file
}

async fn one_host(host: &'static Host) {
    let tools = erp_proto::catalogue().len();
    for case in ["empty", "others", "comments"] {
        let h = home();
        let file = install(&h, host, (case != "empty").then_some(case));
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        if case == "others" {
            // A config only its user may read (Claude Code's holds its account): so must its backup be.
            std::fs::set_permissions(&file, private).unwrap();
        }
        let before = std::fs::read_to_string(&file).ok();
        let printed = connect(&h, &[host.id, "--print"]);
        assert!(printed.status.success(), "{}", said(&printed));
        assert_eq!(std::fs::read_to_string(&file).ok(), before, "--print wrote something");
        let out = connect(&h, &[host.id]);
        assert!(out.status.success() && said(&out).contains("Connected"), "{}: {}", host.id, said(&out));
        let written = std::fs::read_to_string(&file).unwrap();
        assert_expected(host, case, &written);
        let shown: String = String::from_utf8_lossy(&printed.stdout)
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with("# Or "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(shown, written, "{}: --print must show what is written", host.id);
        if let Some(before) = &before {
            let backup = format!("{}.erp-helper.bak", file.display());
            assert_eq!(&std::fs::read_to_string(&backup).unwrap(), before, "the old file is backed up");
            if case == "others" {
                use std::os::unix::fs::PermissionsExt;
                let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
                assert_eq!((mode(&file), mode(Path::new(&backup))), (0o600, 0o600), "{}", host.id);
            }
        }
        // Idempotent: nothing changes the second time.
        let again = connect(&h, &[host.id]);
        assert!(said(&again).contains("already connected"), "{}", said(&again));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
        // The host reads it, and what it would launch is a working erp-mcp.
        let doc = read_as_host(host, &written, case == "comments");
        let spec = launch_spec(host, &doc);
        assert_eq!(spec.0, shim(), "{}: an absolute path to erp-mcp", host.id);
        assert_eq!(launch_and_list(&h, spec).await, tools, "{}", host.id);
        let list = said(&connect(&h, &["--list"]));
        let line = list.lines().find(|l| l.starts_with(&format!("{} ", host.id))).unwrap().to_string();
        assert!(line.contains(" connected "), "{line}");
        if case == "others" {
            // Every other server and setting is kept; --remove gives them back as they were.
            let removed = connect(&h, &[host.id, "--remove"]);
            assert!(said(&removed).contains("Disconnected"), "{}", said(&removed));
            let original = read_as_host(host, before.as_deref().unwrap(), false);
            let now = read_as_host(host, &std::fs::read_to_string(&file).unwrap(), false);
            assert_eq!(now, original, "{}: --remove", host.id);
        }
    }
    for (case, why) in [("broken", "does not parse"), ("others", "read-only")] {
        let h = home();
        let file = install(&h, host, Some(case));
        if case == "others" {
            std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o444)).unwrap();
        }
        let before = std::fs::read(&file).unwrap();
        let out = connect(&h, &[host.id]);
        assert!(!out.status.success() && said(&out).contains(why), "{} {case}: {}", host.id, said(&out));
        assert_eq!(std::fs::read(&file).unwrap(), before, "{} {case}: the file was touched", host.id);
        assert!(!Path::new(&format!("{}.erp-helper.bak", file.display())).exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_host_gets_its_own_file_format_and_entry_and_launches_the_shim() {
    for host in HOSTS {
        one_host(host).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_tells_not_installed_not_connected_another_and_missing() {
    let h = home();
    let list = said(&connect(&h, &["--list"]));
    assert!(list.lines().all(|l| l.contains("not installed")), "{list}");
    let cursor = erp_core::connect::host("cursor").unwrap();
    let file = install(&h, cursor, None);
    let state = |h: &Home| {
        let list = said(&connect(h, &["--list"]));
        list.lines().find(|l| l.starts_with("cursor ")).unwrap().to_string()
    };
    assert!(state(&h).contains("not connected"), "{}", state(&h));
    std::fs::write(&file, r#"{"mcpServers": {"erp": {"command": "/opt/gone/erp-mcp"}}}"#).unwrap();
    assert!(state(&h).contains("connected to a missing erp-mcp (/opt/gone/erp-mcp)"), "{}", state(&h));
    std::fs::write(&file, r#"{"mcpServers": {"erp": {"command": "/bin/true"}}}"#).unwrap();
    assert!(state(&h).contains("connected to another erp-mcp (/bin/true)"), "{}", state(&h));
    // Connecting repairs it, keeping the rest of the entry's file.
    assert!(connect(&h, &["cursor"]).status.success());
    assert!(state(&h).contains(" connected "), "{}", state(&h));
    let unknown = connect(&h, &["notepad"]);
    assert!(!unknown.status.success() && said(&unknown).contains("known hosts: cursor, claude"), "{}", said(&unknown));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_claude_desktop_bundle_passes_the_official_validator_and_its_server_serves() {
    let h = home();
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("support");
    let mcpb = support.join("node_modules/.bin/mcpb");
    assert!(mcpb.exists(), "run scripts/setup.sh (npm ci in tests/support)");
    let bundle = h.env.path().join("erp-helper.mcpb");
    let out = connect(&h, &["claude", "--mcpb", bundle.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    // Unpacked and validated by the MCPB project's own CLI (npm @anthropic-ai/mcpb, pinned).
    let dir = h.env.path().join("unpacked");
    let unpack = Command::new(&mcpb).arg("unpack").arg(&bundle).arg(&dir).output().unwrap();
    assert!(unpack.status.success(), "{}", said(&unpack));
    let valid = Command::new(&mcpb).arg("validate").arg(dir.join("manifest.json")).output().unwrap();
    assert!(valid.status.success() && said(&valid).contains("validation passes"), "{}", said(&valid));
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["tools"].as_array().unwrap().len(), erp_proto::catalogue().len());
    // What Claude Desktop runs: the manifest's command, ${__dirname} being where it unpacked.
    let config = &manifest["server"]["mcp_config"];
    let command = config["command"].as_str().unwrap().replace("${__dirname}", dir.to_str().unwrap());
    let args = config["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
    let tools = launch_and_list(&h, (command, args, Vec::new())).await;
    assert_eq!(tools, erp_proto::catalogue().len());
    let refused = connect(&h, &["cursor", "--mcpb", bundle.to_str().unwrap()]);
    assert!(!refused.status.success() && said(&refused).contains("Claude Desktop's bundle"), "{}", said(&refused));
}
