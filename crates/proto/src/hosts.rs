//! The MCP hosts ERP Helper knows and the config snippet each wants, pointing
//! at `erp-mcp` by absolute path. One place: `erp-mcp config <host>` and the
//! app's demo banner print these. Pure text: nothing here reads or writes files.

use std::path::Path;

use serde_json::json;

/// Hosts we know how to configure.
pub const HOSTS: &[&str] = &["cursor", "claude", "vscode", "windsurf", "claude-code"];

/// The file Claude Desktop reads on this OS.
const CLAUDE_DESKTOP_CONFIG: &str = if cfg!(target_os = "macos") {
    "~/Library/Application Support/Claude/claude_desktop_config.json"
} else if cfg!(windows) {
    "%APPDATA%\\Claude\\claude_desktop_config.json"
} else {
    "~/.config/Claude/claude_desktop_config.json"
};

/// The name a person knows an MCP host by, from the client name its
/// handshake gave ("claude-ai" is Claude, "cursor-vscode" is Cursor). An
/// unknown name is shown as given, without control characters, at most 40
/// characters: it is the host's own text, shown on pages and in windows.
pub fn display_name(client_name: &str) -> String {
    let known = match client_name.trim().to_ascii_lowercase().as_str() {
        "cursor" | "cursor-vscode" => "Cursor",
        "claude-ai" | "claude" | "claude-desktop" => "Claude",
        "claude-code" => "Claude Code",
        "visual studio code" | "vscode" | "code" => "VS Code",
        "windsurf" | "windsurf-client" => "Windsurf",
        "zed" => "Zed",
        "cline" => "Cline",
        "continue" | "continue-client" => "Continue",
        "goose" => "Goose",
        "lm studio" | "lm-studio" | "lmstudio" => "LM Studio",
        "codex" | "codex-mcp-client" => "Codex",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let shown: String = client_name.chars().filter(|c| !c.is_control()).take(40).collect();
    match shown.trim() {
        "" => "your editor".to_string(),
        s => s.to_string(),
    }
}

/// The config text for `host`, pointing at `exe`.
pub fn snippet(host: &str, exe: &Path) -> Result<String, String> {
    let command = exe.display().to_string();
    let mcp_servers = || json!({"mcpServers": {"erp": {"command": command, "args": []}}});
    let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).expect("serialisable");
    match host.to_lowercase().as_str() {
        "cursor" => Ok(format!("// ~/.cursor/mcp.json\n{}", pretty(mcp_servers()))),
        "claude" | "claude-desktop" => Ok(format!("// {}\n{}", CLAUDE_DESKTOP_CONFIG, pretty(mcp_servers()))),
        "windsurf" => Ok(format!("// ~/.codeium/windsurf/mcp_config.json\n{}", pretty(mcp_servers()))),
        "vscode" | "code" => Ok(format!(
            "// .vscode/mcp.json (or your user mcp.json)\n{}",
            pretty(json!({"servers": {"erp": {"type": "stdio", "command": command, "args": []}}}))
        )),
        // --scope user: every project, not only the one the command runs in.
        "claude-code" => Ok(format!("claude mcp add --scope user erp -- {}", shell_quote(&command))),
        other => Err(format!("unknown host {other:?}; known hosts: {}", HOSTS.join(", "))),
    }
}

/// `s` quoted for a POSIX shell, when it needs it.
pub fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_named_as_people_know_them() {
        assert_eq!(display_name("claude-ai"), "Claude");
        assert_eq!(display_name("cursor-vscode"), "Cursor");
        assert_eq!(display_name("Visual Studio Code"), "VS Code");
        assert_eq!(display_name("my-host"), "my-host");
        assert_eq!(display_name("evil\n\u{1b}[2Jhost"), "evil[2Jhost");
        assert_eq!(display_name(&"x".repeat(500)).len(), 40);
        assert_eq!(display_name("  "), "your editor");
    }

    #[test]
    fn every_host_has_a_snippet_with_the_absolute_path() {
        for h in HOSTS {
            let s = snippet(h, Path::new("/opt/erp helper/erp-mcp")).unwrap();
            assert!(s.contains("/opt/erp helper/erp-mcp"), "{h}: {s}");
        }
        assert!(snippet("notepad", Path::new("/x")).unwrap_err().contains("known hosts"));
        assert!(snippet("claude-code", Path::new("/x")).unwrap().starts_with("claude mcp add --scope user erp -- "));
        assert!(
            snippet("claude", Path::new("/x")).unwrap().starts_with("// ~/.config/Claude/claude_desktop_config.json")
        );
    }
}
