// The citizen's ticket page: live position, the silent call (banner, vibration, tone), rating.
"use strict";
(function () {
  const token = decodeURIComponent(location.pathname.split("/").pop() || "");
  const api = (p) => "/api/v1" + p;
  const TEXT = {
    zh: {
      your_number: "您的号码", ahead: "前面还有（人）", eta: "预计等候（分钟）",
      called_title: "轮到您了", please_go: "请到", window_suffix: "号窗口", ack: "我知道了",
      rate_title: "请为本次服务评价", reasons_title: "请选择不满意的原因（可多选）", submit: "提交评价",
      thanks: "感谢您的评价！", complain_title: "我要投诉 / 建议", complain_link: "我要投诉 / 建议（吐槽找茬）",
      complain_label: "请写下您遇到的问题（不必填写姓名）", complain_cat: "问题类别", live_on: "实时更新中", live_off: "正在连接…",
      not_found: "没有找到这张票，请核对二维码", complaint_done: "已收到，受理编号：", lang: "EN",
      relay_offline: "大厅网络中断，进度暂停更新；叫号短信照常发送", relay_age: "以下为{age}前的状态",
      last_known: "最后状态", relayed_done: "已收到，已转交大厅处理",
      minutes: "{n}分钟", seconds: "{n}秒",
      states: { waiting: "等候中", called: "正在叫您", serving: "正在办理", held: "已挂起，请留意叫号",
        done: "已办结", no_show: "已过号", walked_out: "已取消（您已离开）", transferred: "已转办，请留意新号码",
        refused: "已出具告知", expired: "今日已结束" },
      refused_states: { missing_materials: "已出具一次性告知单", escalate: "已提交研究，等待答复" },
      notice_missing: "一次性告知单", notice_escalate: "已提交研究（窗口无权否决）", notice_redirect: "已为您转办",
      lead_missing: "{service}：材料尚不齐全。请补齐下列材料后再来办理，无需再次咨询。",
      lead_escalate: "您的事项已提交{to}研究，将在 {days} 个工作日内（{date} 前）答复您。",
      lead_redirect: "您要办的事项属于另一项业务，已为您转过去。您的号码和排队位置不变。",
      missing_title: "尚需补齐的材料", handed_title: "已提交的材料", electronic_title: "免提交（平台已有电子证照）", text_missing: "窗口说明",
      text_escalate: "需要研究的问题", text_redirect: "转办原因",
      meta: "{window} 号窗口 · {date}", contact: "如有疑问，请到{desk}，或拨打 {hotline}。",
      noshow_title: "您已过号", noshow_go: "请到", noshow_after: "，工作人员会为您安排。",
      rate_phone: "手机号（选填，便于我们回访整改情况）", complain_phone: "手机号（选填，便于回访）",
      consent: "我同意工作人员用此号码联系我回访（仅用于本次反映）", track: "查看处理进度 →",
      need_consent: "留下手机号请勾选同意回访；不想被联系可不填手机号",
      leave: "我不办了", leave_q: "确定不办了吗？您的号码将作废，需要时请重新取号。", leave_yes: "确定离开",
      leave_no: "继续等候", left_text: "已为您取消排队。欢迎下次再来。",
      no_window: "当前无窗口办理此业务，开放时间待定，请到咨询台询问", no_window_opens: "当前无窗口办理此业务，预计 {time} 开放",
      levels: { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" },
    },
    en: {
      your_number: "Your number", ahead: "People ahead", eta: "Est. wait (min)",
      called_title: "It's your turn", please_go: "Please go to window", window_suffix: "", ack: "Got it",
      rate_title: "Please rate the service", reasons_title: "What went wrong? (pick any)", submit: "Submit",
      thanks: "Thank you for your rating!", complain_title: "Complaint / suggestion",
      complain_link: "File a complaint or suggestion", complain_label: "Tell us what happened (no name needed)", complain_cat: "Category",
      live_on: "Live", live_off: "Connecting…", not_found: "Ticket not found; check the QR code",
      complaint_done: "Received. Tracking code: ", lang: "中文",
      relay_offline: "The hall's network is down; progress updates are paused. Call text messages are still sent.",
      relay_age: "Showing the state of {age} ago", last_known: "Last known",
      relayed_done: "Received; passed on to the hall", minutes: "{n} min", seconds: "{n} s",
      states: { waiting: "Waiting", called: "Being called", serving: "Being served", held: "On hold; watch for your call",
        done: "Completed", no_show: "Missed your call", walked_out: "Cancelled (you left)",
        transferred: "Transferred; watch for your new number", refused: "Notice issued", expired: "Closed for today" },
      refused_states: { missing_materials: "One-time notice issued", escalate: "Referred for a decision" },
      notice_missing: "One-time notice of missing materials", notice_escalate: "Referred for a decision",
      notice_redirect: "Sent to the right service",
      lead_missing: "{service}: some materials are missing. Bring the items below and you can be served; no need to ask again.",
      lead_escalate: "Your request has been referred to {to}; you will get an answer within {days} working days (by {date}).",
      lead_redirect: "What you need is handled by another service; you have been moved there. Your number and place in the queue stay the same.",
      missing_title: "Still needed", handed_title: "Already handed in", electronic_title: "Not needed (held electronically)", text_missing: "Note from the window",
      text_escalate: "The question referred", text_redirect: "Why",
      meta: "Window {window} · {date}", contact: "Questions? Go to {desk}, or call {hotline}.",
      noshow_title: "You missed your call", noshow_go: "Please go to ", noshow_after: "; the staff will help you.",
      rate_phone: "Mobile number (optional, so we can call you back)", complain_phone: "Mobile number (optional, for a call back)",
      consent: "I agree to be called back on this number about this only", track: "Follow its progress →",
      need_consent: "To leave a number, tick the call-back consent; or leave the number empty",
      leave: "I am leaving", leave_q: "Leave the queue? Your number will be cancelled; take a new one if you come back.",
      leave_yes: "Yes, leave", leave_no: "Keep waiting", left_text: "You have left the queue. See you next time.",
      no_window: "No window serves this right now; please ask at the desk", no_window_opens: "No window serves this right now; expected to open at {time}",
      levels: { 5: "Very satisfied", 4: "Satisfied", 3: "Fair", 2: "Dissatisfied", 1: "Very dissatisfied" },
    },
  };
  let lang = (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  try { lang = localStorage.getItem("ow-lang") || lang; } catch (e) { /* private mode */ }
  let view = null;
  let chosenLevel = 0;
  let chosenCategory = "";
  const chosenReasons = new Set();
  let alertedKey = "";
  let liveOn = false;
  let hallNames = null;
  // One key per rating / per complaint: a resend after a lost reply is not counted twice.
  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  const rateKey = newKey();
  let complaintKey = newKey();
  let acked = "";
  const $ = (id) => document.getElementById(id);
  const t = (k) => TEXT[lang][k];

  function applyText() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const v = t(el.dataset.i18n);
      if (typeof v === "string") el.textContent = v;
    });
    $("lang").textContent = t("lang");
    $("live").textContent = t(liveOn ? "live_on" : "live_off");
    if (hallNames) $("hall").textContent = lang === "zh" ? hallNames.name_zh : (hallNames.name_en || hallNames.name_zh);
    if (view) render(view);
  }

  function showMessage(text) {
    const box = $("message");
    box.textContent = text;
    box.classList.toggle("hidden", !text);
  }

  function tone() {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      const ctx = new Ctx();
      if (ctx.state === "suspended") ctx.resume();
      [0, 0.35].forEach((at) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.25;
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.25);
      });
    } catch (e) { /* the banner and vibration still work */ }
  }

  const fill = (tpl, vars) => tpl.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? "" : String(vars[k])));
  const nm = (o) => (o ? (lang === "zh" ? o.name_zh : (o.name_en || o.name_zh)) : "");

  function list(id, items) {
    const ul = $(id);
    ul.textContent = "";
    (items || []).forEach((m) => {
      const li = document.createElement("li");
      li.textContent = typeof m === "string" ? m : (lang === "zh" ? m.zh : (m.en || m.zh));
      ul.appendChild(li);
    });
    $(id + "-box").classList.toggle("hidden", !(items && items.length));
  }

  function renderNotice(v) {
    const r = v.refusal;
    const desk = v.help_desk || {};
    const deskName = lang === "zh" ? desk.zh : (desk.en || desk.zh);
    const contact = fill(t("contact"), { desk: deskName, hotline: desk.hotline || "" });
    $("notice").classList.toggle("hidden", !r);
    $("notice").dataset.kind = r ? r.kind : "";
    if (r) {
      const kind = r.kind === "missing_materials" ? "missing" : r.kind;
      $("notice-title").textContent = t("notice_" + kind);
      const to = r.escalate_to ? (lang === "zh" ? r.escalate_to.zh : r.escalate_to.en) : "";
      $("notice-lead").textContent = fill(t("lead_" + kind), { service: nm(r.service), to,
        days: r.reply_working_days, date: r.reply_by });
      $("notice-route").classList.toggle("hidden", r.kind !== "redirect");
      $("route-from").textContent = nm(r.service);
      $("route-to").textContent = nm(r.to_service);
      list("notice-missing", r.kind === "missing_materials" ? r.materials_missing : []);
      list("notice-handed", r.kind === "missing_materials" ? r.materials_handed_in : []);
      list("notice-electronic", r.kind === "missing_materials" ? r.materials_electronic : []);
      $("notice-text-box").classList.toggle("hidden", !r.text);
      $("notice-text-label").textContent = t("text_" + kind);
      $("notice-text").textContent = r.text || "";
      $("notice-meta").textContent = fill(t("meta"), { window: r.window_number == null ? "-" : r.window_number,
        date: r.business_date });
      $("notice-contact").textContent = contact;
    }
    $("noshow").classList.toggle("hidden", v.state !== "no_show");
    $("noshow-place").textContent = deskName || "";
    $("noshow-contact").textContent = desk.hotline ? fill(t("contact"), { desk: deskName, hotline: desk.hotline }) : "";
  }

  function render(v) {
    view = v;
    $("number").textContent = v.number;
    $("service").textContent = lang === "zh" ? v.service_name_zh : (v.service_name_en || v.service_name_zh);
    if (v.hall_name_zh) $("hall").textContent = lang === "zh" ? v.hall_name_zh : (v.hall_name_en || v.hall_name_zh);
    const stale = !!(v.relay && !v.relay.online);
    relayView = stale ? { at: Date.now(), age: v.relay.age_seconds || 0 } : null;
    showRelayAge();
    const refusedKind = v.state === "refused" && v.refusal ? v.refusal.kind : "";
    $("state").textContent = (stale ? t("last_known") + "：" : "")
      + ((refusedKind && t("refused_states")[refusedKind]) || (t("states")[v.state]) || v.state);
    $("queue").classList.toggle("stale", stale);
    $("live").classList.toggle("hidden", stale);
    $("called").classList.toggle("stale", stale);
    renderNotice(v);
    $("leave-box").classList.toggle("hidden", !v.can_leave);
    if (!v.can_leave) $("leave-confirm").classList.add("hidden");
    $("left").classList.toggle("hidden", v.state !== "walked_out");
    const waiting = v.state === "waiting" || v.state === "held";
    $("queue").classList.toggle("hidden", !waiting);
    $("no-window").classList.toggle("hidden", !(v.no_window && v.state === "waiting"));
    $("no-window").textContent = v.opens_at ? fill(t("no_window_opens"), { time: v.opens_at }) : t("no_window");
    $("ahead").textContent = v.ahead == null ? "-" : String(v.ahead);
    $("eta").textContent = v.eta_minutes == null ? "-" : String(Math.round(v.eta_minutes));
    const key = v.state + ":" + (v.recalls || 0) + ":" + (v.window_number || "");
    const called = v.state === "called" && v.window_number != null;
    $("called-window").textContent = v.window_number == null ? "" : String(v.window_number);
    $("called-name").textContent = v.window_name_zh && lang === "zh" ? v.window_name_zh : "";
    $("called").classList.toggle("hidden", !called || acked === key);
    if (called && alertedKey !== key) {
      alertedKey = key;
      if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
      tone();
    }
    $("rate").classList.toggle("hidden", !v.can_rate || v.rated);
    $("rated").classList.toggle("hidden", !v.rated);
    if (v.can_rate && !v.rated) buildLevels(v);
    buildCategories(v);
  }

  // Relayed through central while the hall's link is down: say so, and how old the state is.
  let relayView = null;
  function showRelayAge() {
    const box = $("relay-offline");
    if (!box) return;
    box.classList.toggle("hidden", !relayView);
    if (!relayView) return;
    const secs = relayView.age + Math.round((Date.now() - relayView.at) / 1000);
    const age = secs >= 60 ? t("minutes").replace("{n}", String(Math.floor(secs / 60)))
      : t("seconds").replace("{n}", String(secs));
    $("relay-offline-text").textContent = t("relay_offline");
    $("relay-age").textContent = t("relay_age").replace("{age}", age);
  }
  setInterval(showRelayAge, 10000);

  function buildCategories(v) {
    const box = $("complaint-cats");
    box.textContent = "";
    (v.complaint_categories || []).forEach((c) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reason" + (chosenCategory === c.id ? " selected" : "");
      b.textContent = lang === "zh" ? c.zh : (c.en || c.zh);
      b.addEventListener("click", () => { chosenCategory = c.id; buildCategories(v); });
      box.appendChild(b);
    });
  }

  function buildLevels(v) {
    const box = $("levels");
    box.textContent = "";
    [5, 4, 3, 2, 1].forEach((lvl) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "level" + (chosenLevel === lvl ? " selected" : "");
      b.dataset.level = String(lvl);
      const name = document.createElement("span");
      name.textContent = t("levels")[lvl];
      const stars = document.createElement("span");
      stars.className = "stars";
      stars.textContent = "★".repeat(lvl);
      b.append(name, stars);
      b.addEventListener("click", () => { chosenLevel = lvl; chosenReasons.clear(); buildLevels(v); });
      box.appendChild(b);
    });
    const reasons = (v.rating_reasons || {})[String(chosenLevel)] || [];
    $("reasons-box").classList.toggle("hidden", !(chosenLevel && chosenLevel <= 2 && reasons.length));
    const rbox = $("reasons");
    rbox.textContent = "";
    reasons.forEach((r) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reason" + (chosenReasons.has(r) ? " selected" : "");
      b.textContent = r;
      b.addEventListener("click", () => {
        if (chosenReasons.has(r)) chosenReasons.delete(r); else chosenReasons.add(r);
        b.classList.toggle("selected");
        $("rate-submit").disabled = !canSubmit();
      });
      rbox.appendChild(b);
    });
    $("rate-submit").disabled = !canSubmit();
  }

  function canSubmit() {
    if (!chosenLevel) return false;
    // A bad rating must say why, so the case that follows can be worked.
    return chosenLevel > 2 || chosenReasons.size > 0;
  }

  async function post(path, body, key) {
    const headers = { "Content-Type": "application/json" };
    if (key) headers["Idempotency-Key"] = key;
    const r = await fetch(api(path), { method: "POST", headers, body: JSON.stringify(body) });
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const e = (data && data.error) || {};
      throw new Error(lang === "zh" ? (e.message || "提交失败") : (e.message_en || "Failed"));
    }
    return data;
  }

  async function submitRating() {
    $("rate-submit").disabled = true;
    try {
      const body = { token, level: chosenLevel, reasons: Array.from(chosenReasons) };
      const phone = chosenLevel <= 2 ? $("rate-phone").value.replace(/\D/g, "") : "";
      if (phone) {
        if (!$("rate-consent").checked) { showMessage(t("need_consent")); $("rate-submit").disabled = !canSubmit(); return; }
        body.phone = phone;
        body.contact_consent = true;
      }
      await post("/ratings", body, rateKey);
      showMessage("");
      await refresh();
    } catch (e) {
      showMessage(e.message);
      $("rate-submit").disabled = !canSubmit();
    }
  }

  async function submitComplaint() {
    const text = $("complaint-text").value.trim();
    const cats = (view && view.complaint_categories) || [];
    if (!text && !chosenCategory) return;
    const category = chosenCategory || (cats.length ? cats[cats.length - 1].id : "web");
    $("complaint-submit").disabled = true;
    try {
      const body = { category, text, ticket_token: token };
      const phone = $("complaint-phone").value.replace(/\D/g, "");
      if (phone) {
        if (!$("complaint-consent").checked) { showMessage(t("need_consent")); return; }
        body.phone = phone;
        body.contact_consent = true;
      }
      const res = await post("/complaints", body, complaintKey);
      complaintKey = newKey();
      showMessage("");
      // Relayed through central the hall gives the code later; say it was passed on.
      $("complaint-done-text").textContent = res.code ? t("complaint_done") + res.code : t("relayed_done");
      $("complaint-track").classList.toggle("hidden", !res.code);
      if (res.code) $("complaint-track").href = "/c/" + encodeURIComponent(res.code);
      $("complaint-done").classList.remove("hidden");
      $("complaint-done").scrollIntoView({ block: "center" });
      $("complaint-done").focus();
      $("complaint-text").value = "";
      $("complaint-phone").value = "";
      $("complaint-consent").checked = false;
    } catch (e) {
      showMessage(e.message);
    } finally {
      $("complaint-submit").disabled = false;
    }
  }

  async function leave() {
    $("leave-yes").disabled = true;
    try {
      const v = await post("/tickets/" + encodeURIComponent(token) + "/leave", {});
      showMessage("");
      render(v);
    } catch (e) {
      showMessage(e.message);
    } finally {
      $("leave-yes").disabled = false;
    }
  }

  async function refresh() {
    const r = await fetch(api("/tickets/" + encodeURIComponent(token)));
    if (r.status === 404) { showMessage(t("not_found")); return false; }
    if (r.ok) render(await r.json());
    return true;
  }

  // Live updates by server-sent events; while the stream is down (or refused when the hall
  // is busy) the page polls, so a citizen never watches a frozen number.
  let pollTimer = null;
  function startPolling() { if (!pollTimer) pollTimer = setInterval(refresh, 5000); }
  function stopPolling() { if (pollTimer) { clearInterval(pollTimer); pollTimer = null; } }

  function follow() {
    if (!window.EventSource) { startPolling(); return; }
    const es = new EventSource(api("/tickets/" + encodeURIComponent(token) + "/stream"));
    es.addEventListener("status", (ev) => {
      liveOn = true;
      $("live").textContent = t("live_on");
      render(JSON.parse(ev.data));
    });
    es.onopen = () => { liveOn = true; $("live").textContent = t("live_on"); stopPolling(); };
    es.onerror = () => {
      liveOn = false;
      $("live").textContent = t("live_off");
      startPolling();
      if (es.readyState === EventSource.CLOSED) setTimeout(follow, 15000);
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      try { localStorage.setItem("ow-lang", lang); } catch (e) { /* ignore */ }
      applyText();
    });
    $("ack").addEventListener("click", () => { acked = alertedKey; $("called").classList.add("hidden"); });
    $("rate-submit").addEventListener("click", submitRating);
    $("complaint-link").addEventListener("click", (ev) => {
      ev.preventDefault();
      $("complaint").classList.toggle("hidden");
    });
    $("complaint-submit").addEventListener("click", submitComplaint);
    $("leave").addEventListener("click", () => {
      $("leave-confirm").classList.remove("hidden");
      $("leave-no").focus();
    });
    $("leave-no").addEventListener("click", () => $("leave-confirm").classList.add("hidden"));
    $("leave-yes").addEventListener("click", leave);
    fetch(api("/health")).then((r) => r.json()).then((h) => {
      if (h.hall) { hallNames = h.hall; $("hall").textContent = lang === "zh" ? h.hall.name_zh : (h.hall.name_en || h.hall.name_zh); }
    }).catch(() => {});
    applyText();
    refresh().then((found) => { if (found) follow(); else $("live").classList.add("hidden"); });
  });
})();
