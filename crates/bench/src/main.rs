//! `erp-bench`: measures what issue #4 budgets, on this machine, in one run.
//! Start-up and memory of `erp-mcp` against an rmcp floor server (interleaved),
//! the overhead of shim + socket per tool call against the ERP client alone,
//! a month fill at 50 ms ERP latency against the older per-day pattern, the
//! app's idle memory, and binary sizes. Prints a table and writes JSON.
//! Figures are medians and p95s; nothing here asserts a budget.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use erp_core::erp::ErpClient;
use erp_proto::admin::{self, ErpToken};
use erp_sim::{Sim, SimConfig};
use serde_json::{Value, json};

/// Median, p95 and count of a sample, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Stats {
    median: f64,
    p95: f64,
    n: usize,
}

fn stats(v: &[f64]) -> Stats {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| s[((s.len() as f64 - 1.0) * q).round() as usize];
    Stats { median: at(0.5), p95: at(0.95), n: s.len() }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn js(s: Stats) -> Value {
    json!({"median_ms": (s.median * 1000.0).round() / 1000.0, "p95_ms": (s.p95 * 1000.0).round() / 1000.0, "n": s.n})
}

fn js_mib(s: Stats) -> Value {
    json!({"median_mib": (s.median * 100.0).round() / 100.0, "p95_mib": (s.p95 * 100.0).round() / 100.0, "n": s.n})
}

/// A stdio MCP server driven with raw JSON-RPC lines (no client library in the way).
struct Mcp {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Mcp {
    fn spawn(bin: &Path, env: &[(&str, String)]) -> Self {
        let mut c = Command::new(bin);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self { child, stdin, stdout }
    }

    fn send(&mut self, v: &Value) {
        let w = self.stdin.as_mut().unwrap();
        writeln!(w, "{v}").unwrap();
        w.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "server closed stdout");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v.get("id").is_some() {
                return v;
            }
        }
    }

    fn initialize(&mut self) {
        self.send(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "erp-bench", "version": "1"}}}));
        self.recv();
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    }

    fn call(&mut self, id: u64, tool: &str, args: Value) -> Value {
        self.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}}),
        );
        let r = self.recv();
        assert_eq!(r["result"]["isError"], json!(false), "{tool} failed: {r}");
        r
    }

    /// Close stdin and wait; returns (time to exit, peak RSS in KiB).
    fn close(mut self) -> (Duration, u64) {
        let t = Instant::now();
        drop(self.stdin.take());
        let (_, maxrss) = wait_rusage(self.child.id());
        let took = t.elapsed();
        std::mem::forget(self.child); // reaped above
        (took, maxrss)
    }
}

/// wait4(2): the child's exit and its peak resident set (KiB).
fn wait_rusage(pid: u32) -> (i32, u64) {
    let mut status = 0;
    // SAFETY: rusage is plain data, fully written by wait4 on success.
    #[allow(unsafe_code)]
    let (rc, ru) = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        let rc = libc::wait4(pid as i32, &mut status, 0, &mut ru);
        (rc, ru)
    };
    assert!(rc > 0, "wait4 failed");
    (status, ru.ru_maxrss as u64)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

struct Args {
    shim: PathBuf,
    floor: PathBuf,
    app: PathBuf,
    json: PathBuf,
    runs: usize,
}

fn parse_args() -> Args {
    let mut a = Args {
        shim: "target/release-shim/erp-mcp".into(),
        floor: "target/release-shim/floor-mcp".into(),
        app: "target/release/erp-helper".into(),
        json: "bench-results.json".into(),
        runs: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--shim" => a.shim = v.into(),
            "--floor" => a.floor = v.into(),
            "--app" => a.app = v.into(),
            "--json" => a.json = v.into(),
            "--runs" => a.runs = v.parse().expect("--runs N"),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// Cold start of a stdio MCP server: spawn→initialize answered, spawn→tools/list
/// answered, stdin closed→exit, peak RSS.
fn cold_start(bin: &Path, env: &[(&str, String)]) -> (f64, f64, f64, u64) {
    let t0 = Instant::now();
    let mut m = Mcp::spawn(bin, env);
    m.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "erp-bench", "version": "1"}}}));
    m.recv();
    let handshake = ms(t0.elapsed());
    m.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    m.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let tools = m.recv();
    assert!(tools["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()));
    let list = ms(t0.elapsed());
    let (exit, rss) = m.close();
    (handshake, list, ms(exit), rss)
}

fn main() -> anyhow::Result<()> {
    let a = parse_args();
    for p in [&a.shim, &a.floor, &a.app] {
        anyhow::ensure!(p.exists(), "{} is missing; run scripts/bench.sh (it builds everything first)", p.display());
    }
    let rt = tokio::runtime::Runtime::new()?;
    let mut report = serde_json::Map::new();
    let mut table: Vec<(String, String, String)> = Vec::new();
    let nowhere = tempfile::tempdir()?;
    let lonely = [
        ("ERP_HELPER_SOCKET", nowhere.path().join("none.sock").display().to_string()),
        ("ERP_MCP_NO_AUTOSTART", "1".into()),
    ];

    // 1. Cold start, interleaved with the floor.
    eprintln!("cold start: {} runs each, interleaved", a.runs);
    let (mut sh, mut sl, mut se, mut sr) = (vec![], vec![], vec![], vec![]);
    let (mut fh, mut fl, mut fe, mut fr) = (vec![], vec![], vec![], vec![]);
    for _ in 0..a.runs {
        let (h, l, e, r) = cold_start(&a.shim, &lonely);
        sh.push(h);
        sl.push(l);
        se.push(e);
        sr.push(r as f64 / 1024.0);
        let (h, l, e, r) = cold_start(&a.floor, &[]);
        fh.push(h);
        fl.push(l);
        fe.push(e);
        fr.push(r as f64 / 1024.0);
    }
    let (shs, fhs) = (stats(&sh), stats(&fh));
    report.insert(
        "cold_start".into(),
        json!({
            "erp_mcp": {"handshake": js(shs), "tools_list": js(stats(&sl)), "exit_after_stdin_close": js(stats(&se)), "peak_rss": js_mib(stats(&sr))},
            "rmcp_floor": {"handshake": js(fhs), "tools_list": js(stats(&fl)), "exit_after_stdin_close": js(stats(&fe)), "peak_rss": js_mib(stats(&fr))},
            "handshake_ratio_to_floor": (shs.median / fhs.median * 100.0).round() / 100.0,
        }),
    );
    table.push((
        "erp-mcp: spawn → initialize answered".into(),
        format!("{:.2} ms (p95 {:.2})", shs.median, shs.p95),
        format!("floor {:.2} ms; ratio {:.2} (budget ≤ 1.3)", fhs.median, shs.median / fhs.median),
    ));
    table.push((
        "erp-mcp: spawn → tools/list answered".into(),
        format!("{:.2} ms", stats(&sl).median),
        format!("floor {:.2} ms", stats(&fl).median),
    ));
    table.push((
        "erp-mcp: stdin closed → exited".into(),
        format!("{:.2} ms", stats(&se).median),
        format!("floor {:.2} ms", stats(&fe).median),
    ));
    table.push((
        "erp-mcp: peak RSS".into(),
        format!("{:.1} MiB", stats(&sr).median),
        format!("floor {:.1} MiB (budget ≤ 8 MiB)", stats(&fr).median),
    ));

    // 2. Calls through shim + socket + app, against the ERP client alone.
    let sim = rt.block_on(Sim::start(SimConfig::default()))?;
    let dir = tempfile::tempdir()?;
    // A private directory of its own: the app refuses one others can enter.
    let socket = dir.path().join("run/erp.sock");
    let app_env = [
        ("ERP_API_BASE_URL", sim.api_url()),
        ("ERP_HELPER_SOCKET", socket.display().to_string()),
        ("ERP_HELPER_CONFIG_DIR", dir.path().join("config").display().to_string()),
        ("ERP_HELPER_DATA_DIR", dir.path().join("data").display().to_string()),
        ("RUST_LOG", "warn".into()),
    ];
    let mut app = Command::new(&a.app);
    app.args(["--headless", "--memory-session"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in &app_env {
        app.env(k, v);
    }
    let mut app = app.spawn()?;
    let token = sim.token_for("jane@example.com").unwrap();
    rt.block_on(async {
        let me = erp_proto::ClientInfo { name: "erp-bench".into(), version: "1".into(), ..Default::default() };
        let deadline = Instant::now() + Duration::from_secs(20);
        let conn = loop {
            match erp_proto::client::Connection::connect(&socket, me.clone()).await {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("app did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        conn.call::<admin::SignInToken>(&admin::SignInTokenArgs { token: ErpToken::new(token.clone()) }).await.unwrap();
    });
    let shim_env = [("ERP_HELPER_SOCKET", socket.display().to_string()), ("ERP_MCP_NO_AUTOSTART", "1".to_string())];
    let mut m = Mcp::spawn(&a.shim, &shim_env);
    m.initialize();
    let erp = ErpClient::new(sim.api_url().parse()?, Default::default());
    let secret = ErpToken::new(token.clone());
    let mut id = 10;
    for _ in 0..30 {
        id += 1;
        m.call(id, "get_active_projects", json!({}));
        rt.block_on(erp.active_projects(&secret))?;
    }
    let (mut via, mut direct) = (vec![], vec![]);
    for _ in 0..8 {
        for _ in 0..50 {
            id += 1;
            let t = Instant::now();
            m.call(id, "get_active_projects", json!({}));
            via.push(ms(t.elapsed()));
        }
        for _ in 0..50 {
            let t = Instant::now();
            rt.block_on(erp.active_projects(&secret))?;
            direct.push(ms(t.elapsed()));
        }
    }
    let (vs, ds) = (stats(&via), stats(&direct));
    // 8 in flight on one shim.
    let mut batch = vec![];
    for _ in 0..40 {
        let t = Instant::now();
        for _ in 0..8 {
            id += 1;
            m.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "get_active_projects", "arguments": {}}}));
        }
        for _ in 0..8 {
            m.recv();
        }
        batch.push(ms(t.elapsed()) / 8.0);
    }
    let bs = stats(&batch);
    m.close();
    // 4 shims at once, each sequential.
    let four: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (shim, env) = (&a.shim, &shim_env);
                scope.spawn(move || {
                    let mut m = Mcp::spawn(shim, env);
                    m.initialize();
                    let mut out = vec![];
                    for i in 0..120 {
                        let t = Instant::now();
                        m.call(100 + i, "get_active_projects", json!({}));
                        if i >= 20 {
                            out.push(ms(t.elapsed()));
                        }
                    }
                    m.close();
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let fs = stats(&four);
    report.insert(
        "tool_call".into(),
        json!({
            "tool": "get_active_projects (one ERP request)",
            "through_shim_socket_app": js(vs),
            "erp_client_direct": js(ds),
            "overhead_p50_ms": ((vs.median - ds.median) * 1000.0).round() / 1000.0,
            "eight_in_flight_per_call": js(bs),
            "four_shims_at_once": js(fs),
        }),
    );
    table.push((
        "call via shim+socket+app (sequential)".into(),
        format!("{:.3} ms (p95 {:.3})", vs.median, vs.p95),
        format!("ERP client alone {:.3} ms", ds.median),
    ));
    table.push((
        "shim + socket overhead per call (p50)".into(),
        format!("{:.3} ms", vs.median - ds.median),
        "budget ≤ 0.2 ms".into(),
    ));
    table.push((
        "8 in flight on one shim, per call".into(),
        format!("{:.3} ms", bs.median),
        format!("p95 {:.3} ms", bs.p95),
    ));
    table.push(("4 shims at once, per call".into(), format!("{:.3} ms", fs.median), format!("p95 {:.3} ms", fs.p95)));

    // 3. A month fill at 50 ms ERP latency, against the older server's per-day pattern.
    sim.configure(|c| c.latency = Duration::from_millis(50));
    let mut m = Mcp::spawn(&a.shim, &shim_env);
    m.initialize();
    let next_year = chrono::Utc::now().year() + 1;
    let mut fills = vec![];
    let mut fill_requests = 0;
    let mut weeks_touched = 0;
    for month in [3u32, 6, 9] {
        let first = NaiveDate::from_ymd_opt(next_year, month, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(next_year, month + 1, 1).unwrap().pred_opt().unwrap();
        let before = sim.request_count();
        let t = Instant::now();
        id += 1;
        let r = m.call(
            id,
            "fill_logs_for_days",
            json!({"start_date": first.to_string(), "end_date": last.to_string(),
            "project_id": 412, "description": "Bench fill", "skip_weekends": true}),
        );
        fills.push(ms(t.elapsed()));
        fill_requests = sim.request_count() - before;
        let days = r["result"]["structuredContent"]["days"].as_array().unwrap().clone();
        let mut mondays: Vec<NaiveDate> = days
            .iter()
            .filter(|d| d["outcome"] != "skipped")
            .map(|d| {
                let day: NaiveDate = d["date"].as_str().unwrap().parse().unwrap();
                day - chrono::Duration::days(day.weekday().num_days_from_monday() as i64)
            })
            .collect();
        mondays.dedup();
        weeks_touched = mondays.len();
    }
    m.close();
    let fill_stats = stats(&fills);
    // The older pattern: per day, list + detail + save, one after another.
    let old = rt.block_on(async {
        let first = NaiveDate::from_ymd_opt(next_year, 11, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(next_year, 11, 30).unwrap();
        let before = sim.request_count();
        let t = Instant::now();
        let mut d = first;
        while d <= last {
            if d.weekday().number_from_monday() <= 5 {
                let monday = d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64);
                let list = erp.week_list(&secret, monday.year()).await.unwrap();
                let week = list.into_iter().find(|w| w.monday == monday).unwrap();
                let doc = erp.week_detail(&secret, week.id).await.unwrap();
                let mut w = erp_core::week::WeekDoc::new(week.id, monday, doc).unwrap();
                let p = w
                    .find_project(&erp_proto::tools::Project {
                        id: 412,
                        name: "Workstream / Backend".into(),
                        subteam: "Backend".into(),
                    })
                    .unwrap();
                w.upsert(p, "Old pattern", d, 480, 66);
                erp.save_week(&secret, week.id, &w.to_value()).await.unwrap();
            }
            d += chrono::Duration::days(1);
        }
        (ms(t.elapsed()), sim.request_count() - before)
    });
    report.insert(
        "month_fill_50ms".into(),
        json!({
            "fill_logs_for_days": js(fill_stats),
            "erp_requests": fill_requests,
            "weeks_touched": weeks_touched,
            "requests_per_week": (fill_requests as f64 / weeks_touched as f64 * 100.0).round() / 100.0,
            "older_pattern_3_calls_per_day": {"wall_ms": old.0.round(), "erp_requests": old.1},
        }),
    );
    table.push((
        "month fill, 50 ms ERP latency".into(),
        format!("{:.0} ms", fill_stats.median),
        format!("budget ≤ 1500 ms; older pattern {:.0} ms", old.0),
    ));
    table.push((
        "month fill: ERP requests".into(),
        format!("{fill_requests} for {weeks_touched} weeks ({:.1}/week)", fill_requests as f64 / weeks_touched as f64),
        format!("budget ≤ 3/week; older pattern {}", old.1),
    ));

    // 3b. A past month read whole at 50 ms ERP latency: its gaps and its summary,
    // each in a fixed number of requests (week list, one detail per week, and
    // for the gaps the month's leave and holidays).
    let mut m = Mcp::spawn(&a.shim, &shim_env);
    m.initialize();
    let today = chrono::Utc::now().date_naive();
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let last = this_month.pred_opt().unwrap();
    let first = NaiveDate::from_ymd_opt(last.year(), last.month(), 1).unwrap();
    let span = json!({"start_date": first.to_string(), "end_date": last.to_string()});
    let mut read_month = |tool: &str, args: Value| {
        let (mut walls, mut requests) = (vec![], 0);
        for _ in 0..5 {
            let before = sim.request_count();
            let t = Instant::now();
            id += 1;
            let r = m.call(id, tool, args.clone());
            assert!(r["result"]["structuredContent"].is_object(), "{tool}: {r}");
            walls.push(ms(t.elapsed()));
            requests = sim.request_count() - before;
        }
        (stats(&walls), requests)
    };
    let (gaps, gaps_requests) = read_month("find_missing_logs", span.clone());
    let mut by_project = span.clone();
    by_project["group_by"] = json!("project");
    let (summary, summary_requests) = read_month("summarize_logs", by_project);

    // 3c. A month's fill previewed (reads only), then filled and undone: each
    // in a fixed number of requests.
    let month_of = |month: u32| {
        let first = NaiveDate::from_ymd_opt(next_year, month, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(next_year, month + 1, 1).unwrap().pred_opt().unwrap();
        json!({"start_date": first.to_string(), "end_date": last.to_string(),
               "project_id": 412, "description": "Bench plan", "skip_weekends": true})
    };
    let mut preview_args = month_of(4);
    preview_args["dry_run"] = json!(true);
    let (preview, preview_requests) = read_month("fill_logs_for_days", preview_args);
    let (mut undos, mut undo_requests, mut undo_weeks) = (vec![], 0, 0);
    for month in [7u32, 8, 10] {
        id += 1;
        let filled = m.call(id, "fill_logs_for_days", month_of(month));
        assert!(filled["result"]["structuredContent"]["change_id"].is_string(), "{filled}");
        let before = sim.request_count();
        let t = Instant::now();
        id += 1;
        let r = m.call(id, "undo_last_change", json!({}));
        undos.push(ms(t.elapsed()));
        undo_requests = sim.request_count() - before;
        undo_weeks = r["result"]["structuredContent"]["weeks"].as_array().map_or(0, Vec::len);
        assert!(undo_weeks > 0, "undo: {r}");
    }
    let undo = stats(&undos);
    m.close();
    let weeks_in_month = {
        let monday = first - chrono::Duration::days(first.weekday().num_days_from_monday() as i64);
        ((last - monday).num_days() / 7 + 1) as usize
    };
    report.insert(
        "month_read_50ms".into(),
        json!({
            "month": first.format("%Y-%m").to_string(),
            "weeks": weeks_in_month,
            "find_missing_logs": js(gaps), "find_missing_logs_requests": gaps_requests,
            "summarize_logs": js(summary), "summarize_logs_requests": summary_requests,
            "fill_preview": js(preview), "fill_preview_requests": preview_requests,
            "undo_month_fill": js(undo), "undo_month_fill_requests": undo_requests, "undo_month_fill_weeks": undo_weeks,
        }),
    );
    table.push((
        "month fill preview (dry_run), 50 ms ERP latency".into(),
        format!("{:.0} ms, {preview_requests} requests", preview.median),
        "projects + list + a detail per week + leave + holidays; no write".into(),
    ));
    table.push((
        "undo of a month fill, 50 ms ERP latency".into(),
        format!("{:.0} ms, {undo_requests} requests", undo.median),
        format!("{undo_weeks} weeks: a read + a save per week"),
    ));
    table.push((
        "find_missing_logs, a month, 50 ms ERP latency".into(),
        format!("{:.0} ms, {gaps_requests} requests", gaps.median),
        format!("{weeks_in_month} weeks: 1 list + {weeks_in_month} details + 2 (leave, holidays)"),
    ));
    table.push((
        "summarize_logs, a month, 50 ms ERP latency".into(),
        format!("{:.0} ms, {summary_requests} requests", summary.median),
        format!("1 list + {weeks_in_month} details"),
    ));

    // 4. The headless app's memory after that work, idle.
    std::thread::sleep(Duration::from_secs(2));
    let headless_rss = rss_kib(app.id()).unwrap_or(0) as f64 / 1024.0;
    let _ = Command::new(&a.app).arg("quit").envs(app_env.iter().map(|(k, v)| (*k, v.as_str()))).output();
    let _ = app.wait();
    let tray_rss = tray_idle_rss(&a.app, dir.path(), &sim, &rt, false);
    let tray_gl_rss = tray_idle_rss(&a.app, dir.path(), &sim, &rt, true);
    report.insert(
        "app_idle_rss_mib".into(),
        json!({"headless": headless_rss, "tray_no_window": tray_rss, "tray_no_window_gl_kept": tray_gl_rss}),
    );
    table.push(("app idle RSS, headless".into(), format!("{headless_rss:.1} MiB"), String::new()));
    let mib = |r: Option<f64>| {
        r.map(|r| format!("{r:.1} MiB")).unwrap_or_else(|| "not measured (no xvfb-run/dbus-run-session)".into())
    };
    table.push((
        "app idle RSS, tray, signed in, no window".into(),
        mib(tray_rss),
        format!("budget ≤ 80 MiB; {} with GDK_GL= (GL kept)", mib(tray_gl_rss)),
    ));

    // 6. The first call when the app is not running: erp-mcp starts it (headless
    // here) and connects as soon as the app says it is ready.
    let mut firsts = vec![];
    for _ in 0..a.runs.clamp(3, 10) {
        let home = tempfile::tempdir()?;
        let p = |s: &str| home.path().join(s).display().to_string();
        let env = [
            ("ERP_HELPER_SOCKET", p("run/erp.sock")),
            ("ERP_HELPER_APP", std::path::absolute(&a.app)?.display().to_string()),
            ("HOME", p("")),
            ("XDG_CONFIG_HOME", p("config")),
            ("XDG_DATA_HOME", p("data")),
            ("ERP_HELPER_SESSION_STORE", "memory".into()),
            ("DISPLAY", String::new()),
            ("WAYLAND_DISPLAY", String::new()),
            ("RUST_LOG", "warn".into()),
        ];
        let mut m = Mcp::spawn(&a.shim, &env);
        m.initialize();
        let t = Instant::now();
        m.call(2, "whoami", json!({}));
        firsts.push(ms(t.elapsed()));
        m.close();
        let _ = Command::new(&a.app).arg("quit").env("ERP_HELPER_SOCKET", p("run/erp.sock")).output();
    }
    let first = stats(&firsts);
    report.insert("first_call_with_autostart".into(), js(first));
    table.push((
        "first call, app not running (auto-start)".into(),
        format!("{:.1} ms (p95 {:.1})", first.median, first.p95),
        "was ≈ 110 ms with a 100 ms poll".into(),
    ));

    // 5. Binary sizes.
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(0.0);
    let (s_shim, s_floor, s_app) = (size(&a.shim), size(&a.floor), size(&a.app));
    report.insert("binary_mib".into(), json!({"erp_mcp": s_shim, "rmcp_floor": s_floor, "erp_helper": s_app}));
    table.push((
        "erp-mcp binary".into(),
        format!("{s_shim:.2} MiB"),
        format!("floor {s_floor:.2} MiB; budget ≤ 4 MiB"),
    ));
    table.push(("erp-helper binary".into(), format!("{s_app:.2} MiB"), String::new()));

    report.insert(
        "machine".into(),
        json!({"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "date": chrono::Utc::now().to_rfc3339()}),
    );
    std::fs::write(&a.json, serde_json::to_string_pretty(&Value::Object(report))? + "\n")?;
    let w = table.iter().map(|r| r.0.chars().count()).max().unwrap_or(10);
    let w2 = table.iter().map(|r| r.1.chars().count()).max().unwrap_or(10);
    println!("{:<w$}  {:<w2$}  compared with", "measure", "value");
    for (k, v, c) in &table {
        println!("{k:<w$}  {v:<w2$}  {c}");
    }
    println!("\nJSON: {}", a.json.display());
    Ok(())
}

/// The tray app (no window) under Xvfb in its own D-Bus session, signed in to
/// `sim`: its RSS after it has settled. `keep_gl` starts it with `GDK_GL=`
/// (GTK's GL kept, as before the app turned it off). `None` when the tools for
/// a headless display are missing.
fn tray_idle_rss(app: &Path, dir: &Path, sim: &Sim, rt: &tokio::runtime::Runtime, keep_gl: bool) -> Option<f64> {
    let have = |t: &str| {
        Command::new("sh").args(["-c", &format!("command -v {t}")]).output().is_ok_and(|o| o.status.success())
    };
    if !have("xvfb-run") || !have("dbus-run-session") {
        return None;
    }
    let tag = if keep_gl { "tray-gl" } else { "tray" };
    let socket = dir.join(format!("{tag}-run/erp.sock"));
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "xvfb-run", "-a"])
        .arg(app)
        .env("ERP_HELPER_SOCKET", &socket)
        .env("ERP_HELPER_CONFIG_DIR", dir.join(format!("{tag}-config")))
        .env("ERP_HELPER_DATA_DIR", dir.join(format!("{tag}-data")))
        .env("ERP_HELPER_SESSION_STORE", "file")
        .env("XDG_DATA_HOME", dir.join(format!("{tag}-xdg")))
        .env("ERP_API_BASE_URL", sim.api_url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if keep_gl {
        cmd.env("GDK_GL", "");
    } else {
        cmd.env_remove("GDK_GL");
    }
    let mut child = cmd.spawn().ok()?;
    let token = sim.token_for("jane@example.com")?;
    let signed_in = rt.block_on(async {
        let me = erp_proto::ClientInfo { name: "erp-bench".into(), version: "1".into(), ..Default::default() };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match erp_proto::client::Connection::connect(&socket, me.clone()).await {
                Ok(c) => {
                    break c
                        .call::<admin::SignInToken>(&admin::SignInTokenArgs { token: ErpToken::new(token) })
                        .await
                        .is_ok();
                }
                Err(_) if Instant::now() > deadline => break false,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    std::thread::sleep(Duration::from_secs(5));
    let exe = app.canonicalize().ok()?;
    let needle = format!("ERP_HELPER_SOCKET={}", socket.display());
    let pid =
        std::fs::read_dir("/proc").ok()?.flatten().filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()).find(
            |pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == exe)
                    && std::fs::read(format!("/proc/{pid}/environ"))
                        .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
            },
        );
    let rss = pid.and_then(rss_kib).map(|k| k as f64 / 1024.0).filter(|_| signed_in);
    let _ = Command::new(app).arg("quit").env("ERP_HELPER_SOCKET", &socket).output();
    let _ = child.wait();
    rss
}
