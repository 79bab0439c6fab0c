//! The demo: the main job end to end against the embedded ERP simulator, with
//! the real binaries. Starts `erp-helper --headless --demo` on a private
//! socket, signs in as the demo account, then plays what an assistant does
//! through `erp-mcp`: look up projects, fill last week, read it back, complete it.
//! Run with `scripts/demo.sh` (or `make demo`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, Duration as Days};
use erp_e2e::{bin, spawn_mcp};
use serde_json::{Value, json};

fn step(title: &str) {
    println!("\n\x1b[1m▸ {title}\x1b[0m");
}

fn show(v: &Value) {
    let text = serde_json::to_string_pretty(v).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for l in lines.iter().take(18) {
        println!("    {l}");
    }
    if lines.len() > 18 {
        println!("    … ({} more lines)", lines.len() - 18);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // A private directory for the socket (the app refuses one others can enter,
    // and a temp dir may be 0755): the app creates `run/` 0700 itself.
    let socket = dir.path().join("run/erp-helper.sock");
    let envs = [
        ("ERP_HELPER_SOCKET", socket.display().to_string()),
        ("ERP_HELPER_CONFIG_DIR", dir.path().join("config").display().to_string()),
        ("ERP_HELPER_DATA_DIR", dir.path().join("data").display().to_string()),
    ];
    let helper = |args: &[&str]| {
        let mut c = Command::new(bin("erp-helper"));
        c.args(args).envs(envs.iter().map(|(k, v)| (*k, v.as_str())));
        c
    };

    step("Start the ERP Helper app in demo mode (embedded ERP simulator, no account needed)");
    let log = std::fs::File::create(dir.path().join("app.log"))?;
    let mut app = helper(&["--headless", "--demo"]).stdout(Stdio::null()).stderr(log).spawn()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !helper(&["status"]).stdout(Stdio::null()).stderr(Stdio::null()).status()?.success() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the app did not start; see {}",
            dir.path().join("app.log").display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("    erp-helper is running; the assistant's erp-mcp talks to it over {}", socket.display());

    step("Sign in (demo: the simulator's Google-like sign-in, exchanged at core/google-login/)");
    let out = helper(&["signin", "--demo"]).output()?;
    print!("    {}", String::from_utf8_lossy(&out.stdout).replace('\n', "\n    "));

    step("An MCP host (this demo, via rmcp's client) launches erp-mcp and lists the tools");
    let mcp = spawn_mcp(&socket, "erp-demo", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    let tools = mcp.client.list_all_tools().await?;
    println!("    {} tools: {}", tools.len(), tools.iter().map(|t| t.name.as_ref()).collect::<Vec<_>>().join(", "));

    step("\"Which projects can I log on?\"  → get_active_projects");
    show(&mcp.ok("get_active_projects", json!({})).await);

    let today = chrono::Utc::now().date_naive();
    let this_monday = today - Days::days(today.weekday().num_days_from_monday() as i64);
    let friday = this_monday + Days::days(4);
    step(&format!(
        "\"Fill this week with 7.5 h of API work on Backend, skip the weekend\"  → fill_logs_for_days {this_monday}..{}",
        this_monday + Days::days(6)
    ));
    println!("    First a preview (dry_run: nothing is saved), then the plan it returns is applied.");
    let preview = mcp
        .ok(
            "fill_logs_for_days",
            json!({"start_date": this_monday.to_string(), "end_date": (this_monday + Days::days(6)).to_string(),
                   "project_name": "backend", "description": "API work", "hours_per_day": 7.5, "skip_weekends": true,
                   "dry_run": true}),
        )
        .await;
    println!("    preview: {}", preview["message"].as_str().unwrap_or_default());
    let fill = match preview["plan_id"].as_str() {
        Some(plan_id) => mcp.ok("apply_plan", json!({"plan_id": plan_id})).await,
        None => preview,
    };
    println!("    apply_plan: {}", fill["message"].as_str().unwrap_or_default());

    step("\"Add a 1 h meeting on Friday\"  → create_or_update_log");
    show(
        &mcp.ok(
            "create_or_update_log",
            json!({"date": friday.to_string(), "description": "Sprint review", "hours": 1, "project_name": "Meetings", "label_name": "Meeting"}),
        )
        .await,
    );

    step("\"That meeting was cancelled, take it back\"  → undo_last_change");
    println!("    {}", mcp.ok("undo_last_change", json!({})).await["message"].as_str().unwrap_or_default());

    step(&format!("\"What did I log on {friday}?\"  → get_day_logs"));
    let day = mcp.ok("get_day_logs", json!({"date": friday.to_string()})).await;
    for p in day["projects"].as_array().into_iter().flatten() {
        for t in p["tasks"].as_array().into_iter().flatten() {
            let time = &t["days"][0]["time"];
            println!(
                "    {:<24} {:<16} {}h{:02}",
                p["team"].as_str().unwrap_or(""),
                t["description"].as_str().unwrap_or(""),
                time["hours"],
                time["minutes"].as_u64().unwrap_or(0)
            );
        }
    }
    println!("    total {}h{:02}", day["total"]["hours"], day["total"]["minutes"].as_u64().unwrap_or(0));

    step("\"Submit the week\"  → complete_week_log");
    show(&mcp.ok("complete_week_log", json!({"week_starting": this_monday.to_string()})).await);

    step("A mistake is explained, not crashed on  → get_week_logs with a Wednesday");
    let wrong = this_monday + Days::days(2);
    println!("    {}", mcp.err("get_week_logs", json!({"week_starting": wrong.to_string()})).await);

    step("The app's audit log of writes  → erp-helper audit");
    let out = helper(&["audit"]).output()?;
    print!("    {}", String::from_utf8_lossy(&out.stdout).replace('\n', "\n    "));

    helper(&["quit"]).output()?;
    let _ = app.wait();
    println!(
        "\n\x1b[1mDone.\x1b[0m To try it from your own MCP host: run `erp-helper --demo`, then `erp-helper signin --demo`,"
    );
    println!("and add erp-mcp to the host (`erp-mcp config cursor` prints the snippet).");
    Ok(())
}
