//! Connecting MCP hosts: each host's own config file, key and format, the
//! entry that starts `erp-mcp` (by absolute path), and a careful writer:
//! merge (every other server and setting kept), comments kept where the
//! format has them (JSONC, TOML), the old file backed up, the new one written
//! atomically, nothing written when nothing changes, and a file that does not
//! parse (or is read-only) reported and never touched.
//! Not here: the command line (`erp-helper connect`) or the tray.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The server's name in every host's config.
pub const SERVER: &str = "erp";

/// How a host's file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON, or JSON with comments: edited in place, comments kept.
    Json,
    /// YAML: rewritten (its comments are not kept; the backup has them).
    Yaml,
    /// TOML: edited in place, comments kept.
    Toml,
}

/// Where the entry sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{ KEY: { "erp": ENTRY } }`
    Map(&'static str),
    /// Continue: `mcpServers: [ { name: erp, … } ]`
    List(&'static str),
}

/// One MCP host.
#[derive(Debug, Clone, Copy)]
pub struct Host {
    /// The name `erp-helper connect` takes.
    pub id: &'static str,
    /// The name people know it by.
    pub name: &'static str,
    /// Its file's format.
    pub format: Format,
    shape: Shape,
    /// The file, from the user's directories.
    file: fn(&Dirs) -> PathBuf,
    /// A directory that exists once the host is installed (or has run).
    installed: fn(&Dirs) -> PathBuf,
    /// The entry for `erp-mcp` at this path.
    entry: fn(&str) -> Value,
}

/// The user's directories, as each host finds its files.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Home.
    pub home: PathBuf,
    /// The per-user config directory (`XDG_CONFIG_HOME`, `~/Library/Application
    /// Support`, `%APPDATA%`).
    pub config: PathBuf,
    /// Windows' `%LOCALAPPDATA%` (the packaged Claude Desktop's files).
    pub local: PathBuf,
}

impl Dirs {
    /// This user's.
    pub fn current() -> Option<Self> {
        let home = dirs::home_dir()?;
        let config = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
        let local = dirs::data_local_dir().unwrap_or_else(|| config.clone());
        Some(Self { home, config, local })
    }
}

fn plain(exe: &str) -> Value {
    json!({"command": exe, "args": []})
}

/// The file Claude Desktop reads. The packaged (MSIX) app on Windows reads
/// its own copy under `%LOCALAPPDATA%\Packages`, not `%APPDATA%`.
fn claude_desktop_file(d: &Dirs) -> PathBuf {
    let msix = d.local.join("Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude");
    if cfg!(windows) && msix.is_dir() {
        return msix.join("claude_desktop_config.json");
    }
    d.config.join("Claude/claude_desktop_config.json")
}

/// Every host `erp-helper connect` knows.
pub const HOSTS: &[Host] = &[
    Host {
        id: "cursor",
        name: "Cursor",
        format: Format::Json,
        shape: Shape::Map("mcpServers"),
        file: |d| d.home.join(".cursor/mcp.json"),
        installed: |d| d.home.join(".cursor"),
        entry: plain,
    },
    Host {
        id: "claude",
        name: "Claude Desktop",
        format: Format::Json,
        shape: Shape::Map("mcpServers"),
        file: claude_desktop_file,
        installed: |d| claude_desktop_file(d).parent().map(Path::to_path_buf).unwrap_or_default(),
        entry: plain,
    },
    Host {
        id: "vscode",
        name: "VS Code",
        format: Format::Json,
        shape: Shape::Map("servers"),
        file: |d| d.config.join("Code/User/mcp.json"),
        installed: |d| d.config.join("Code/User"),
        entry: |exe| json!({"type": "stdio", "command": exe, "args": []}),
    },
    Host {
        id: "windsurf",
        name: "Windsurf",
        format: Format::Json,
        shape: Shape::Map("mcpServers"),
        file: |d| d.home.join(".codeium/windsurf/mcp_config.json"),
        installed: |d| d.home.join(".codeium/windsurf"),
        entry: plain,
    },
    Host {
        id: "claude-code",
        name: "Claude Code",
        format: Format::Json,
        // What `claude mcp add --scope user` writes: every project sees it.
        shape: Shape::Map("mcpServers"),
        file: |d| d.home.join(".claude.json"),
        installed: |d| d.home.join(".claude"),
        entry: |exe| json!({"type": "stdio", "command": exe, "args": [], "env": {}}),
    },
    Host {
        id: "zed",
        name: "Zed",
        format: Format::Json,
        shape: Shape::Map("context_servers"),
        file: |d| d.config.join("zed/settings.json"),
        installed: |d| d.config.join("zed"),
        entry: |exe| json!({"source": "custom", "command": exe, "args": [], "env": {}}),
    },
    Host {
        id: "cline",
        name: "Cline",
        format: Format::Json,
        shape: Shape::Map("mcpServers"),
        file: |d| d.config.join("Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json"),
        installed: |d| d.config.join("Code/User/globalStorage/saoudrizwan.claude-dev"),
        entry: |exe| json!({"command": exe, "args": [], "disabled": false}),
    },
    Host {
        id: "continue",
        name: "Continue",
        format: Format::Yaml,
        shape: Shape::List("mcpServers"),
        file: |d| d.home.join(".continue/config.yaml"),
        installed: |d| d.home.join(".continue"),
        entry: |exe| json!({"name": SERVER, "command": exe, "args": []}),
    },
    Host {
        id: "goose",
        name: "Goose",
        format: Format::Yaml,
        shape: Shape::Map("extensions"),
        file: |d| d.config.join("goose/config.yaml"),
        installed: |d| d.config.join("goose"),
        entry: |exe| json!({"name": SERVER, "type": "stdio", "cmd": exe, "args": [], "enabled": true, "timeout": 300, "envs": {}}),
    },
    Host {
        id: "lmstudio",
        name: "LM Studio",
        format: Format::Json,
        shape: Shape::Map("mcpServers"),
        file: |d| d.home.join(".lmstudio/mcp.json"),
        installed: |d| d.home.join(".lmstudio"),
        entry: plain,
    },
    Host {
        id: "codex",
        name: "Codex CLI",
        format: Format::Toml,
        shape: Shape::Map("mcp_servers"),
        file: |d| d.home.join(".codex/config.toml"),
        installed: |d| d.home.join(".codex"),
        entry: plain,
    },
];

/// The host named `id` (a few other spellings too), or an error listing them.
pub fn host(id: &str) -> Result<&'static Host, String> {
    let id = match id.to_ascii_lowercase().as_str() {
        "claude-desktop" => "claude".to_string(),
        "code" | "vs-code" => "vscode".to_string(),
        "lm-studio" => "lmstudio".to_string(),
        "codex-cli" => "codex".to_string(),
        other => other.to_string(),
    };
    HOSTS.iter().find(|h| h.id == id).ok_or_else(|| {
        let ids: Vec<&str> = HOSTS.iter().map(|h| h.id).collect();
        format!("unknown host {}; known hosts: {}", crate::error::shown(&id), ids.join(", "))
    })
}

/// What a host's config says about ERP Helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The host is not on this computer.
    NotInstalled,
    /// Installed, and no `erp` server in its config.
    NotConnected,
    /// Its `erp` server is this `erp-mcp`.
    Connected,
    /// Its `erp` server is another program that exists.
    ConnectedToAnother(String),
    /// Its `erp` server is a program that is not there.
    Missing(String),
    /// Its config does not parse.
    Unreadable(String),
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotInstalled => write!(f, "not installed"),
            Self::NotConnected => write!(f, "not connected"),
            Self::Connected => write!(f, "connected"),
            Self::ConnectedToAnother(c) => write!(f, "connected to another erp-mcp ({c})"),
            Self::Missing(c) => write!(f, "connected to a missing erp-mcp ({c})"),
            Self::Unreadable(why) => write!(f, "config does not parse ({why})"),
        }
    }
}

/// A change to one host's config, ready to write (or to print).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The host.
    pub host: &'static Host,
    /// Its file.
    pub path: PathBuf,
    /// The file now, if it exists.
    pub old: Option<String>,
    /// The file after the change.
    pub new: String,
}

impl Plan {
    /// Whether writing would change anything.
    pub fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_str())
    }
}

/// Why a config cannot be changed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// It does not parse: never overwritten.
    #[error("{path} does not parse ({why}); it was left as it is. Fix it (or move it away), then run this again.")]
    Unparseable {
        /// The file.
        path: String,
        /// The parser's words.
        why: String,
    },
    /// It is read-only: respected.
    #[error(
        "{path} is read-only; it was left as it is. Make it writable (chmod u+w) to connect, or add the server by hand."
    )]
    ReadOnly {
        /// The file.
        path: String,
    },
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
}

fn parse_error(path: &Path, why: impl std::fmt::Display) -> ConnectError {
    ConnectError::Unparseable { path: path.display().to_string(), why: crate::error::capped(&why.to_string()) }
}

impl Host {
    /// Its config file for `dirs`.
    pub fn file(&self, dirs: &Dirs) -> PathBuf {
        (self.file)(dirs)
    }

    /// Whether it is on this computer.
    pub fn is_installed(&self, dirs: &Dirs) -> bool {
        (self.installed)(dirs).is_dir() || self.file(dirs).is_file()
    }

    /// The entry for `erp-mcp` at `exe`.
    pub fn entry(&self, exe: &str) -> Value {
        (self.entry)(exe)
    }

    /// The host's own way to add the server, where it has one (an install
    /// link, or its command line).
    pub fn own_way(&self, exe: &str) -> Option<String> {
        use base64::Engine;
        let b64 = |v: Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
        let quoted = erp_proto::hosts::shell_quote(exe);
        match self.id {
            "cursor" => Some(format!(
                "cursor://anysphere.cursor-deeplink/mcp/install?name={SERVER}&config={}",
                b64(self.entry(exe))
            )),
            "lmstudio" => Some(format!("lmstudio://add_mcp?name={SERVER}&config={}", b64(self.entry(exe)))),
            "vscode" => {
                let spec = json!({"name": SERVER, "type": "stdio", "command": exe, "args": []});
                Some(format!("code --add-mcp {}", erp_proto::hosts::shell_quote(&spec.to_string())))
            }
            "claude-code" => Some(format!("claude mcp add --scope user {SERVER} -- {quoted}")),
            _ => None,
        }
    }

    /// What its config says about ERP Helper, `exe` being this `erp-mcp`.
    pub fn state(&self, dirs: &Dirs, exe: &str) -> State {
        if !self.is_installed(dirs) {
            return State::NotInstalled;
        }
        let path = self.file(dirs);
        let Ok(text) = std::fs::read_to_string(&path) else { return State::NotConnected };
        match self.read(&path, &text) {
            Err(e) => State::Unreadable(e.to_string()),
            Ok(doc) => match self.server(&doc).and_then(|s| s.get(self.command_key()).cloned()) {
                None => State::NotConnected,
                Some(Value::String(c)) if c == exe => State::Connected,
                Some(Value::String(c)) if Path::new(&c).is_file() => State::ConnectedToAnother(c),
                Some(other) => State::Missing(other.as_str().map(str::to_string).unwrap_or_else(|| other.to_string())),
            },
        }
    }

    fn command_key(&self) -> &'static str {
        if self.id == "goose" { "cmd" } else { "command" }
    }

    /// The file read the way the host reads it, as JSON.
    pub fn read(&self, path: &Path, text: &str) -> Result<Value, ConnectError> {
        if text.trim().is_empty() {
            return Ok(json!({}));
        }
        let doc: Value = match self.format {
            Format::Json => {
                jsonc_parser::parse_to_serde_value(text, &Default::default()).map_err(|e| parse_error(path, e))?
            }
            Format::Yaml => serde_yaml_ng::from_str(text).map_err(|e| parse_error(path, e))?,
            // Codex reads it with the `toml` crate: so do we.
            Format::Toml => toml::from_str(text).map_err(|e| parse_error(path, e))?,
        };
        match doc {
            Value::Object(_) => Ok(doc),
            Value::Null => Ok(json!({})),
            _ => Err(parse_error(path, "the file is not a map of settings")),
        }
    }

    /// Our server's entry in a document read by [`Self::read`].
    pub fn server<'a>(&self, doc: &'a Value) -> Option<&'a Value> {
        match self.shape {
            Shape::Map(key) => doc.get(key)?.get(SERVER),
            Shape::List(key) => doc.get(key)?.as_array()?.iter().find(|s| s.get("name") == Some(&json!(SERVER))),
        }
    }

    /// The change that connects `exe` (or, with `remove`, disconnects).
    pub fn plan(&'static self, dirs: &Dirs, exe: &str, remove: bool) -> Result<Plan, ConnectError> {
        let path = self.file(dirs);
        let old = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(ConnectError::Io(format!("read {}: {e}", path.display()))),
        };
        let text = old.clone().unwrap_or_default();
        // Parse first the way the host would: a file it cannot read is never rewritten.
        self.read(&path, &text)?;
        let entry = (!remove).then(|| self.entry(exe));
        let new = match self.format {
            Format::Json => edit::json(&text, self.shape, entry.as_ref()).map_err(|e| parse_error(&path, e))?,
            Format::Yaml => edit::yaml(&text, self.shape, entry.as_ref()).map_err(|e| parse_error(&path, e))?,
            Format::Toml => edit::toml(&text, self.shape, entry.as_ref()).map_err(|e| parse_error(&path, e))?,
        };
        // Removing from a file that had nothing of ours leaves it as it was (or absent).
        let new = if old.is_none() && remove { String::new() } else { new };
        Ok(Plan { host: self, path, old, new })
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Nothing to change.
    Unchanged,
    /// Written; the old file (if any) was kept at this path.
    Written {
        /// The backup, when there was a file before.
        backup: Option<PathBuf>,
    },
}

/// Write a plan: back up the old file, write the new one beside it and
/// rename it over (so a host never reads half a file), keeping its mode.
pub fn apply(plan: &Plan) -> Result<Applied, ConnectError> {
    if !plan.changes() || (plan.old.is_none() && plan.new.is_empty()) {
        return Ok(Applied::Unchanged);
    }
    let io = |what: &str, e: std::io::Error| ConnectError::Io(format!("{what} {}: {e}", plan.path.display()));
    let meta = std::fs::metadata(&plan.path).ok();
    if meta.as_ref().is_some_and(|m| m.permissions().readonly()) {
        return Err(ConnectError::ReadOnly { path: plan.path.display().to_string() });
    }
    let dir =
        plan.path.parent().ok_or_else(|| ConnectError::Io(format!("{} has no directory", plan.path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    let backup = match &plan.old {
        Some(old) => {
            let name = format!("{}.erp-helper.bak", plan.path.file_name().unwrap_or_default().to_string_lossy());
            let backup = dir.join(name);
            std::fs::write(&backup, old).map_err(|e| io("back up", e))?;
            // A config may hold a host's own secrets: its copy is no more readable than it.
            if let Some(m) = &meta {
                std::fs::set_permissions(&backup, m.permissions()).map_err(|e| io("back up", e))?;
            }
            Some(backup)
        }
        None => None,
    };
    let tmp = dir.join(format!(
        ".{}.erp-helper.{}",
        plan.path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, &plan.new).map_err(|e| io("write beside", e))?;
    if let Some(m) = &meta {
        let _ = std::fs::set_permissions(&tmp, m.permissions());
    }
    std::fs::rename(&tmp, &plan.path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("replace", e)
    })?;
    Ok(Applied::Written { backup })
}

/// The manifest of Claude Desktop's `.mcpb` bundle for this `erp-mcp` (MCPB
/// manifest 0.3: the binary inside the bundle, the tools it serves).
pub fn mcpb_manifest(version: &str) -> Value {
    let entry = if cfg!(windows) { "server/erp-mcp.exe" } else { "server/erp-mcp" };
    let platform = if cfg!(windows) {
        "win32"
    } else if cfg!(target_os = "macos") {
        "darwin"
    } else {
        "linux"
    };
    let tools: Vec<Value> =
        erp_proto::catalogue().iter().map(|t| json!({"name": t.name, "description": t.description})).collect();
    json!({
        "manifest_version": "0.3",
        "name": "erp-helper",
        "display_name": "ERP Helper",
        "version": version,
        "description": "Read and fill your ERP time logs from Claude. The ERP Helper app signs you in and makes \
                        every ERP call; no token ever reaches the chat.",
        "author": {"name": "ERP Helper"},
        "license": "MIT",
        "server": {
            "type": "binary",
            "entry_point": entry,
            "mcp_config": {"command": format!("${{__dirname}}/{entry}"), "args": [], "env": {}},
        },
        "tools": tools,
        "compatibility": {"platforms": [platform]},
    })
}

/// Write Claude Desktop's `.mcpb` bundle to `out`: the manifest and a copy
/// of the `erp-mcp` at `shim` (executable). Opening the file installs it.
pub fn write_mcpb(out: &Path, shim: &Path, version: &str) -> Result<(), ConnectError> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let io = |what: &str, e: &dyn std::fmt::Display| ConnectError::Io(format!("{what}: {e}"));
    let binary = std::fs::read(shim).map_err(|e| io(&format!("read {}", shim.display()), &e))?;
    let manifest = mcpb_manifest(version);
    let entry = manifest["server"]["entry_point"].as_str().unwrap_or("server/erp-mcp").to_string();
    let tmp = out.with_extension("mcpb.partial");
    let file = std::fs::File::create(&tmp).map_err(|e| io(&format!("create {}", tmp.display()), &e))?;
    let mut zip = zip::ZipWriter::new(file);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    let written = (|| -> zip::result::ZipResult<()> {
        zip.start_file("manifest.json", stored.unix_permissions(0o644))?;
        zip.write_all(text.as_bytes())?;
        zip.start_file(entry.as_str(), stored.unix_permissions(0o755))?;
        zip.write_all(&binary)?;
        zip.finish()?;
        Ok(())
    })();
    written.map_err(|e| io("write the bundle", &e))?;
    std::fs::rename(&tmp, out).map_err(|e| io(&format!("write {}", out.display()), &e))
}

/// The three editors: each takes the file's text and returns it with our
/// entry set (or removed), everything else as it was.
mod edit {
    use jsonc_parser::cst::{CstInputValue, CstRootNode};
    use serde_json::Value;

    use super::{SERVER, Shape};

    fn input(v: &Value) -> CstInputValue {
        match v {
            Value::Null => CstInputValue::Null,
            Value::Bool(b) => CstInputValue::Bool(*b),
            Value::Number(n) => CstInputValue::Number(n.to_string()),
            Value::String(s) => CstInputValue::String(s.clone()),
            Value::Array(a) => CstInputValue::Array(a.iter().map(input).collect()),
            Value::Object(o) => CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), input(v))).collect()),
        }
    }

    pub(super) fn json(text: &str, shape: Shape, entry: Option<&Value>) -> Result<String, String> {
        let Shape::Map(key) = shape else { return Err("a list of servers in JSON".into()) };
        let root = CstRootNode::parse(text, &Default::default()).map_err(|e| e.to_string())?;
        let top = root.object_value_or_create().ok_or("the file is not a map of settings")?;
        match entry {
            Some(entry) => {
                let servers = top.object_value_or_create(key).ok_or_else(|| format!("{key} is not a map"))?;
                match servers.get(SERVER) {
                    Some(prop) => prop.set_value(input(entry)),
                    None => {
                        servers.append(SERVER, input(entry));
                    }
                }
            }
            None => {
                if let Some(prop) = top.object_value(key).and_then(|s| s.get(SERVER)) {
                    prop.remove();
                }
            }
        }
        let mut out = root.to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
    }

    pub(super) fn yaml(text: &str, shape: Shape, entry: Option<&Value>) -> Result<String, String> {
        let mut doc: Value = if text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?
        };
        let top = doc.as_object_mut().ok_or("the file is not a map of settings")?;
        match shape {
            Shape::Map(key) => {
                let servers = top.entry(key).or_insert_with(|| Value::Object(Default::default()));
                let servers = servers.as_object_mut().ok_or_else(|| format!("{key} is not a map"))?;
                match entry {
                    Some(e) => {
                        servers.insert(SERVER.into(), e.clone());
                    }
                    None => {
                        servers.shift_remove(SERVER);
                    }
                }
            }
            Shape::List(key) => {
                if text.trim().is_empty() {
                    // Continue reads a config.yaml only with these three.
                    top.insert("name".into(), "Local config".into());
                    top.insert("version".into(), "1.0.0".into());
                    top.insert("schema".into(), "v1".into());
                }
                let servers = top.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                let servers = servers.as_array_mut().ok_or_else(|| format!("{key} is not a list"))?;
                let ours = |s: &Value| s.get("name").and_then(Value::as_str) == Some(SERVER);
                match (entry, servers.iter().position(ours)) {
                    (Some(e), Some(i)) => servers[i] = e.clone(),
                    (Some(e), None) => servers.push(e.clone()),
                    (None, Some(i)) => {
                        servers.remove(i);
                    }
                    (None, None) => {}
                }
            }
        }
        if text.trim().is_empty() && entry.is_none() {
            return Ok(String::new());
        }
        let new = serde_yaml_ng::to_string(&doc).map_err(|e| e.to_string())?;
        // Unchanged content keeps the user's text (and its comments) as it was.
        let before: Option<Value> = serde_yaml_ng::from_str(text).ok();
        Ok(if before.as_ref() == Some(&doc) { text.to_string() } else { new })
    }

    pub(super) fn toml(text: &str, shape: Shape, entry: Option<&Value>) -> Result<String, String> {
        let Shape::Map(key) = shape else { return Err("a list of servers in TOML".into()) };
        let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
        match entry {
            Some(entry) => {
                let servers = doc.entry(key).or_insert_with(|| {
                    let mut t = toml_edit::Table::new();
                    t.set_implicit(true);
                    toml_edit::Item::Table(t)
                });
                let servers = servers.as_table_mut().ok_or_else(|| format!("{key} is not a table"))?;
                let mut table = toml_edit::Table::new();
                for (k, v) in entry.as_object().into_iter().flatten() {
                    table.insert(k, toml_edit::value(toml_value(v)?));
                }
                servers.insert(SERVER, toml_edit::Item::Table(table));
            }
            None => {
                if let Some(servers) = doc.get_mut(key).and_then(toml_edit::Item::as_table_mut) {
                    servers.remove(SERVER);
                }
            }
        }
        Ok(doc.to_string())
    }

    fn toml_value(v: &Value) -> Result<toml_edit::Value, String> {
        Ok(match v {
            Value::String(s) => s.as_str().into(),
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => n.as_i64().ok_or("a number TOML cannot hold")?.into(),
            Value::Array(a) => a.iter().map(toml_value).collect::<Result<toml_edit::Array, _>>()?.into(),
            Value::Object(o) => {
                let mut t = toml_edit::InlineTable::new();
                for (k, v) in o {
                    t.insert(k, toml_value(v)?);
                }
                t.into()
            }
            Value::Null => return Err("a null in TOML".into()),
        })
    }
}
