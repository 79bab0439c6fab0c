// Shared by the app's windows. Talks to the app only through its commands; no
// window ever sees a token or calls the ERP.
const invoke = (cmd, args) => window.__TAURI__.core.invoke(cmd, args);
const $ = (id) => document.getElementById(id);
const text = (el, s) => { if (el) el.textContent = s; };

function banner(kind, message) {
  const b = $("banner");
  if (!b) return;
  b.className = "banner " + kind;
  b.textContent = message;
}

function fromQuery() {
  const q = new URLSearchParams(window.location.search);
  if (q.get("error")) banner("bad", q.get("error"));
  else if (q.get("signed_in")) banner("ok", "Signed in. You can return to " + (q.get("return_to") || "your editor") + ".");
}

// The app's one sentence for the session (erp-proto's session_sentence).
function describeSession(s) {
  return s.summary;
}

function fillList(ul, items, empty, render) {
  ul.replaceChildren();
  if (items.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = empty;
    ul.append(li);
    return;
  }
  for (const item of items) ul.append(render(item));
}

async function renderStatus() {
  const s = await invoke("status");
  text($("account"), describeSession(s.session));
  text($("storage"), s.session.storage);
  text($("erp"), s.erp_api_url);
  const signout = $("signout");
  if (signout) signout.disabled = s.session.state !== "signed_in";
  const apps = $("apps");
  if (apps) fillList(apps, s.clients, "No apps connected right now", (c) => {
    const li = document.createElement("li");
    const who = c.client.mcp_client
      ? c.client.mcp_client + (c.client.mcp_client_version ? " " + c.client.mcp_client_version : "")
      : c.client.name + " " + c.client.version;
    const proc = c.pid ? " — pid " + c.pid + (c.exe ? ", " + c.exe : "") : "";
    li.textContent = who + proc + ", " + c.calls + (c.calls === 1 ? " call" : " calls") + " ";
    li.className = "client";
    const end = document.createElement("button");
    end.className = "secondary disconnect";
    end.textContent = "Disconnect";
    end.addEventListener("click", async () => {
      try { await invoke("disconnect_client", { id: c.id }); banner("ok", "Disconnected " + who + "."); renderStatus(); }
      catch (err) { banner("bad", String(err)); }
    });
    li.appendChild(end);
    return li;
  });
  const list = $("allowlist");
  if (list) {
    fillList(list, s.allowlist.entries, "Empty: any account the ERP accepts may use ERP Helper", (e) => {
      const li = document.createElement("li");
      const span = document.createElement("span");
      span.textContent = e;
      li.append(span);
      if (!s.allowlist.locked) {
        const rm = document.createElement("button");
        rm.className = "secondary";
        rm.textContent = "Remove";
        rm.dataset.entry = e;
        rm.onclick = async () => {
          try { await invoke("allow_remove", { entry: e }); banner("ok", "Removed " + e + "."); }
          catch (err) { banner("bad", String(err)); }
          renderStatus();
        };
        li.append(rm);
      }
      return li;
    });
    const locked = $("locked");
    if (locked) locked.hidden = !s.allowlist.locked;
    const form = $("add-form");
    if (form) form.hidden = s.allowlist.locked;
  }
}

function wireCommon() {
  const on = (id, f) => { const el = $(id); if (el) el.onclick = f; };
  on("signin-google", async () => banner("ok", await invoke("start_sign_in", { method: "google" })));
  on("signin-erp", async () => banner("ok", await invoke("start_sign_in", { method: "erp_page" })));
  on("signout", async () => {
    try { await invoke("sign_out"); banner("ok", "Signed out. The session was deleted."); }
    catch (err) { banner("bad", String(err)); }
    renderStatus();
  });
  const form = $("add-form");
  if (form) form.onsubmit = async (ev) => {
    ev.preventDefault();
    const entry = $("entry").value;
    try { await invoke("allow_add", { entry }); $("entry").value = ""; banner("ok", "Added " + entry.trim().toLowerCase() + "."); }
    catch (err) { banner("bad", String(err)); }
    renderStatus();
  };
  const token = $("token-form");
  if (token) token.onsubmit = async (ev) => {
    ev.preventDefault();
    const input = $("token");
    const value = input.value;
    input.value = "";
    $("paste").disabled = true;
    try {
      const s = await invoke("paste_token", { token: value });
      banner("ok", describeSession(s) + " You can close this window.");
    } catch (err) { banner("bad", String(err)); }
    $("paste").disabled = false;
  };
}

async function renderActivity() {
  const body = $("activity");
  if (!body) return;
  const entries = await invoke("audit", { limit: 200 });
  body.replaceChildren();
  if (entries.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 5;
    td.className = "muted";
    td.textContent = "No writes yet.";
    tr.append(td);
    body.append(tr);
  }
  for (const e of entries) {
    const tr = document.createElement("tr");
    for (const [v, cls] of [[e.time.replace("T", " ").replace("Z", ""), ""], [e.client, ""], [e.tool, ""], [e.outcome, e.outcome], [e.detail, ""]]) {
      const td = document.createElement("td");
      td.textContent = v;
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  }
}

window.addEventListener("DOMContentLoaded", () => {
  fromQuery();
  wireCommon();
  renderStatus().catch((e) => banner("bad", String(e)));
  renderActivity().catch((e) => banner("bad", String(e)));
  window.__TAURI__.event.listen("session-changed", () => { renderStatus(); renderActivity(); });
});
