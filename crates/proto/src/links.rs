//! The `erp-helper://` links: the ones the product hands out, and the strict
//! reading of a link the desktop delivers. A link is hostile input (any web
//! page can make the browser open one), so anything but exactly these forms is
//! refused with a reason, never acted on:
//!
//! - `erp-helper://signin`, optionally `?method=google|erp-page|token`
//! - `erp-helper://status`, `erp-helper://allowlist`, `erp-helper://activity`
//!
//! A trailing `/` is accepted; nothing else is (no path, user, port, fragment
//! or other query field). Pure: opening what a link names is the app's job.

use crate::tools::SignInMethod;

/// The scheme, without `://`.
pub const SCHEME: &str = "erp-helper";

/// The longest link read at all; the real ones are under 40 bytes.
pub const MAX_LINK_BYTES: usize = 256;

/// What a link asks the app to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Sign in, by this method or the default one.
    SignIn(Option<SignInMethod>),
    /// The status window.
    Status,
    /// The authorized-users window.
    Allowlist,
    /// The activity window.
    Activity,
}

/// Whether a command-line argument is meant as an `erp-helper:` link (it is
/// then read with [`Link::parse`], which may still refuse it). Never panics,
/// whatever the bytes.
pub fn looks_like_link(arg: &str) -> bool {
    let prefix = "erp-helper:";
    arg.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

impl Link {
    /// The link's text, as the product hands it out.
    pub fn to_url(self) -> String {
        let method = |m: SignInMethod| match m {
            SignInMethod::Google => "google",
            SignInMethod::ErpPage => "erp-page",
            SignInMethod::Token => "token",
        };
        match self {
            Self::SignIn(None) => format!("{SCHEME}://signin"),
            Self::SignIn(Some(m)) => format!("{SCHEME}://signin?method={}", method(m)),
            Self::Status => format!("{SCHEME}://status"),
            Self::Allowlist => format!("{SCHEME}://allowlist"),
            Self::Activity => format!("{SCHEME}://activity"),
        }
    }

    /// Read a link; the error says why it is refused (without echoing it).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.len() > MAX_LINK_BYTES {
            return Err("too long");
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("control characters or spaces");
        }
        let (scheme, rest) = raw.split_once("://").ok_or("not an erp-helper:// link")?;
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err("not an erp-helper:// link");
        }
        if rest.contains('#') {
            return Err("a fragment");
        }
        let (target, query) = match rest.split_once('?') {
            Some((t, q)) => (t, Some(q)),
            None => (rest, None),
        };
        let name = target.strip_suffix('/').unwrap_or(target);
        let link = match name.to_ascii_lowercase().as_str() {
            "signin" => Self::SignIn(sign_in_method(query)?),
            "status" => Self::Status,
            "allowlist" => Self::Allowlist,
            "activity" => Self::Activity,
            _ if name.contains(['/', '@', ':', '\\', '%']) => return Err("a path, user, port or escape"),
            _ => return Err("an unknown target"),
        };
        if query.is_some() && !matches!(link, Self::SignIn(_)) {
            return Err("a query where none is read");
        }
        Ok(link)
    }
}

/// The per-user desktop entry that makes the desktop hand `erp-helper://`
/// links to `exe` (Linux; written by the app at start, again when it moves).
pub const DESKTOP_FILE: &str = "erp-helper-handler.desktop";

/// The MIME type the desktop knows the scheme by.
pub const MIME_TYPE: &str = "x-scheme-handler/erp-helper";

/// The text of [`DESKTOP_FILE`] for the program at `exe`. The Exec key is
/// quoted only when the path needs it (the Desktop Entry rules: reserved
/// characters quoted, `"`, `` ` ``, `$` and `\` escaped inside, `%` doubled),
/// because some `xdg-open`s (Debian 12's) refuse a quoted program they could
/// run unquoted.
pub fn desktop_entry(exe: &str) -> String {
    let plain = !exe.is_empty() && exe.chars().all(|c| c.is_ascii_alphanumeric() || "/._+-,:=@".contains(c));
    let program = if plain {
        exe.to_string()
    } else {
        let mut quoted = String::from("\"");
        for c in exe.chars() {
            match c {
                '"' | '`' | '$' => quoted.push_str(&format!("\\{c}")),
                // A backslash is escaped for the quoting, then again for the file's string type.
                '\\' => quoted.push_str("\\\\\\\\"),
                '%' => quoted.push_str("%%"),
                '\n' | '\r' | '\t' => quoted.push(' '),
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        quoted
    };
    format!(
        "[Desktop Entry]\nType=Application\nName=ERP Helper\nComment=Opens erp-helper:// links in ERP Helper\n\
         Exec={program} %u\nTerminal=false\nNoDisplay=true\nMimeType={MIME_TYPE};\n"
    )
}

/// The program a desktop entry's `Exec` line runs (its first word, quotes
/// removed), or `None` when the entry has no `Exec` in its `[Desktop Entry]`
/// group. Used to tell whether the desktop's handler for our links (a
/// package's entry, say) already runs this program.
pub fn exec_program(entry: &str) -> Option<String> {
    let mut in_main = false;
    for line in entry.lines().map(str::trim) {
        if line.starts_with('[') {
            in_main = line == "[Desktop Entry]";
        } else if let Some(exec) = line.strip_prefix("Exec=").filter(|_| in_main) {
            let exec = exec.trim_start();
            let program = match exec.strip_prefix('"') {
                Some(quoted) => unquote(quoted)?,
                None => exec.split_whitespace().next()?.to_string(),
            };
            return (!program.is_empty()).then_some(program);
        }
    }
    None
}

/// The inside of a quoted `Exec` word, undoing [`desktop_entry`]'s escapes
/// (the string type's `\\`, then the quoting's `\"`, `` \` ``, `\$`, `\\`).
fn unquote(quoted: &str) -> Option<String> {
    let unescaped = quoted.replace("\\\\", "\\");
    let mut out = String::new();
    let mut chars = unescaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out.replace("%%", "%")),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

fn sign_in_method(query: Option<&str>) -> Result<Option<SignInMethod>, &'static str> {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return Ok(None) };
    let (key, value) = query.split_once('=').ok_or("a query that is not method=…")?;
    if key != "method" {
        return Err("a query that is not method=…");
    }
    match value {
        "google" => Ok(Some(SignInMethod::Google)),
        "erp-page" | "erp_page" => Ok(Some(SignInMethod::ErpPage)),
        "token" => Ok(Some(SignInMethod::Token)),
        _ => Err("an unknown sign-in method"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_links_the_product_hands_out_read_back() {
        for link in [
            Link::SignIn(None),
            Link::SignIn(Some(SignInMethod::Google)),
            Link::SignIn(Some(SignInMethod::ErpPage)),
            Link::SignIn(Some(SignInMethod::Token)),
            Link::Status,
            Link::Allowlist,
            Link::Activity,
        ] {
            assert_eq!(Link::parse(&link.to_url()), Ok(link), "{}", link.to_url());
        }
        assert_eq!(Link::parse(crate::SIGN_IN_LINK), Ok(Link::SignIn(None)));
        assert_eq!(Link::parse("ERP-Helper://SignIn/"), Ok(Link::SignIn(None)));
        assert_eq!(Link::parse("erp-helper://signin/?method=erp-page"), Ok(Link::SignIn(Some(SignInMethod::ErpPage))));
    }

    #[test]
    fn an_entrys_program_is_read_from_its_exec_line() {
        assert_eq!(exec_program(&desktop_entry("/usr/bin/erp-helper")).as_deref(), Some("/usr/bin/erp-helper"));
        assert_eq!(
            exec_program(&desktop_entry("/opt/ERP Helper/erp-helper")).as_deref(),
            Some("/opt/ERP Helper/erp-helper")
        );
        let packaged = "[Desktop Entry]\nName=ERP Helper\nExec=erp-helper %u\n[Desktop Action x]\nExec=other\n";
        assert_eq!(exec_program(packaged).as_deref(), Some("erp-helper"));
        assert_eq!(exec_program("[Desktop Action x]\nExec=other\n"), None);
        assert_eq!(exec_program("[Desktop Entry]\nExec=\n"), None);
        let nasty = "/tmp/a\"$`%b\\c";
        assert_eq!(exec_program(&desktop_entry(nasty)).as_deref(), Some(nasty));
    }

    #[test]
    fn the_desktop_entry_quotes_only_what_needs_it() {
        let plain = desktop_entry("/usr/bin/erp-helper");
        assert!(plain.contains("\nExec=/usr/bin/erp-helper %u\n"), "{plain}");
        assert!(plain.contains("\nMimeType=x-scheme-handler/erp-helper;\n"), "{plain}");
        let spaced = desktop_entry("/opt/ERP Helper/erp-helper");
        assert!(spaced.contains("\nExec=\"/opt/ERP Helper/erp-helper\" %u\n"), "{spaced}");
        let nasty = desktop_entry("/tmp/a\"$`%b\\c\nExec=evil");
        assert!(nasty.contains(r#"Exec="/tmp/a\"\$\`%%b\\\\c Exec=evil" %u"#), "{nasty}");
        assert_eq!(nasty.lines().filter(|l| l.starts_with("Exec=")).count(), 1, "{nasty}");
    }

    #[test]
    fn an_argument_is_spotted_as_a_link_without_slicing_a_character() {
        assert!(looks_like_link("erp-helper://signin") && looks_like_link("ERP-HELPER:x"));
        for other in ["--open", "erp-helpe", "erp-helperé", "erp-helpeé://signin", "日本語日本語", "", "erp-helper"]
        {
            assert!(!looks_like_link(other), "{other:?}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = format!("erp-helper://signin?method={}", "a".repeat(100_000));
        for bad in [
            "erp-helper://signin/../../x",
            "erp-helper://signin/..",
            "erp-helper://signin/x",
            "erp-helper://signin//",
            "erp-helper://evil.example",
            "erp-helper://user@signin",
            "erp-helper://signin:80",
            "erp-helper://sign%69n",
            "erp-helper://signin#frag",
            "erp-helper://signin?method=evil",
            "erp-helper://signin?method=google&x=1",
            "erp-helper://signin?redirect=https://evil.example",
            "erp-helper://status?x=1",
            "erp-helper://signin\n",
            "erp-helper:signin",
            "https://signin",
            "erp-helper://",
            "",
            long.as_str(),
        ] {
            assert!(Link::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
