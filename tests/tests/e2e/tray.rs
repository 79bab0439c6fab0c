//! The tray menu over D-Bus, as a desktop panel sees it: the app registers a
//! StatusNotifierItem with a watcher (a stub here), exports its menu with
//! com.canonical.dbusmenu, keeps the account line in step with the session, and
//! "Sign in on the ERP page…" opens the login window.

use erp_e2e::desktop::Desktop;
use erp_e2e::eventually;
use erp_proto::admin;
use erp_sim::{Sim, SimConfig};
use std::time::Duration;

const JANE: &str = "jane@example.com";

fn layout(desk: &Desktop, name: &str, menu: &str) -> String {
    desk.in_session(
        "gdbus",
        &[
            "call",
            "--session",
            "--dest",
            name,
            "--object-path",
            menu,
            "--method",
            "com.canonical.dbusmenu.GetLayout",
            "--",
            "0",
            "-1",
            "[]",
        ],
    )
}

/// Click the item labelled `label`, as a panel does: from the menu's current
/// layout, fetching it again when the app rebuilt the menu in between (the ids
/// of a rebuilt menu are new; a panel refetches on `LayoutUpdated`).
fn click(desk: &Desktop, name: &str, menu: &str, label: &str) {
    let args = ["call", "--session", "--dest", name, "--object-path", menu, "--method"];
    for _ in 0..20 {
        let id = item_id(&layout(desk, name, menu), label).to_string();
        let event = [&args[..], &["com.canonical.dbusmenu.Event", "--", &id, "clicked", "<0>", "0"]].concat();
        match desk.try_in_session("gdbus", &event) {
            Ok(_) => return,
            Err(e) if e.contains("does not refer to a menu item") => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("click {label:?}: {e}"),
        }
    }
    panic!("the menu kept changing under a click on {label:?}");
}

/// The dbusmenu id of the item labelled `label`.
fn item_id(layout: &str, label: &str) -> i32 {
    let at = layout.find(&format!("'label': <'{label}'>")).unwrap_or_else(|| panic!("no item {label:?} in {layout}"));
    let open = layout[..at].rfind('(').expect("an item starts with '('");
    layout[open + 1..].split(',').next().unwrap().trim().parse().expect("item id")
}

#[tokio::test(flavor = "multi_thread")]
async fn tray_menu_over_dbus_follows_the_session_and_opens_the_login_window() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start_with_tray_host(&[
        ("ERP_API_BASE_URL", sim.api_url()),
        ("ERP_WEB_URL", format!("{}/login", sim.web_url())),
    ]);
    let s = desk.session(&["--open", "status"]).await;
    let (name, item) = desk.tray_item().await;
    let menu_prop = desk.in_session(
        "gdbus",
        &[
            "call",
            "--session",
            "--dest",
            &name,
            "--object-path",
            &item,
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            "org.kde.StatusNotifierItem",
            "Menu",
        ],
    );
    let menu = menu_prop.split('\'').nth(1).unwrap_or_else(|| panic!("no menu path in {menu_prop}")).to_string();

    let before = layout(&desk, &name, &menu);
    for label in [
        "Not signed in",
        "Sign in with Google…",
        "Sign in on the ERP page…",
        "Use a token…",
        "Sign out",
        "Authorized users…",
        "Connected apps (",
        "Activity…",
        "Connect to",
        "Cursor (not installed)",
        "Codex CLI (not installed)",
        "Quit ERP Helper",
    ] {
        assert!(before.contains(label), "{label:?} missing from the tray menu: {before}");
    }

    // Sign in through the socket: the account line follows.
    let c = desk.client().await;
    let token = sim.token_for(JANE).unwrap();
    c.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: admin::ErpToken::new(token) }).await.unwrap();
    let after = eventually("the account in the tray menu", 15, async || {
        Some(layout(&desk, &name, &menu)).filter(|l| l.contains("Signed in as jane@example.com"))
    })
    .await;
    assert!(!after.contains("Not signed in"));
    let notified = eventually("the signed-in notification", 15, async || {
        let log = std::fs::read_to_string(desk.dir.path().join("sni.log")).unwrap_or_default();
        log.contains("NOTIFY Signed in as jane@example.com — return to your editor").then_some(log)
    })
    .await;
    assert_eq!(notified.matches("NOTIFY Signed in").count(), 1, "{notified}");

    // Clicking "Sign in on the ERP page…" opens the login window.
    let known = s.handles().await;
    click(&desk, &name, &menu, "Sign in on the ERP page…");
    s.switch_to_new_window(&known).await;
    eventually("the login page in the new window", 15, async || s.url().await.ends_with("/login").then_some(())).await;

    // "Connect to ▸ Cursor" writes Cursor's config, pointing at this erp-mcp, and
    // the item is checked; a second click takes it out again.
    click(&desk, &name, &menu, "Cursor (not installed)");
    let cursor = desk.dir.path().join("home/.cursor/mcp.json");
    let written = eventually("Cursor's config", 15, async || std::fs::read_to_string(&cursor).ok()).await;
    let shim = erp_e2e::bin("erp-mcp").canonicalize().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(doc["mcpServers"]["erp"]["command"], shim.display().to_string(), "{written}");
    let checked = eventually("Cursor checked", 15, async || {
        let l = layout(&desk, &name, &menu);
        let id = l.find("'label': <'Cursor'>").map(|_| item_id(&l, "Cursor"))?;
        let item = &l[l.find(&format!("({id}, {{"))?..];
        item[..item.find('}')?].contains("'toggle-state': <1>").then(|| l.clone())
    })
    .await;
    assert!(toggled(&checked, "Cursor").unwrap());
    click(&desk, &name, &menu, "Cursor");
    eventually("Cursor's config without ERP Helper", 15, async || {
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cursor).ok()?).ok()?;
        doc["mcpServers"].get("erp").is_none().then_some(())
    })
    .await;

    start_at_login_follows_the_tray_item_and_the_cli(&desk, &name, &menu).await;
    read_only_follows_the_tray_item(&desk, &name, &menu).await;
    s.end().await;
    desk.quit_app().await;
}

/// The check mark of the item labelled `label`, when it is in the menu.
fn toggled(layout: &str, label: &str) -> Option<bool> {
    layout.find(&format!("'label': <'{label}'>"))?;
    let id = item_id(layout, label);
    let item = &layout[layout.find(&format!("({id}, {{"))?..];
    let props = &item[..item.find('}')?];
    Some(props.contains("'toggle-state': <1>"))
}

/// After the first sign-in (above), the app starts at login: its XDG
/// autostart entry runs this program and the tray item is checked. A click
/// removes the entry, unchecks the item and is remembered as the user's
/// choice; `erp-helper settings --start-at-login on` puts both back.
async fn start_at_login_follows_the_tray_item_and_the_cli(desk: &Desktop, name: &str, menu: &str) {
    let entry = desk.dir.path().join("home/.config/autostart/erp-helper.desktop");
    let check = async |want: bool| {
        eventually(&format!("Start at login {}", if want { "checked" } else { "unchecked" }), 15, async || {
            // The menu is rebuilt on every change: wait until it stays put, so its ids hold for a click.
            let l = layout(desk, name, menu);
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let settled = l == layout(desk, name, menu);
            (settled && toggled(&l, "Start at login")? == want && entry.is_file() == want).then_some(l)
        })
        .await
    };
    let l = check(true).await;
    let written = std::fs::read_to_string(&entry).unwrap();
    let app = erp_e2e::bin("erp-helper").canonicalize().unwrap();
    assert!(written.contains(&format!("\nExec={} ", app.display())), "{written}");
    assert!(toggled(&l, "Start at login").unwrap());
    click(desk, name, menu, "Start at login");
    check(false).await;
    let settings = desk.dir.path().join("config/settings.json");
    let kept = std::fs::read_to_string(&settings).unwrap_or_default();
    assert!(kept.contains("\"erp_helper_start_at_login\": \"off\""), "{kept}");
    let on = desk.launch(&["settings", "--start-at-login", "on"]);
    assert!(String::from_utf8_lossy(&on.stdout).contains("Start at login: on."), "{on:?}");
    check(true).await;
}

/// "Read-only (assistants make no changes)": a click turns it on at once (the
/// app refuses writes, the choice is kept), the check mark follows, and
/// `erp-helper settings --read-only off` clears both.
async fn read_only_follows_the_tray_item(desk: &Desktop, name: &str, menu: &str) {
    const ITEM: &str = "Read-only (assistants make no changes)";
    let checked = async |want: bool| {
        eventually(&format!("read-only {want}"), 15, async || {
            (toggled(&layout(desk, name, menu), ITEM)? == want).then_some(())
        })
        .await
    };
    checked(false).await;
    click(desk, name, menu, ITEM);
    checked(true).await;
    // The mark is GTK's own, drawn as the item is clicked; the app's mode follows as it handles the click.
    let c = desk.client().await;
    eventually("the app in read-only mode", 15, async || {
        c.call::<admin::Status>(&erp_proto::tools::NoArgs {}).await.ok()?.read_only.then_some(())
    })
    .await;
    // Kept in the settings file just after (the mode comes first).
    eventually("read-only kept in settings.json", 15, async || {
        let settings = std::fs::read_to_string(desk.dir.path().join("config/settings.json")).ok()?;
        settings.contains("\"erp_helper_read_only\": \"on\"").then_some(())
    })
    .await;
    let off = desk.launch(&["settings", "--read-only", "off"]);
    assert!(String::from_utf8_lossy(&off.stdout).contains("Read-only mode: off."), "{off:?}");
    checked(false).await;
}

/// The desktop's notifications, as its notification server receives them.
fn notifications(desk: &Desktop) -> Vec<String> {
    let log = std::fs::read_to_string(desk.dir.path().join("sni.log")).unwrap_or_default();
    log.lines().filter_map(|l| l.strip_prefix("NOTIFY ")).map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_fill_and_an_expired_session_are_each_notified_once() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start_with_tray_host(&[("ERP_API_BASE_URL", sim.api_url())]);
    let s = desk.session(&["--open", "status"]).await;
    let c = desk.client().await;
    let token = sim.token_for(JANE).unwrap();
    c.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: admin::ErpToken::new(token) }).await.unwrap();
    eventually("the signed-in notification", 15, async || {
        notifications(&desk).iter().any(|n| n.starts_with("Signed in as jane@example.com")).then_some(())
    })
    .await;

    let mcp = erp_e2e::spawn_mcp(&desk.socket, "cursor-vscode", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let next = erp_e2e::monday(1);
    let end = next + chrono::Duration::days(4);
    let fill = serde_json::json!({"start_date": next.to_string(), "end_date": end.to_string(),
                                  "project_id": 412, "description": "Notified"});
    assert_eq!(mcp.ok("fill_logs_for_days", fill).await["created"], 5);
    let done = format!("Filled {next} to {end} | 5 created, 0 updated, 0 failed.");
    eventually("the fill's notification", 15, async || notifications(&desk).contains(&done).then_some(())).await;

    // The ERP ends the session: the next call finds it expired; one notification, however many calls.
    sim.revoke_token(JANE);
    for _ in 0..3 {
        mcp.call("get_week_logs", serde_json::json!({"week_starting": next.to_string()})).await;
    }
    let expired = "Your ERP session expired — sign in again | Use the ERP Helper tray menu.";
    eventually("the expiry's notification", 15, async || {
        notifications(&desk).iter().any(|n| n == expired).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let all = notifications(&desk);
    assert_eq!(all.iter().filter(|n| *n == expired).count(), 1, "{all:?}");
    assert_eq!(all.iter().filter(|n| **n == done).count(), 1, "{all:?}");
    s.end().await;
    desk.quit_app().await;
}

/// The GL driver's files mapped into process `pid` (Mesa's GLX, its DRI
/// driver and the libLLVM it pulls in).
fn gl_mapped(pid: u32) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut gl: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|f| ["libLLVM", "_dri.so", "libGLX_mesa", "libgallium"].iter().any(|n| f.contains(n)))
        .map(String::from)
        .collect();
    gl.dedup();
    gl
}

/// The tray app started as the desktop would, with `GDK_GL` as given
/// (`None`: unset, the default).
async fn start_tray(desk: &Desktop, gdk_gl: Option<&str>) -> std::process::Child {
    let mut cmd = desk.command(&erp_e2e::bin("erp-helper"));
    match gdk_gl {
        Some(v) => cmd.env("GDK_GL", v),
        None => cmd.env_remove("GDK_GL"),
    };
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    desk.client().await.call::<admin::Status>(&erp_proto::tools::NoArgs {}).await.unwrap();
    child
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tray_keeps_gl_out_of_its_process_and_its_windows_still_paint() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let desk = Desktop::start(&[("ERP_API_BASE_URL", sim.api_url())]);

    // A GDK_GL the user set, even empty, is kept: then GTK opens GL and the
    // driver is mapped (which also shows this check sees GL when it is there).
    let mut app = start_tray(&desk, Some("")).await;
    assert!(!gl_mapped(app.id()).is_empty(), "GDK_GL= kept GL, yet no GL driver is mapped");
    desk.quit_app().await;
    app.wait().unwrap();

    // By default, signed in and idle: no GL driver in the tray process.
    let mut app = start_tray(&desk, None).await;
    let token = sim.token_for(JANE).unwrap();
    let c = desk.client().await;
    c.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: admin::ErpToken::new(token) }).await.unwrap();
    assert_eq!(gl_mapped(app.id()), Vec::<String>::new(), "the idle tray mapped the GL driver");

    // A window opened from it still paints its page, in software: the
    // screen (not WebDriver's rendering) shows a white page with text on it.
    let second = desk.launch(&["--open", "status"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let shot = desk.dir.path().join("status-without-gl.png");
    let seen = eventually("the status window painted on screen", 30, async || {
        let s = desk.screen_shot(&shot);
        (s.white > 50_000 && s.ink > 500).then_some(s)
    })
    .await;
    assert!(seen.white < 1280 * 900, "{seen:?}");
    desk.quit_app().await;
    app.wait().unwrap();
}
