// The manager's office: live hall, cases, refusal reports, configuration, reports, advice.
// Plain JS against /api/v1/admin; the session token lives in sessionStorage (per tab).
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const S = { token: sessionStorage.getItem("ow-admin-token"), tab: null, config: null, section: null,
              caseId: null, stream: null, refreshTimer: null, today: null };
  const TABS = ["live", "cases", "refusals", "config", "reports", "advice", "print"];
  const STEP_ZH = { assign: "指派", contact: "联系群众", verify: "核实", rectify: "整改", revisit: "整改后回访",
                    close: "办结", appeal: "申诉复核", appeal_upheld: "申诉成立", appeal_rejected: "申诉驳回" };
  const STATE_ZH = { open: "待核实", verified: "已核实", rectified: "已整改", revisited: "已回访",
                     appealing: "申诉复核中", closed: "已办结" };
  const NEXT_STEPS = { open: ["verify", "contact", "assign", "appeal"], verified: ["rectify", "contact", "assign", "appeal"],
                       rectified: ["revisit", "contact", "assign"], revisited: ["close", "contact"],
                       appealing: ["appeal_upheld", "appeal_rejected"], closed: [] };
  const STEP_EN = { assign: "Assign", contact: "Contact the citizen", verify: "Check", rectify: "Put right",
                    revisit: "Revisit", close: "Close", appeal: "Appeal", appeal_upheld: "Appeal upheld",
                    appeal_rejected: "Appeal rejected" };
  const STEP_HINT = {
    assign: "指派给谁（姓名或工号）及要求 / Assign to whom, and what to do",
    contact: "联系群众的方式和结果 / How the citizen was contacted, and what they said",
    verify: "核实情况（可不填）/ What the check found (optional)",
    rectify: "整改措施 / What was put right",
    revisit: "整改后回访结果（办结前必须填写）/ Result of the revisit (needed before closing)",
    close: "办结说明 / Closing note",
    appeal: "申诉理由（如监控、记录显示服务无误）/ Why the review was mistaken",
    appeal_upheld: "复核结论：申诉成立，该评价不计入统计 / Appeal upheld: the review leaves the figures",
    appeal_rejected: "复核结论：申诉不成立 / Appeal rejected",
  };
  const WIN_ZH = { open: "办理中", paused: "暂停", closed: "关闭" };
  const LEVEL_ZH = { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" };

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
  const num = (v) => (v === null || v === undefined ? "—" : v);
  // Times in the hall's own time zone, whatever the office PC is set to.
  const time = (ts) => (ts ? new Date(ts * 1000).toLocaleString("zh-CN", { hour12: false, timeZone: S.tz || undefined }) : "—");

  function status(text, ok) {
    const box = $("status");
    box.textContent = text || "";
    box.classList.toggle("hidden", !text);
    box.classList.toggle("ok", !!ok);
  }

  async function api(method, path, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (S.token) headers.Authorization = "Bearer " + S.token;
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status === 204) return null;
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const e = (data && data.error) || {};
      const err = new Error((e.message || "操作失败") + (e.message_en ? " / " + e.message_en : ""));
      err.status = r.status;
      err.code = e.code;
      err.field = e.field;
      if (r.status === 401) signedOut("登录已失效，请重新登录 / Session ended, sign in again");
      throw err;
    }
    return data;
  }

  async function fetchDataUrl(path) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + S.token } });
    if (!r.ok) throw new Error("图表加载失败 / plot failed");
    const blob = await r.blob();
    return new Promise((resolve) => {
      const fr = new FileReader();
      fr.onload = () => resolve(fr.result);
      fr.readAsDataURL(blob);
    });
  }

  async function download(path, filename) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + S.token } });
    if (!r.ok) { status("导出失败 / export failed"); return; }
    const blob = await r.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // -- sign-in ------------------------------------------------------------------------------
  function signedOut(message) {
    S.token = null;
    sessionStorage.removeItem("ow-admin-token");
    stopStream();
    document.querySelectorAll(".page").forEach((p) => p.classList.add("hidden"));
    $("tabs").classList.add("hidden");
    $("sign-out").classList.add("hidden");
    $("who").textContent = "";
    $("signin").classList.remove("hidden");
    status(message || "");
  }

  async function signIn(ev) {
    ev.preventDefault();
    status("");
    try {
      const res = await api("POST", "/api/v1/session", { staff_id: $("staff-id").value.trim(), pin: $("pin").value });
      $("pin").value = "";
      if (res.staff.role !== "manager") {
        S.token = res.token;
        await api("DELETE", "/api/v1/session").catch(() => null);
        signedOut("需要大厅负责人（manager）权限才能进入管理页面 / Only a hall manager may use these pages");
        return;
      }
      S.token = res.token;
      sessionStorage.setItem("ow-admin-token", S.token);
      start(res.staff);
    } catch (e) { status(e.message); }
  }

  async function resume() {
    if (!S.token) { signedOut(""); return; }
    try {
      const me = await api("GET", "/api/v1/session");
      if (me.staff.role !== "manager") { signedOut("需要大厅负责人权限 / Manager only"); return; }
      start(me.staff);
    } catch (e) { signedOut(""); }
  }

  async function start(staff) {
    try { S.tz = (await api("GET", "/api/v1/admin/live")).timezone; } catch (e) { /* shown by the tab */ }
    $("signin").classList.add("hidden");
    $("tabs").classList.remove("hidden");
    $("sign-out").classList.remove("hidden");
    $("who").textContent = staff.name + "（" + staff.id + "）";
    startStream();
    const tab = location.pathname.split("/")[2];
    go(TABS.includes(tab) ? tab : "live", false);
  }

  // -- navigation ---------------------------------------------------------------------------
  function go(tab, push) {
    S.tab = tab;
    if (push) history.pushState({ tab }, "", "/admin/" + tab + location.search);
    document.querySelectorAll(".page").forEach((p) => p.classList.toggle("hidden", p.id !== "page-" + tab));
    document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("active", a.dataset.tab === tab));
    status("");
    load(tab);
  }

  function load(tab) {
    const f = { live: loadLive, cases: loadCases, refusals: loadRefusals, config: loadConfig,
                reports: loadReports, advice: loadAdvice, print: loadPrint }[tab];
    return f().catch((e) => status(e.message));
  }

  // -- live updates: the event stream (fetch, so the token goes in a header) -------------------
  function stopStream() {
    if (S.stream) S.stream.abort();
    S.stream = null;
    $("live-mark").className = "live off";
    $("live-mark").textContent = "未连接 Offline";
  }

  function startStream() {
    stopStream();
    const ctl = new AbortController();
    S.stream = ctl;
    (async () => {
      let delay = 1000;
      while (!ctl.signal.aborted) {
        try {
          const r = await fetch("/api/v1/events/stream", { headers: { Authorization: "Bearer " + S.token },
                                                           signal: ctl.signal });
          if (!r.ok) throw new Error("stream " + r.status);
          $("live-mark").className = "live";
          $("live-mark").textContent = "实时 Live";
          delay = 1000;
          const reader = r.body.getReader();
          const dec = new TextDecoder();
          let buf = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += dec.decode(value, { stream: true });
            if (buf.includes("\n\n")) {
              const parts = buf.split("\n\n");
              buf = parts.pop();
              if (parts.some((p) => p.includes("\ndata:") || p.startsWith("id:"))) scheduleRefresh();
            }
          }
        } catch (e) {
          if (ctl.signal.aborted) return;
        }
        $("live-mark").className = "live off";
        $("live-mark").textContent = "重连中 Reconnecting";
        await new Promise((res) => setTimeout(res, delay));
        delay = Math.min(delay * 2, 15000);
      }
    })();
  }

  function scheduleRefresh() {
    clearTimeout(S.refreshTimer);
    S.refreshTimer = setTimeout(() => {
      if (S.tab === "live") loadLive().catch(() => null);
      else if (S.tab === "cases") loadCases(true).catch(() => null);
      else if (S.tab === "refusals") loadRefusals().catch(() => null);
      refreshBadges();
    }, 300);
  }

  async function refreshBadges() {
    try {
      const live = await api("GET", "/api/v1/admin/live");
      setBadges(live);
    } catch (e) { /* shown elsewhere */ }
  }

  function setBadges(live) {
    // Alerts also show in the browser tab's title, for a manager working in another tab.
    document.title = (live.alerts.length ? `⚠(${live.alerts.length}) ` : "") + "大厅管理 · Hall manager";
    const r = $("badge-refusals");
    r.textContent = live.refusals_to_review;
    r.classList.toggle("hidden", !live.refusals_to_review);
    const b = $("badge-cases");
    b.textContent = live.cases_overdue ? live.cases_overdue + " 超期" : "";
    b.classList.toggle("hidden", !live.cases_overdue);
  }

  // -- live hall ----------------------------------------------------------------------------
  async function loadLive() {
    const d = await api("GET", "/api/v1/admin/live");
    S.today = d.business_date;
    S.tz = d.timezone;
    setBadges(d);
    $("alerts").innerHTML = d.alerts.map((a) =>
      `<div class="alert">⚠ ${esc(a.text_zh)} <small>${esc(a.text_en)}</small></div>`).join("");
    const open = d.windows.filter((w) => w.state === "open").length;
    $("live-cards").innerHTML = [
      card("排队总人数", "Waiting", d.waiting_total),
      card("当前最长等候(分)", "Longest wait (min)", num(d.longest_wait_min),
           d.longest_wait_min !== null && d.longest_wait_min >= d.thresholds.wait_minutes),
      card("开放窗口", "Windows open", open + " / " + d.windows.length),
      card("未响应求助", "Help calls waiting", d.help_open.length, d.help_open.some((h) => h.alert)),
      card("待审说No报告", "Refusals to review", d.refusals_to_review),
      card("超期工单", "Overdue cases", d.cases_overdue, d.cases_overdue > 0),
      card("营业日", "Business day", d.business_date),
    ].join("");
    $("live-services").innerHTML = head([["业务", "Service"], ["排队", "Waiting", 1], ["开放窗口", "Windows", 1],
                                         ["最长等候(分)", "Longest (min)", 1], ["预计(分)", "ETA (min)", 1]]) +
      (d.services.length ? d.services.map((s) =>
        `<tr class="${s.alert ? "overdue" : ""}"><td>${esc(s.name_zh)}</td><td class="num">${s.waiting}</td>` +
        `<td class="num">${s.open_windows}</td><td class="num">${num(s.longest_wait_min)}</td>` +
        `<td class="num">${num(s.eta_minutes)}</td></tr>`).join("")
        : `<tr><td colspan="5" class="empty">目前没有人排队 No one waiting</td></tr>`);
    $("live-help").innerHTML = d.help_open.length ? `<table class="data">` +
      head([["求助终端", "Kiosk"], ["说明", "Note"], ["已等(分)", "Age (min)", 1]]) +
      d.help_open.map((h) => `<tr class="${h.alert ? "overdue" : ""}"><td>${esc(h.kiosk)}</td><td>${esc(h.note)}</td>` +
        `<td class="num">${h.age_min}</td></tr>`).join("") + `</table>`
      : `<div class="empty">没有待响应的求助 No open help calls</div>`;
    $("live-windows").innerHTML = d.windows.map((w) =>
      `<div class="win ${esc(w.state)}"><div class="num">${w.number}号 <span class="pill ${w.state === "open" ? "green" : "grey"}">${esc(WIN_ZH[w.state] || w.state)}</span></div>` +
      `<div class="meta">${esc(w.name_zh)}</div>` +
      `<div class="ticket">${w.current ? esc(w.current) : "—"}</div>` +
      `<div class="meta">${w.staff_name && w.state !== "closed" ? esc(w.staff_name) : "—"}</div></div>`).join("");
    await loadPinLocks();
  }

  // Devices (client addresses) slowed down or locked after wrong PINs: the device is locked,
  // never the clerk's account; the manager lets it sign in again.
  async function loadPinLocks() {
    const d = await api("GET", "/api/v1/admin/pin-locks");
    $("pin-locks").innerHTML = d.sources.length ? `<table class="data">` +
      head([["设备地址", "Device address"], ["连续输错", "Wrong PINs", 1], ["状态", "State"], ["", ""]]) +
      d.sources.map((s) => `<tr class="${s.locked ? "overdue" : ""}"><td>${esc(s.source)}</td>` +
        `<td class="num">${s.failed}</td><td>${s.locked ? "已锁定 Locked" : "已减速 Slowed down"}</td>` +
        `<td><button type="button" class="secondary" data-unlock="${esc(s.source)}">解锁 Unlock</button></td></tr>`).join("") +
      `</table>` : `<div class="empty">没有被暂停的设备 No device paused</div>`;
    document.querySelectorAll("#pin-locks button[data-unlock]").forEach((b) => b.addEventListener("click", async () => {
      try {
        await api("POST", "/api/v1/admin/pin-locks/unlock", { source: b.dataset.unlock });
        status(`已解锁 ${b.dataset.unlock} / Unlocked`, true);
        await loadPinLocks();
      } catch (e) { status(e.message); }
    }));
  }

  function card(zh, en, value, warn) {
    return `<div class="card${warn ? " warn" : ""}"><div class="label">${esc(zh)}<small>${esc(en)}</small></div>` +
           `<div class="value">${esc(value)}</div></div>`;
  }

  function head(cols) {
    return "<tr>" + cols.map((c) => `<th class="${c[2] ? "num" : ""}">${esc(c[0])}<small>${esc(c[1])}</small></th>`).join("") + "</tr>";
  }

  // -- cases --------------------------------------------------------------------------------
  async function loadCases(keepDetail) {
    const f = $("case-filter").value;
    const q = f === "overdue" ? "?overdue=true" : f === "closed" ? "?state=closed" : "";
    const d = await api("GET", "/api/v1/admin/cases" + q);
    S.today = d.today;
    if (f === "open") {
      const b = $("badge-cases");
      b.textContent = d.overdue ? d.overdue + " 超期" : "";
      b.classList.toggle("hidden", !d.overdue);
    }
    $("case-table").innerHTML = head([["来源", "Source"], ["内容", "Summary"], ["窗口/业务", "Window / service"],
                                      ["状态", "State"], ["下一期限", "Next due"], ["回访期限", "Revisit by"], ["整改期限", "Rectify by"],
                                      ["答复期限", "Reply by"]]) +
      (d.cases.length ? d.cases.map((c) =>
        `<tr tabindex="0" class="clickable${c.overdue ? " overdue" : ""}${c.id === S.caseId ? " selected" : ""}" data-case="${esc(c.id)}">` +
        `<td>${c.source === "rating" ? "差评" : (c.complaint && c.complaint.kind === "suggestion" ? "建议" : "投诉")}` +
        `${c.overdue ? ' <span class="pill red">已超期 overdue</span>' : ""}</td>` +
        `<td>${esc(c.summary)}</td><td>${c.window_number ? esc(c.window_number) + "号窗口 " : ""}${esc(c.service || "")}</td>` +
        `<td>${esc(STATE_ZH[c.state] || c.state)}</td><td><b>${esc(c.next_due || "—")}</b></td><td>${esc(c.revisit_due)}</td><td>${esc(c.rectify_due)}</td>` +
        `<td>${esc(c.reply_due)}</td></tr>`).join("")
        : `<tr><td colspan="8" class="empty">没有符合条件的工单 No cases</td></tr>`);
    document.querySelectorAll("#case-table tr[data-case]").forEach((tr) => {
      tr.addEventListener("click", () => openCase(tr.dataset.case).catch((e) => status(e.message)));
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") tr.click(); });
    });
    // A live refresh must not wipe a note the manager is typing.
    const note = $("case-note");
    const typing = note && (note.value || document.activeElement === note);
    if (keepDetail && S.caseId && !typing) openCase(S.caseId).catch(() => null);
  }

  async function openCase(id) {
    S.caseId = id;
    document.querySelectorAll("#case-table tr[data-case]").forEach((tr) =>
      tr.classList.toggle("selected", tr.dataset.case === id));
    const c = await api("GET", "/api/v1/admin/cases/" + encodeURIComponent(id));
    const box = $("case-detail");
    box.classList.remove("hidden");
    const steps = NEXT_STEPS[c.state] || [];
    const rating = c.rating ? `<p>评价：${esc(c.rating.level_zh)}（${c.rating.level}）原因：${esc(c.rating.reasons.join("、"))}` +
      `${c.rating.comment ? "；" + esc(c.rating.comment) : ""}</p>` : "";
    const comp = c.complaint ? `<p>编号 ${esc(c.complaint.code)} · ${c.complaint.kind === "suggestion" ? "建议" : "投诉"}` +
      `${c.complaint.phone ? " · 联系电话 " + esc(c.complaint.phone) : ""}` +
      `${c.complaint.adopted ? ' · <span class="pill green">已采纳 · 啄木鸟</span>' : ""}</p>` : "";
    box.innerHTML =
      `<div class="toolbar"><h2>工单详情 <small>Case</small></h2>` +
      `<span class="pill ${c.overdue ? "red" : (c.state === "closed" ? "green" : "")}">${esc(STATE_ZH[c.state] || c.state)}` +
      `${c.overdue ? " · 已超期 overdue" : ""}</span></div>` +
      `<p><b>${esc(c.summary)}</b></p>${rating}${comp}` +
      `<p class="hint">${[c.ticket_number ? "号票 " + esc(c.ticket_number) : "",
        c.window_number ? esc(c.window_number) + "号窗口" : "", esc(c.service || ""),
        c.staff_name ? "工作人员 " + esc(c.staff_name) : "", c.assigned_to ? "承办 " + esc(c.assigned_to) : "",
        "受理 " + esc(c.business_date), "回访 " + esc(c.revisit_due), "整改 " + esc(c.rectify_due),
        "答复 " + esc(c.reply_due)].filter(Boolean).join(" · ")}</p>` + contactHtml(c) +
      `<h3>处理记录 <small>Steps</small></h3><ul class="steps">` +
      (c.steps.length ? c.steps.map((s) => `<li><b>${esc(s.step_zh)}</b> · ${esc(s.staff_name || s.staff_id)} ` +
        `<span class="when">${esc(time(s.at))}</span><br>${esc(s.note)}</li>`).join("") : `<li class="empty">尚无处理记录 No steps yet</li>`) +
      `</ul>` +
      (steps.length ? `<div class="case-form"><select id="case-step">${steps.map((s) =>
        `<option value="${s}">${esc(STEP_ZH[s])} / ${esc(STEP_EN[s])}</option>`).join("")}</select>` +
        `<textarea id="case-note" maxlength="1000" placeholder="说明（核实情况、整改措施、回访结果…）Note"></textarea>` +
        `<button type="button" id="case-go" class="primary">记录 Record</button></div>` : "") +
      (c.complaint && c.complaint.kind === "suggestion" && !c.complaint.adopted ?
        `<div class="actions"><button type="button" id="case-adopt" class="secondary">采纳建议（啄木鸟） Adopt suggestion</button></div>` : "") +
      `<div id="case-msg" class="msg hidden" role="alert"></div>`;
    if ($("reveal-go")) $("reveal-go").addEventListener("click", () => revealContact(c.id));
    if ($("case-go")) {
      $("case-go").addEventListener("click", () => advanceCase(c.id));
      const hint = () => { $("case-note").placeholder = STEP_HINT[$("case-step").value] || "说明 Note"; };
      $("case-step").addEventListener("change", hint);
      hint();
    }
    if ($("case-adopt")) $("case-adopt").addEventListener("click", async () => {
      try {
        await api("POST", "/api/v1/admin/complaints/" + encodeURIComponent(c.complaint_id) + "/adopt");
        await openCase(c.id);
      } catch (e) { caseMsg(e.message); }
    });
  }

  function caseMsg(text, ok) {
    const m = $("case-msg");
    m.textContent = text;
    m.classList.toggle("hidden", !text);
    m.classList.toggle("ok", !!ok);
  }

  // 电话回访: the full number only on request, with a reason; each reveal is audited.
  function contactHtml(c) {
    const k = c.contact;
    if (!k) return `<p class="hint">回访电话 Contact：群众未留电话 none left</p>`;
    if (!k.consent) return `<p class="hint">回访电话 Contact：${esc(k.masked)} · 群众未同意回访，不能显示 no call-back consent</p>`;
    return `<div class="reveal"><span>回访电话 Contact：<b id="reveal-number">${esc(k.masked)}</b></span>` +
      `<input id="reveal-reason" maxlength="200" placeholder="查看原因 Why (e.g. 差评回访)" value="">` +
      `<button type="button" id="reveal-go" class="secondary">显示完整号码 Show number</button>` +
      `<span class="hint" id="reveal-count">已查看 ${k.reveals} 次 · 每次查看都会记录 every reveal is recorded</span></div>`;
  }

  async function revealContact(caseId) {
    try {
      const r = await api("POST", `/api/v1/admin/cases/${encodeURIComponent(caseId)}/contact`, { reason: $("reveal-reason").value || "" });
      const a = document.createElement("a");
      a.href = "tel:" + r.phone;
      a.textContent = r.phone;
      $("reveal-number").textContent = "";
      $("reveal-number").appendChild(a);
      $("reveal-count").textContent = `已查看 ${r.reveals} 次 · 每次查看都会记录 every reveal is recorded`;
      caseMsg("", true);
    } catch (e) {
      caseMsg(e.message, false);
    }
  }

  async function advanceCase(id) {
    try {
      const step = $("case-step").value;
      await api("POST", "/api/v1/admin/cases/" + encodeURIComponent(id) + "/advance",
                { step, note: $("case-note").value });
      await loadCases(false);
      await openCase(id);
      caseMsg("已记录：" + STEP_ZH[step] + " / Recorded", true);
    } catch (e) { caseMsg(e.message); }
  }

  // -- refusals -----------------------------------------------------------------------------
  async function loadRefusals() {
    if (!$("ref-end").value) {
      const today = S.today || (await api("GET", "/api/v1/admin/live")).business_date;
      S.today = today;
      $("ref-end").value = today;
      const d = new Date(today + "T00:00:00Z");
      d.setUTCDate(d.getUTCDate() - 6);
      $("ref-start").value = d.toISOString().slice(0, 10);
    }
    const d = await api("GET", `/api/v1/admin/refusals?start=${$("ref-start").value}&end=${$("ref-end").value}`);
    $("ref-kinds").innerHTML = head([["类型", "Kind"], ["数量", "Count", 1]]) +
      (d.by_kind.length ? d.by_kind.map((k) => `<tr><td>${esc(k.kind_zh)}</td><td class="num">${k.count}</td></tr>`).join("")
        : `<tr><td colspan="2" class="empty">无 None</td></tr>`);
    $("ref-services").innerHTML = head([["业务", "Service"], ["数量", "Count", 1]]) +
      (d.by_service.length ? d.by_service.map((k) => `<tr><td>${esc(k.service)}</td><td class="num">${k.count}</td></tr>`).join("")
        : `<tr><td colspan="2" class="empty">无 None</td></tr>`);
    $("ref-count").textContent = d.total > d.shown ? `共 ${d.total} 条，显示最近 ${d.shown} 条 / ${d.total} reports, latest ${d.shown} shown` : "";
    $("ref-table").innerHTML = head([["时间", "When"], ["窗口", "Window"], ["工作人员", "Clerk"], ["号票", "Ticket"],
                                     ["业务", "Service"], ["类型", "Kind"], ["详情", "Details"], ["审核", "Review"]]) +
      (d.refusals.length ? d.refusals.map((r) => {
        const detail = r.kind === "missing_materials" ? "缺：" + r.materials.join("、") :
          r.kind === "redirect" ? "指引至：" + (r.target_service || r.target_service_id || "") :
          "提交：" + (r.escalate_to === "manager" ? "大厅负责人" : "首席代表");
        const rev = r.review_state === "new" ?
          `<button type="button" class="secondary" data-review="${esc(r.id)}" data-decision="confirmed">确认 Confirm</button> ` +
          `<button type="button" class="danger" data-review="${esc(r.id)}" data-decision="follow_up">跟进 Follow up</button>` :
          `<span class="pill ${r.review_state === "follow_up" ? "red" : "green"}">${r.review_state === "follow_up" ? "需跟进 follow-up" : "已确认 confirmed"}</span>` +
          (r.review_note ? "<br>" + esc(r.review_note) : "");
        return `<tr class="${r.review_state === "follow_up" ? "overdue" : ""}"><td>${esc(time(r.at))}</td><td>${esc(r.window_number)}号</td>` +
          `<td>${esc(r.staff_name || r.staff_id || "")}</td><td>${esc(r.ticket_number)}</td><td>${esc(r.service)}</td>` +
          `<td>${esc(r.kind_zh)}</td><td>${esc(detail)}${r.text ? "<br>" + esc(r.text) : ""}</td><td>${rev}</td></tr>`;
      }).join("") : `<tr><td colspan="8" class="empty">这段时间没有说No报告 No refusals in these dates</td></tr>`);
    document.querySelectorAll("#ref-table button[data-review]").forEach((btn) => btn.addEventListener("click", async () => {
      const note = btn.dataset.decision === "follow_up" ? (window.prompt("跟进说明 Follow-up note", "") || "") : "";
      try {
        await api("POST", "/api/v1/admin/refusals/" + encodeURIComponent(btn.dataset.review) + "/review",
                  { decision: btn.dataset.decision, note });
        await loadRefusals();
        refreshBadges();
      } catch (e) { status(e.message); }
    }));
  }

  // -- configuration --------------------------------------------------------------------------
  async function loadConfig() {
    S.config = await api("GET", "/api/v1/admin/config");
    if (!S.section) S.section = "services";
    $("config-sections").innerHTML = S.config.sections.map((s) =>
      `<button type="button" data-section="${s.id}" class="${s.id === S.section ? "active" : ""}">${esc(s.name_zh)}` +
      `<small>${s.id}</small>${s.local ? '<span class="pill local">本地</span>' : ""}</button>`).join("");
    document.querySelectorAll("#config-sections button").forEach((b) => b.addEventListener("click", () => {
      S.section = b.dataset.section;
      loadConfig().catch((e) => status(e.message));
    }));
    showSection();
    const audit = await api("GET", "/api/v1/admin/config/audit?limit=50");
    $("config-audit").innerHTML = head([["时间", "When"], ["修改人", "Who"], ["部分", "Section"], ["操作", "Action"],
                                        ["修改前 → 修改后", "Before → after"], ["说明", "Note"]]) +
      (audit.length ? audit.map((a) => `<tr><td>${esc(time(a.at))}</td><td>${esc(a.staff_id)}</td><td>${esc(a.section)}</td>` +
        `<td>${a.action === "set" ? "修改 set" : "撤销 revert"}</td><td>${a.changes.slice(0, 8).map((c) =>
          `${esc(c.path)}: ${esc(JSON.stringify(c.before))} → ${esc(JSON.stringify(c.after))}`).join("<br>")}` +
        `${a.changes.length > 8 ? "<br>…" : ""}</td><td>${esc(a.note)}</td></tr>`).join("")
        : `<tr><td colspan="6" class="empty">尚无修改 No changes yet</td></tr>`);
  }

  function showSection() {
    const s = S.config.sections.find((x) => x.id === S.section);
    $("config-title").innerHTML = esc(s.name_zh) + `<small>${esc(s.id)}</small>`;
    $("config-local").classList.toggle("hidden", !s.local);
    $("config-central").classList.toggle("hidden", !S.config.central_managed);
    $("config-local").textContent = s.local ? ("本地修改 Local edit · " + (s.updated_by || "") +
      (s.in_force ? "" : " · 未生效 not in force")) : "";
    $("config-revert").classList.toggle("hidden", !s.local);
    $("config-json").value = JSON.stringify(s.value, null, 2);
    $("config-msg").classList.add("hidden");
    const form = $("config-form");
    const box = $("config-json-box");
    if (s.id === "services") {
      form.innerHTML = `<table class="data">` + head([["业务", "Service"], ["每日号源上限", "Daily cap"],
        ["平均办理(分)", "Avg min"], ["停止取号", "Cut-off"], ["材料清单（每行一项）", "Materials, one per line"]]) +
        s.value.map((v, i) => `<tr><td>${esc(v.name_zh)}<small>${esc(v.id)}</small></td>` +
          `<td><input type="number" data-i="${i}" data-k="daily_cap" value="${esc(v.daily_cap)}"></td>` +
          `<td><input type="number" step="0.5" data-i="${i}" data-k="avg_minutes" value="${esc(v.avg_minutes ?? "")}"></td>` +
          `<td><input type="text" class="time" data-i="${i}" data-k="ticket_cutoff" value="${esc(v.ticket_cutoff ?? "")}" placeholder="HH:MM"></td>` +
          `<td><textarea data-i="${i}" data-k="materials" rows="3">${esc(v.materials.join("\n"))}</textarea></td></tr>`).join("") +
        `</table>`;
      box.open = false;
    } else if (s.id === "day") {
      const v = s.value;
      form.innerHTML = `<div class="row">` + [["open", "开门", "Opens"], ["close", "关门", "Closes"],
        ["ticket_cutoff", "停止取号", "Ticket cut-off"], ["rollover", "营业日切换", "Day rollover"]].map(([k, zh, en]) =>
        `<label>${zh}<small>${en}</small><input type="text" class="time" data-k="${k}" value="${esc(v[k])}"></label>`).join("") +
        `<label>营业星期（1=周一）<small>Weekdays</small><input type="text" data-k="weekdays" value="${esc(v.weekdays.join(","))}"></label></div>`;
      box.open = false;
    } else if (s.id === "cases") {
      const v = s.value;
      form.innerHTML = `<div class="row">` + [["revisit_working_days", "回访时限", "Revisit"],
        ["rectify_working_days", "整改时限", "Rectify"], ["reply_working_days", "差评答复时限", "Reply (rating)"],
        ["complaint_reply_working_days", "投诉答复时限", "Reply (complaint)"]].map(([k, zh, en]) =>
        `<label>${zh}（工作日）<small>${en}, working days</small><input type="number" data-k="${k}" value="${esc(v[k])}"></label>`).join("") + `</div>`;
      box.open = false;
    } else if (s.id === "windows") {
      const names = {};
      (S.config.sections.find((x) => x.id === "services").value || []).forEach((v) => { names[v.id] = v.name_zh; });
      form.innerHTML = `<p class="hint">业务按优先顺序填写编号，用逗号分隔 <small>Services by priority, ids separated by commas</small></p>` +
        `<table class="data">` + head([["窗口", "Window"], ["名称", "Name"], ["叫号方式", "Mode"], ["办理业务（按优先顺序）", "Services in priority order"]]) +
        s.value.map((v, i) => `<tr><td>${v.number}号<small>${esc(v.id)}</small></td>` +
          `<td><input type="text" data-i="${i}" data-k="name_zh" value="${esc(v.name_zh)}"></td>` +
          `<td><select data-i="${i}" data-k="mode">${[["fifo", "先到先办"], ["order", "按业务顺序"], ["ratio", "按比例"]].map(([m, zh]) =>
            `<option value="${m}"${v.mode === m ? " selected" : ""}>${zh} ${m}</option>`).join("")}</select></td>` +
          `<td><input type="text" class="wide" data-i="${i}" data-k="services" value="${esc(v.services.join(", "))}">` +
          `<small>${esc(v.services.map((x) => names[x] || x).join("、"))}</small></td></tr>`).join("") + `</table>`;
      box.open = false;
    } else if (s.id === "ratings") {
      const v = s.value;
      form.innerHTML = `<div class="row levels">` + ["5", "4", "3", "2", "1"].map((lvl) =>
        `<label>${esc(LEVEL_ZH[lvl])}（${lvl}）可选原因<small>Reasons, one per line</small>` +
        `<textarea data-k="${lvl}" rows="6">${esc((v.reasons[lvl] || []).join("\n"))}</textarea></label>`).join("") + `</div>`;
      box.open = false;
    } else if (s.id === "green_channel") {
      const rows = s.value.reasons.concat([{ id: "", zh: "", en: "" }]);
      form.innerHTML = `<p class="hint">清空一行即删除；在最后一行填写即新增 <small>Clear a row to remove it; fill the last row to add one</small></p>` +
        `<table class="data">` + head([["编号", "Id"], ["中文", "Chinese"], ["英文", "English"]]) +
        rows.map((r, i) => `<tr>${["id", "zh", "en"].map((k) =>
          `<td><input type="text" data-i="${i}" data-k="${k}" value="${esc(r[k])}"></td>`).join("")}</tr>`).join("") + `</table>`;
      box.open = false;
    } else if (s.id === "calendar") {
      const v = s.value;
      form.innerHTML = `<div class="row"><label>法定节假日（每行一个日期）<small>Public holidays, one date per line</small>` +
        `<textarea data-k="holidays" rows="10">${esc(v.holidays.join("\n"))}</textarea></label>` +
        `<label>调休上班日（周末上班）<small>Make-up working days</small>` +
        `<textarea data-k="workdays" rows="10">${esc(v.workdays.join("\n"))}</textarea></label></div>`;
      box.open = false;
    } else {
      form.innerHTML = "";
      box.open = true;
    }
  }

  function formValue(s) {
    const value = JSON.parse(JSON.stringify(s.value));
    const read = (el) => {
      if (el.type === "number") return el.value.trim() === "" ? null : Number(el.value);
      return el.value;
    };
    if (s.id === "services") {
      document.querySelectorAll("#config-form [data-i]").forEach((el) => {
        const row = value[Number(el.dataset.i)];
        const k = el.dataset.k;
        if (k === "materials") row[k] = el.value.split("\n").map((x) => x.trim()).filter(Boolean);
        else if (k === "ticket_cutoff") row[k] = el.value.trim() || null;
        else row[k] = read(el);
      });
    } else if (s.id === "day") {
      document.querySelectorAll("#config-form [data-k]").forEach((el) => {
        if (el.dataset.k === "weekdays") value.weekdays = el.value.split(/[,，\s]+/).filter(Boolean).map(Number);
        else value[el.dataset.k] = el.value.trim();
      });
    } else if (s.id === "cases") {
      document.querySelectorAll("#config-form [data-k]").forEach((el) => { value[el.dataset.k] = read(el); });
    } else if (s.id === "windows") {
      document.querySelectorAll("#config-form [data-i]").forEach((el) => {
        const row = value[Number(el.dataset.i)];
        if (el.dataset.k === "services") row.services = el.value.split(/[,，、\s]+/).filter(Boolean);
        else row[el.dataset.k] = el.value.trim();
      });
    } else if (s.id === "ratings") {
      document.querySelectorAll("#config-form [data-k]").forEach((el) => {
        value.reasons[el.dataset.k] = el.value.split("\n").map((x) => x.trim()).filter(Boolean);
      });
    } else if (s.id === "green_channel") {
      const rows = {};
      document.querySelectorAll("#config-form [data-i]").forEach((el) => {
        rows[el.dataset.i] = rows[el.dataset.i] || {};
        rows[el.dataset.i][el.dataset.k] = el.value.trim();
      });
      value.reasons = Object.keys(rows).sort((a, b) => a - b).map((k) => rows[k])
        .filter((r) => r.id || r.zh || r.en);
    } else if (s.id === "calendar") {
      document.querySelectorAll("#config-form [data-k]").forEach((el) => {
        value[el.dataset.k] = el.value.split(/[\s,，]+/).filter(Boolean);
      });
    }
    return value;
  }

  function configMsg(text, ok) {
    const m = $("config-msg");
    m.textContent = text;
    m.classList.toggle("hidden", !text);
    m.classList.toggle("ok", !!ok);
  }

  // A refused value is explained beside its field, Chinese first, then English.
  function clearFieldErrors() {
    document.querySelectorAll("#config-form .field-error").forEach((el) => el.remove());
    document.querySelectorAll("#config-form [aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  function showFieldError(f) {
    if (!f || f.section !== S.section || !f.key) return false;
    const sel = "#config-form [data-k='" + CSS.escape(String(f.key)) + "']" +
      (f.index !== undefined ? "[data-i='" + f.index + "']" : "");
    const el = document.querySelector(sel);
    if (!el) return false;
    const p = document.createElement("div");
    p.className = "field-error";
    p.setAttribute("role", "alert");
    const zh = document.createElement("span");
    zh.textContent = f.zh;
    const en = document.createElement("small");
    en.textContent = f.en;
    p.append(zh, en);
    el.setAttribute("aria-invalid", "true");
    el.insertAdjacentElement("afterend", p);
    el.scrollIntoView({ block: "center" });
    el.focus();
    return true;
  }

  async function saveSection() {
    const s = S.config.sections.find((x) => x.id === S.section);
    clearFieldErrors();
    let value;
    if ($("config-json-box").open || !$("config-form").innerHTML) {
      try { value = JSON.parse($("config-json").value); } catch (e) {
        configMsg("JSON 格式错误：" + e.message + " / Not valid JSON");
        return;
      }
    } else {
      value = formValue(s);
    }
    try {
      await api("PUT", "/api/v1/admin/config/" + s.id, { value, note: $("config-note").value, version: s.version });
      $("config-note").value = "";
      await loadConfig();
      configMsg("已校验并生效，已记录修改 / Validated, applied and audited", true);
    } catch (e) { showFieldError(e.field); configMsg(e.message); }
  }

  async function revertSection() {
    try {
      await api("DELETE", "/api/v1/admin/config/" + S.section);
      await loadConfig();
      configMsg("已撤销本地修改，恢复基础配置 / Local edit reverted", true);
    } catch (e) { configMsg(e.message); }
  }

  // -- reports ------------------------------------------------------------------------------
  async function ensureDate(input) {
    if (!input.value) {
      if (!S.today) S.today = (await api("GET", "/api/v1/admin/live")).business_date;
      input.value = new URLSearchParams(location.search).get("date") || S.today;
    }
    return input.value;
  }

  function renderTable(t, q) {
    const cols = t.columns;
    const fmt = (c, v) => (/rate|share/.test(c.key) ? pct(v) : num(v));
    return `<section class="panel"><div class="table-head"><h2>${esc(t.title_zh)}<small>${esc(t.title_en)}</small></h2>` +
      (q ? `<button type="button" class="secondary" data-csv="${t.id}">导出 CSV Export</button>` : "") + `</div>` +
      `<table class="data" data-table="${t.id}">` + head(cols.map((c) => [c.zh, c.en, typeof (t.rows[0] || {})[c.key] === "number" || /rate|min|count|issued|done/.test(c.key)])) +
      (t.rows.length ? t.rows.map((r) => "<tr>" + cols.map((c) =>
        `<td class="${typeof r[c.key] === "number" || r[c.key] === null ? "num" : ""}">${esc(fmt(c, r[c.key]))}</td>`).join("") + "</tr>").join("")
        : `<tr><td colspan="${cols.length}" class="empty">无数据 No data</td></tr>`) + `</table></section>`;
  }

  function totalsCards(d) {
    const t = d.totals;
    return [
      card("取号", "Tickets issued", t.tickets_issued), card("办理", "Served", t.served),
      card("过号率", "No-show rate", pct(t.no_show_rate)), card("离开率", "Walk-out rate", pct(t.walk_out_rate)),
      card("等候中位(分)", "Wait median", num(t.wait_median_min)), card("等候P90(分)", "Wait p90", num(t.wait_p90_min)),
      card("办理中位(分)", "Service median", num(t.service_median_min)),
      card("好评率", "Good rate", pct(d.ratings.good_rate)), card("差评率", "Bad rate", pct(d.ratings.bad_rate)),
      card("未评价率", "Unrated rate", pct(d.ratings.unrated_rate)),
      card("转办", "Transfers", t.transferred), card("说No报告", "Refusals", t.refusals),
      card("投诉/建议", "Complaints / suggestions", t.complaints + " / " + t.suggestions),
      card("工单按时办结", "Cases closed in time (of those due)", t.cases_closed_in_time + " / " + (t.cases_due ?? t.cases_opened)),
    ].join("");
  }

  async function loadPlots(container, q) {
    const names = ["hours", "waits", "ratings"].concat(q.includes("period=day") ? [] : ["days"]);
    container.innerHTML = names.map((n) => `<figure><img alt="${n}" data-plot="${n}"></figure>`).join("");
    await Promise.all(names.map(async (n) => {
      const img = container.querySelector(`img[data-plot="${n}"]`);
      img.src = await fetchDataUrl(`/api/v1/admin/reports/plot/${n}.png?${q}`);
    }));
  }

  async function loadReports() {
    const date = await ensureDate($("rep-date"));
    const period = $("rep-period").value;
    const q = `period=${period}&date=${date}`;
    const d = await api("GET", "/api/v1/admin/reports?" + q);
    $("rep-range").textContent = `${d.hall} · ${d.start}${d.end !== d.start ? " 至 " + d.end : ""}`;
    $("rep-print").href = "/admin/print?date=" + date;
    $("rep-cards").innerHTML = totalsCards(d);
    $("rep-tables").innerHTML = d.tables.map((t) => renderTable(t, q)).join("");
    document.querySelectorAll("#rep-tables button[data-csv]").forEach((b) => b.addEventListener("click", () =>
      download(`/api/v1/admin/reports/csv?table=${b.dataset.csv}&${q}`, `${b.dataset.csv}_${d.start}_${d.end}.csv`)));
    await loadPlots($("rep-plots"), q);
  }

  async function loadPrint() {
    const date = await ensureDate($("print-date"));
    const q = `period=day&date=${date}`;
    const d = await api("GET", "/api/v1/admin/reports?" + q);
    const keep = ["services", "hours", "windows", "ratings", "handoffs", "cases"];
    $("print-body").innerHTML = `<h1>${esc(d.hall)} 服务日报</h1><div class="sub">Daily service report · 营业日 ${esc(d.start)}</div>` +
      `<div class="cards">${totalsCards(d)}</div><div class="plots" id="print-plots"></div>` +
      d.tables.filter((t) => keep.includes(t.id)).map((t) => renderTable(t, null)).join("");
    await loadPlots($("print-plots"), q);
  }

  // -- advice -------------------------------------------------------------------------------
  async function loadAdvice() {
    const date = await ensureDate($("adv-date"));
    const d = await api("GET", `/api/v1/admin/advice?period=${$("adv-period").value}&date=${date}`);
    $("adv-range").textContent = `${d.start}${d.end !== d.start ? " 至 " + d.end : ""}` +
      (d.previous ? ` · 对比 compared with ${d.previous.start} 至 ${d.previous.end}` : "") +
      ` · 等候目标 P90 ≤ ${d.target_p90_minutes} 分钟`;
    const item = (a, warn, extra) => `<div class="advice-item${warn ? " warn" : ""}"><p>${esc(a.text_zh)}</p>` +
      `<p class="en">${esc(a.text_en)}</p>${extra || ""}</div>`;
    const staffing = d.staffing.map((a) => item(a, a.extra_windows > 0, `<table class="data">` +
      head([["时段", "Hour"], ["P90等候(分)", "p90 wait", 1], ["日均到达", "Arrivals/day", 1], ["当前窗口", "Windows now", 1],
            ["需要窗口", "Windows needed", 1], ["增开", "Extra", 1]]) +
      a.hours.map((h) => `<tr><td>${h.hour}</td><td class="num">${h.p90_wait_min}</td><td class="num">${h.arrivals_per_day}</td>` +
        `<td class="num">${h.windows_now}</td><td class="num">${h.windows_needed}</td><td class="num">${h.extra_windows}</td></tr>`).join("") +
      `</table>`)).join("");
    const bad = d.bad_ratings.map((a) => item(a, true)).join("");
    const mats = d.materials.map((a) => item(a, false)).join("");
    const cmp = (now, before, lowerBetter) => {
      if (now === null || now === undefined) return "—";
      if (before === null || before === undefined || before === now) return esc(now);
      const better = lowerBetter ? now < before : now > before;
      return `${esc(now)} <span class="${better ? "better" : "worse"}">${now < before ? "↓" : "↑"}</span><small>${esc(before)}</small>`;
    };
    const five = `<table class="data">` + head([["业务", "Service"], ["材料数", "Materials", 1], ["环节（每人经手窗口）", "Steps per citizen", 1],
      ["全程时间中位(分)", "Total time median", 1], ["办件人数", "Citizens", 1]]) +
      d.five_reductions.filter((r) => r.citizens || r.citizens_before).map((r) => `<tr><td>${esc(r.service)}</td>` +
        `<td class="num">${cmp(r.materials, r.materials_before, true)}</td><td class="num">${cmp(r.steps, r.steps_before, true)}</td>` +
        `<td class="num">${cmp(r.time_median_min, r.time_median_min_before, true)}</td>` +
        `<td class="num">${cmp(r.citizens, r.citizens_before, false)}</td></tr>`).join("") + `</table>`;
    const none = `<div class="empty">本期没有此类问题 Nothing to flag in this period</div>`;
    $("adv-body").innerHTML =
      `<section class="panel"><h2>窗口配置与等候 <small>Staffing and waits (服务动态优化)</small></h2>${staffing || none}</section>` +
      `<section class="panel"><h2>差评率异常 <small>Unusual bad-rating rates</small></h2>${bad || none}</section>` +
      `<section class="panel"><h2>最常缺少的材料 <small>Materials most often missing</small></h2>${mats || none}</section>` +
      `<section class="panel"><h2>五减：材料、环节、时间 <small>Fewer materials, steps and time — this period vs previous</small></h2>${five}</section>`;
  }

  // -- wiring -------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", async () => {
      await api("DELETE", "/api/v1/session").catch(() => null);
      signedOut("已退出 / Signed out");
    });
    document.querySelectorAll("#tabs a[data-tab]").forEach((a) => a.addEventListener("click", (ev) => {
      ev.preventDefault();
      go(a.dataset.tab, true);
    }));
    window.addEventListener("popstate", () => {
      const tab = location.pathname.split("/")[2];
      if (S.token) go(TABS.includes(tab) ? tab : "live", false);
    });
    $("case-filter").addEventListener("change", () => loadCases(false).catch((e) => status(e.message)));
    $("ref-load").addEventListener("click", () => loadRefusals().catch((e) => status(e.message)));
    $("config-save").addEventListener("click", saveSection);
    $("config-revert").addEventListener("click", revertSection);
    $("rep-load").addEventListener("click", () => loadReports().catch((e) => status(e.message)));
    $("rep-period").addEventListener("change", () => loadReports().catch((e) => status(e.message)));
    $("adv-load").addEventListener("click", () => loadAdvice().catch((e) => status(e.message)));
    $("adv-period").addEventListener("change", () => loadAdvice().catch((e) => status(e.message)));
    $("print-load").addEventListener("click", () => loadPrint().catch((e) => status(e.message)));
    $("print-go").addEventListener("click", () => window.print());
    resume();
  });
})();
