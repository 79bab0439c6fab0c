//! Long runs, short in CI: `scripts/soak.sh` sets the sizes.
//!
//! - Faults: mixed writes against erp-sim with 10 % of its requests meeting a
//!   fault (5xx, resets before and after the work, 409s, slow answers) and the
//!   app killed along the way; erp-sim's final state must be what the tool
//!   results say (an error leaves the old value or the new one, never a third),
//!   nothing doubled, and every journalled intent closed by its outcome except
//!   where the app was killed between the two.
//! - Load: shims × calls with 8 in flight each at 20 ms ERP latency: no error,
//!   no lost reply, and the app's memory before and after.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use erp_e2e::{TestEnv, app_process, bin, entries, eventually_blocking, monday, spawn_mcp_in};
use erp_sim::{Sim, SimConfig};
use serde_json::{Value, json};

const JANE: &str = "jane@example.com";
const BACKEND: &str = "Workstream / Backend";

fn size(var: &str, ci: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

/// A small deterministic generator (the run is reproducible from its seed).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What a (date, description) may hold now: the values a write that failed
/// may or may not have left, plus the last one known. `None`: no entry.
type Allowed = BTreeSet<Option<i64>>;

struct Model {
    keys: BTreeMap<(NaiveDate, String), Allowed>,
}

impl Model {
    fn wrote(&mut self, day: NaiveDate, desc: &str, value: Option<i64>, sure: bool) {
        let allowed = self.keys.entry((day, desc.to_string())).or_insert_with(|| [None].into());
        if sure {
            *allowed = [value].into();
        } else {
            allowed.insert(value);
        }
    }
}

/// Every (date, description) → minutes in jane's weeks, and the doubled ones.
fn erp_state(sim: &Sim, weeks: &[NaiveDate]) -> (BTreeMap<(NaiveDate, String), i64>, Vec<String>) {
    let (mut state, mut doubled) = (BTreeMap::new(), Vec::new());
    for w in weeks {
        for (date, h, m, desc) in entries(&sim.week_detail(JANE, *w).expect("seeded week"), BACKEND) {
            let key = (date.parse().unwrap(), desc);
            if state.insert(key.clone(), h * 60 + m).is_some() {
                doubled.push(format!("{key:?}"));
            }
        }
    }
    (state, doubled)
}

fn kill_app(socket: &Path) -> bool {
    app_process(socket).is_some_and(|(pid, _)| {
        std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().is_ok_and(|s| s.success())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_under_faults_and_kills_lose_nothing_and_double_nothing() {
    let (writes, kills) = (size("SOAK_WRITES", 120), size("SOAK_KILLS", 1));
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut env = TestEnv::new(&sim.api_url());
    env.set("ERP_HELPER_SESSION_STORE", "file").app_owned();
    let socket = env.socket();
    let app = bin("erp-helper");
    let mcp = spawn_mcp_in(&env, "e2e-soak", &[("ERP_HELPER_APP", app.to_str().unwrap())]).await;
    mcp.ok("whoami", json!({})).await;
    let token = sim.token_for(JANE).unwrap();
    let signin = {
        use std::io::Write;
        let mut c = env.command("erp-helper");
        let mut child = c.args(["signin", "--token-stdin"]).stdin(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
        child.wait().unwrap()
    };
    assert!(signin.success());
    sim.configure(|c| {
        c.chaos_rate = 0.10;
        c.chaos_seed = 7;
    });

    let weeks: Vec<NaiveDate> = (1..=4).map(monday).collect();
    let descriptions = ["Soak A", "Soak B", "Soak C", "Soak D"];
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let kill_at: BTreeSet<usize> = (1..=kills).map(|k| k * writes / (kills + 1)).collect();
    let mut model = Model { keys: BTreeMap::new() };
    let (mut ok, mut failed, mut killed) = (0, 0, 0);
    let started = Instant::now();
    for i in 0..writes {
        let week = weeks[dice.roll(weeks.len())];
        let day = week + chrono::Duration::days(dice.roll(5) as i64);
        let desc = descriptions[dice.roll(descriptions.len())];
        let hours = 1 + dice.roll(8) as i64;
        let killer = kill_at.contains(&i).then(|| {
            let socket = socket.clone();
            let wait = Duration::from_millis(dice.roll(40) as u64);
            std::thread::spawn(move || {
                std::thread::sleep(wait);
                kill_app(&socket)
            })
        });
        match dice.roll(10) {
            0..=5 => {
                let args = json!({"date": day.to_string(), "description": desc, "hours": hours, "project_id": 412});
                let r = mcp.call("create_or_update_log", args).await;
                let sure = r.is_error != Some(true);
                model.wrote(day, desc, Some(hours * 60), sure);
                if sure { ok += 1 } else { failed += 1 }
            }
            6..=7 => {
                let args = json!({"date": day.to_string(), "description": desc, "project_id": 412});
                let r = mcp.call("delete_log", args).await;
                let sure = r.is_error != Some(true);
                model.wrote(day, desc, None, sure);
                if sure { ok += 1 } else { failed += 1 }
            }
            _ => {
                // Two to three weekdays of one week.
                let start = week + chrono::Duration::days(dice.roll(3) as i64);
                let end = start + chrono::Duration::days(1 + dice.roll(2) as i64);
                let args = json!({"start_date": start.to_string(), "end_date": end.to_string(), "description": desc,
                    "hours_per_day": hours, "project_id": 412, "skip_weekends": true});
                let r = mcp.call("fill_logs_for_days", args).await;
                let days: BTreeMap<NaiveDate, &str> = r
                    .structured_content
                    .as_ref()
                    .and_then(|c| c["days"].as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|d| Some((d["date"].as_str()?.parse().ok()?, d["outcome"].as_str()?)))
                    .collect();
                let mut d = start;
                while d <= end {
                    // A day the fill left out (a holiday, or already logged) is as it was.
                    if r.is_error == Some(true) || days.get(&d) != Some(&"skipped") {
                        let sure = r.is_error != Some(true) && days.get(&d).is_some_and(|o| *o != "failed");
                        model.wrote(d, desc, Some(hours * 60), sure);
                    }
                    d += chrono::Duration::days(1);
                }
                if r.is_error != Some(true) { ok += 1 } else { failed += 1 }
            }
        }
        if let Some(k) = killer {
            killed += usize::from(k.join().unwrap());
        }
    }
    let elapsed = started.elapsed();
    sim.configure(|c| c.chaos_rate = 0.0);

    let (state, doubled) = erp_state(&sim, &weeks);
    let mut lost = Vec::new();
    for (key, allowed) in &model.keys {
        let now = state.get(key).copied();
        if !allowed.contains(&now) {
            lost.push(format!("{key:?}: the ERP has {now:?}, the tool results allow {allowed:?}"));
        }
    }
    let untracked: Vec<_> = state.keys().filter(|k| !model.keys.contains_key(*k)).collect();

    // The journal: each intent closed by its outcome, except across a kill.
    let audit = env.path().join("home/.local/share/erp-helper/audit.jsonl");
    let lines: Vec<Value> =
        std::fs::read_to_string(&audit).unwrap().lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let mut open_intents = 0;
    let mut pending = false;
    for l in &lines {
        match l["outcome"].as_str() {
            Some("intent") => {
                open_intents += usize::from(pending);
                pending = true;
            }
            Some("done" | "failed") => pending = false,
            _ => {}
        }
        assert!(l["user"] == JANE || l["outcome"] == "ok" || l["outcome"] == "error", "{l}");
    }
    open_intents += usize::from(pending);
    let dealt = sim.chaos_dealt();
    eprintln!(
        "soak: faults: {writes} writes ({ok} ok, {failed} failed) in {:.1} s, {} ERP requests, faults dealt {dealt:?}, \
         app killed {killed}×; {} keys checked: {} lost, {} doubled, {} untracked; {} journal lines, {open_intents} intents left open",
        elapsed.as_secs_f64(),
        sim.request_count(),
        model.keys.len(),
        lost.len(),
        doubled.len(),
        untracked.len(),
        lines.len(),
    );
    assert_eq!(killed, kills, "the app was not there to kill");
    assert!(lost.is_empty(), "lost: {lost:#?}");
    assert!(doubled.is_empty(), "doubled: {doubled:?}");
    assert!(untracked.is_empty(), "entries nobody wrote: {untracked:?}");
    assert!(open_intents <= killed, "{open_intents} intents without an outcome for {kills} kills");
    assert!(dealt.values().sum::<usize>() > 0, "no fault was dealt");
    let _ = std::process::Command::new(bin("erp-helper")).arg("quit").env("ERP_HELPER_SOCKET", &socket).output();
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn many_shims_with_calls_in_flight_get_every_answer() {
    let (shims, calls) = (size("SOAK_SHIMS", 8), size("SOAK_CALLS", 60));
    let sim = Sim::start(SimConfig { latency: Duration::from_millis(20), ..Default::default() }).await.unwrap();
    let mut env = TestEnv::new(&sim.api_url());
    env.set("ERP_HELPER_SESSION_STORE", "memory");
    let mut app = env.command("erp-helper").args(["--headless"]).stderr(std::process::Stdio::null()).spawn().unwrap();
    let socket = env.socket();
    eventually_blocking("the app", 20, || socket.exists().then_some(()));
    {
        use std::io::Write;
        let mut c = env.command("erp-helper");
        let mut child = c.args(["signin", "--token-stdin"]).stdin(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(sim.token_for(JANE).unwrap().as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }
    let warm = spawn_mcp_in(&env, "e2e-load-warm", &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
    for _ in 0..20 {
        warm.ok("get_active_projects", json!({})).await;
    }
    let before = rss_kib(app.id());
    let started = Instant::now();
    let this_week = monday(0);
    let runs = (0..shims).map(|s| {
        let env = &env;
        async move {
            let mcp = spawn_mcp_in(env, &format!("e2e-load-{s}"), &[("ERP_MCP_NO_AUTOSTART", "1")]).await;
            let (mut answered, mut errors) = (0usize, Vec::new());
            // 8 in flight at a time, `calls` in all.
            for batch in (0..calls).collect::<Vec<_>>().chunks(8) {
                let one = batch.iter().map(|i| {
                    let (tool, args) = match i % 4 {
                        0 => ("get_active_projects", json!({})),
                        1 => ("get_week_logs", json!({"week_starting": this_week.to_string()})),
                        2 => ("get_log_labels", json!({})),
                        _ => ("whoami", json!({})),
                    };
                    mcp.call(tool, args)
                });
                for r in futures::future::join_all(one).await {
                    answered += 1;
                    if r.is_error == Some(true) {
                        errors.push(erp_e2e::text(&r));
                    }
                }
            }
            (answered, errors)
        }
    });
    let results = futures::future::join_all(runs).await;
    let elapsed = started.elapsed();
    let after = rss_kib(app.id());
    let answered: usize = results.iter().map(|r| r.0).sum();
    let errors: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    eprintln!(
        "soak: load: {shims} shims × {calls} calls, 8 in flight each, 20 ms ERP latency: {answered} answered, {} errors \
         in {:.1} s ({:.0} calls/s); app RSS {:.1} MiB before, {:.1} MiB after",
        errors.len(),
        elapsed.as_secs_f64(),
        answered as f64 / elapsed.as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
    );
    assert_eq!(answered, shims * calls, "a reply was lost");
    assert!(errors.is_empty(), "{errors:?}");
    let _ = std::process::Command::new(bin("erp-helper")).arg("quit").env("ERP_HELPER_SOCKET", &socket).output();
    let _ = app.wait();
}
