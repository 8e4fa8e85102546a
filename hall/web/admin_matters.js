// The manager's one-visit page (/admin/matters): 一次办好率 by service and month, time against
// the promise, materials most often owed, results not collected; plot and CSV.
"use strict";
(function () {
  const S = { token: sessionStorage.getItem("ow-admin-token") };
  const $ = (id) => document.getElementById(id);
  const COLS = [["month", "月份"], ["service", "事项"], ["matters", "办件"], ["settled", "已办结"],
    ["one_visit_rate", "一次办好率(不含取件)"], ["one_visit_incl_pickup_rate", "一次办好率(含取件)"],
    ["visits_per_matter", "平均跑动"], ["actual_days", "实际用时(工作日)"], ["promised_days", "承诺时限"],
    ["time_ratio", "实际/承诺"], ["within_half_rate", "半数时限内"], ["overdue", "超期"], ["owed_matters", "容缺"]];

  function status(msg) {
    $("status").textContent = msg || "";
    $("status").classList.toggle("hidden", !msg);
  }
  async function fetchAuth(path) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + S.token } });
    if (r.status === 401) { signedOut(); throw new Error("请重新登录 · Sign in again"); }
    if (!r.ok) {
      const d = await r.json().catch(() => ({}));
      const e = d.error || {};
      throw new Error((e.message || "查询失败") + (e.message_en ? " · " + e.message_en : ""));
    }
    return r;
  }
  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
  const num = (v) => (v === null || v === undefined ? "—" : String(v));
  function q() {
    const p = new URLSearchParams();
    if ($("from").value) p.set("from", $("from").value);
    if ($("to").value) p.set("to", $("to").value);
    return p;
  }
  function signedOut() {
    $("page").classList.add("hidden");
    $("signin").classList.remove("hidden");
  }
  async function signIn(ev) {
    ev.preventDefault();
    const r = await fetch("/api/v1/session", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ staff_id: $("staff-id").value.trim(), pin: $("pin").value }) });
    const d = await r.json().catch(() => ({}));
    if (!r.ok) { status((d.error || {}).message || "登录失败"); return; }
    S.token = d.token;
    sessionStorage.setItem("ow-admin-token", S.token);
    status("");
    start();
  }
  function card(label, value, warn) {
    const c = document.createElement("div");
    c.className = "card" + (warn ? " warn" : "");
    const b = document.createElement("b");
    b.textContent = value;
    c.append(b, document.createTextNode(label));
    return c;
  }
  async function load() {
    const rep = await (await fetchAuth("/api/v1/admin/matters/report?" + q())).json();
    const t = rep.total || {};
    const cards = $("cards");
    cards.textContent = "";
    cards.append(card("一次办好率（不含取件）One visit, pickup apart", pct(t.one_visit_rate)),
      card("一次办好率（含取件）One visit in all", pct(t.one_visit_incl_pickup_rate)),
      card("平均跑动次数 Visits per matter", num(t.visits_per_matter)),
      card("实际/承诺用时（目标 0.5）Actual / promised", num(t.time_ratio), t.time_ratio > 0.5),
      card("超期 Overdue", num(t.overdue), t.overdue > 0), card("办件 Matters", num(t.matters)));
    const table = $("table");
    table.textContent = "";
    const head = table.insertRow();
    COLS.forEach(([, zh]) => { const th = document.createElement("th"); th.textContent = zh; head.append(th); });
    for (const row of rep.rows) {
      const tr = table.insertRow();
      COLS.forEach(([k]) => { tr.insertCell().textContent = k.endsWith("rate") ? pct(row[k]) : num(row[k]); });
    }
    const list = (id, items, fmt) => {
      const ul = $(id);
      ul.textContent = "";
      for (const x of items) { const li = document.createElement("li"); li.textContent = fmt(x); ul.append(li); }
    };
    list("most-visits", rep.most_visits, (x) => `${x.service}：平均 ${x.visits_per_matter} 次（${x.matters} 件）`);
    list("most-owed", rep.most_owed, (x) => `${x.material}：${x.count} 件容缺`);
    const png = await (await fetchAuth("/api/v1/admin/matters/report.png?" + q())).blob();
    const reader = new FileReader();
    reader.onload = () => { $("plot").src = reader.result; };
    reader.readAsDataURL(png);
    const unc = await (await fetchAuth("/api/v1/admin/matters/uncollected")).json();
    const ut = $("uncollected");
    ut.textContent = "";
    for (const m of unc) {
      const tr = ut.insertRow();
      [m.code, m.service_name_zh, new Date(m.ready_at * 1000).toLocaleDateString("zh-CN"), m.phone_masked || "—"]
        .forEach((v) => { tr.insertCell().textContent = v; });
    }
    $("uncollected-none").classList.toggle("hidden", unc.length > 0);
  }
  async function csv() {
    const blob = await (await fetchAuth("/api/v1/admin/matters/report?format=csv&" + q())).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "one-visit.csv";
    a.click();
  }
  async function start() {
    if (!S.token) { signedOut(); return; }
    const me = await (await fetchAuth("/api/v1/session")).json();
    $("who").textContent = me.staff.name;
    $("signin").classList.add("hidden");
    $("page").classList.remove("hidden");
    await load();
  }
  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", (e) => signIn(e).catch((x) => status(x.message)));
    $("load").addEventListener("click", () => load().catch((e) => status(e.message)));
    $("csv").addEventListener("click", () => csv().catch((e) => status(e.message)));
    start().catch((e) => status(e.message));
  });
})();
