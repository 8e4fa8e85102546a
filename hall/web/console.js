// The clerk console: sign in, pick a window, work the queue with buttons or single keys.
"use strict";
(function () {
  const TEXT = {
    zh: {
      offline: "未连接", online: "实时", switch_window: "换窗口", sign_out: "退出", signin_title: "工作人员登录",
      staff_id: "工号", pin: "PIN 密码", sign_in: "登录", pick_title: "请选择您的窗口", current: "当前号码",
      a_call: "叫号", a_recall: "重呼", a_start: "开始办理", a_finish: "办结", a_noshow: "过号", a_hold: "挂起",
      a_resume: "恢复", a_requeue: "退回排队", a_transfer: "转办", a_refuse: "无权否决", a_open: "开窗", a_pause: "暂停", a_close: "关窗",
      waiting_title: "本窗口事项等候", ratings_title: "最近评价", finish_title: "办结结果", o_completed: "办结",
      o_accepted: "受理（后台办理，统一出件）", o_pending: "容缺受理（材料后补）", note: "备注", cancel: "取消",
      confirm: "确定", transfer_title: "转办到", return_to_me: "办完后回到本窗口", refuse_title: "无权否决 · 出具说明",
      k_missing: "材料不全（一次性告知）", k_redirect: "非本窗口事项（指引）", k_escalate: "提交研究（首席代表）",
      pick_materials: "勾选缺少的材料：", other_material: "其他材料", pick_service: "应去办理的事项：",
      escalate_to: "提交给", e_chief: "首席代表", e_manager: "大厅负责人",
      escalate_hint: "请在“说明”中写明需要研究的问题。", explain: "说明", print: "打印", close: "关闭", window_no: "号窗口",
      nobody: "当前没有等候的群众", people: "人", minutes: "分钟", no_ratings: "暂无评价", lang: "EN",
      signed_in_as: "工作人员", done_ok: "已完成", phone: "手机", recalls: "已重呼", times: "次",
      wstate: { open: "开放", paused: "暂停", closed: "关闭" },
      tstate: { called: "已叫号", serving: "办理中", held: "已挂起", waiting: "等候中" },
      priority: { green: "绿色通道", appointment: "预约", normal: "" },
      levels: { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" },
      central_on: "中心在线", central_off: "中心离线", help_title: "帮办求助",
      helpdesk_hint: "自助机上有群众按下“帮办”时，这里会立即出现。请点“我去帮忙”后前往该自助机。", help_none: "暂无求助", help_ack: "我去帮忙", help_close: "已办完",
      help_open: "等待响应", help_taken: "已响应", help_at: "自助机",
      notice_title: "一次性告知单", notice_sub: "号码", notice_service: "办理事项", notice_list: "您还需要补齐以下材料：",
      held_title: "挂起的号（可恢复）", resume_this: "恢复", busy_first: "请先办结、挂起或转办当前号",
      search_ph: "搜索：名称或拼音首字母，如 qysl", no_match: "没有匹配的事项",
      noshow_title: "确认过号？", noshow_yes: "确认过号", noshow_q: "确认将 {n} 标记为过号？已重呼 {r} 次。过号后群众需到咨询台重新安排。",
      staff_no: "工号",
    },
    en: {
      offline: "Offline", online: "Live", switch_window: "Switch window", sign_out: "Sign out", signin_title: "Staff sign-in",
      staff_id: "Staff ID", pin: "PIN", sign_in: "Sign in", pick_title: "Pick your window", current: "Current ticket",
      a_call: "Call next", a_recall: "Recall", a_start: "Start", a_finish: "Finish", a_noshow: "No-show", a_hold: "Hold",
      a_resume: "Resume", a_requeue: "Back to queue", a_transfer: "Transfer", a_refuse: "Cannot do", a_open: "Open", a_pause: "Pause", a_close: "Close",
      waiting_title: "Waiting for this window", ratings_title: "Recent ratings", finish_title: "Outcome", o_completed: "Completed",
      o_accepted: "Accepted (back office, collect later)", o_pending: "Accepted, materials to follow", note: "Note",
      cancel: "Cancel", confirm: "OK", transfer_title: "Transfer to", return_to_me: "Come back to this window afterwards",
      refuse_title: "No-veto report", k_missing: "Missing materials (one-time notice)", k_redirect: "Not ours (redirect)",
      k_escalate: "Escalate (chief representative)", pick_materials: "Tick the missing materials:", other_material: "Other material",
      pick_service: "The right service:", escalate_to: "Escalate to", e_chief: "Chief representative", e_manager: "Hall manager",
      escalate_hint: "Describe the question under Explanation.", explain: "Explanation", print: "Print", close: "Close",
      window_no: "", nobody: "Nobody is waiting", people: "", minutes: "min", no_ratings: "No ratings yet", lang: "中文",
      signed_in_as: "Staff", done_ok: "Done", phone: "Phone", recalls: "Recalled", times: "x",
      wstate: { open: "Open", paused: "Paused", closed: "Closed" },
      tstate: { called: "Called", serving: "Serving", held: "On hold", waiting: "Waiting" },
      priority: { green: "Green channel", appointment: "Appointment", normal: "" },
      levels: { 5: "Very satisfied", 4: "Satisfied", 3: "Fair", 2: "Dissatisfied", 1: "Very dissatisfied" },
      central_on: "Central online", central_off: "Central offline", help_title: "Help calls",
      helpdesk_hint: "When someone presses Help at a kiosk it appears here at once. Tap I'm going, then go to that kiosk.", help_none: "No help calls", help_ack: "I'm going", help_close: "Done",
      help_open: "Waiting", help_taken: "Taken", help_at: "Kiosk",
      notice_title: "One-time notice", notice_sub: "Ticket", notice_service: "Service", notice_list: "Please bring these materials:",
      held_title: "On hold (can resume)", resume_this: "Resume", busy_first: "Finish, hold or transfer the current ticket first",
      search_ph: "Search: name or pinyin initials, e.g. qysl", no_match: "No matching service",
      noshow_title: "Mark as no-show?", noshow_yes: "Mark no-show", noshow_q: "Mark {n} as a no-show? Recalled {r} time(s). The citizen will have to ask at the desk.",
      staff_no: "ID",
    },
  };
  const KEYS = { n: "call-next", r: "recall", s: "start", f: "finish", x: "no-show", h: "hold", u: "resume",
    q: "requeue", t: "transfer", d: "refuse", o: "open", p: "pause", c: "close" };
  const S = {
    lang: sessionStorage.getItem("ow-console-lang") || "zh",
    token: sessionStorage.getItem("ow-console-token"),
    staff: null, windowId: null, windows: [], services: [], state: null, cursor: 0, streamAbort: null,
    live: false, gen: 0, green: {},
  };
  const $ = (id) => document.getElementById(id);
  const t = (k) => TEXT[S.lang][k];

  function applyText() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const v = t(el.dataset.i18n);
      if (typeof v === "string") el.textContent = v;
    });
    document.querySelectorAll("[data-i18n-ph]").forEach((el) => { el.placeholder = t(el.dataset.i18nPh); });
    $("lang").textContent = t("lang");
    setLive(S.live);
    renderWho();
    if (S.state) renderDesk();
  }

  function setLive(on) {
    S.live = !!on;
    $("live").textContent = on ? t("online") : t("offline");
    $("live").classList.toggle("off", !on);
  }

  function renderWho() {
    $("who").textContent = S.staff ? t("signed_in_as") + " " + S.staff.name : "";
    $("who").title = S.staff ? t("staff_no") + " " + S.staff.id : "";
    const w = S.windowId && S.windows.find((x) => x.id === S.windowId);
    $("window-label").textContent = w ? (S.lang === "zh" ? w.number + " 号窗口" : "Window " + w.number) :
      (S.windowId || "");
  }

  function status(text, ok) {
    const box = $("status");
    box.textContent = text || "";
    box.classList.toggle("hidden", !text);
    box.classList.toggle("ok", !!ok);
  }

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    const r = await fetch("/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status === 204) return null;
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const e = (data && data.error) || {};
      const err = new Error(S.lang === "zh" ? (e.message || "操作失败") : (e.message_en || "Failed"));
      err.status = r.status;
      err.code = e.code;
      throw err;
    }
    return data;
  }

  function show(section) {
    ["signin", "pick", "desk", "helpdesk"].forEach((id) => $(id).classList.toggle("hidden", id !== section));
    const signedIn = section !== "signin";
    $("sign-out").classList.toggle("hidden", !signedIn);
    $("switch-window").classList.toggle("hidden", section !== "desk");
  }

  async function signIn(ev) {
    ev.preventDefault();
    status("");
    try {
      const res = await api("POST", "/session", { staff_id: $("staff-id").value.trim(), pin: $("pin").value });
      S.token = res.token;
      sessionStorage.setItem("ow-console-token", S.token);
      $("pin").value = "";
      await afterSignIn(res);
    } catch (e) { status(e.message); }
  }

  async function afterSignIn(session) {
    S.staff = session.staff;
    renderWho();
    if (S.staff && S.staff.role === "helper") {
      // A helper (帮办员) has no window: their screen is the kiosks' help calls.
      show("helpdesk");
      await refresh();
      follow();
      return;
    }
    S.windows = await api("GET", "/windows");
    S.services = await api("GET", "/services");
    fetch("/api/v1/kiosk-config").then((r) => r.json()).then((c) => {
      (c.green_reasons || []).forEach((g) => { S.green[g.id] = g; });
      if (S.state) renderDesk();
    }).catch(() => {});
    if (session.window_id) { await enterWindow(session.window_id, false); return; }
    renderPick();
  }

  function renderPick() {
    const box = $("window-list");
    box.textContent = "";
    S.windows.forEach((w) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.window = w.id;
      const num = document.createElement("b");
      num.textContent = w.number + (S.lang === "zh" ? " 号" : "");
      const name = document.createElement("span");
      name.textContent = S.lang === "zh" ? w.name_zh : (w.name_en || w.name_zh);
      b.append(num, name);
      b.addEventListener("click", () => enterWindow(w.id, true));
      box.appendChild(b);
    });
    show("pick");
  }

  async function enterWindow(windowId, announce) {
    try {
      if (announce) await api("PUT", "/session/window", { window_id: windowId });
      S.windowId = windowId;
      renderWho();
      show("desk");
      await refresh();
      follow();
    } catch (e) { status(e.message); }
  }

  async function refresh() {
    if (S.staff && S.staff.role === "helper") {
      S.help = (await api("GET", "/help-requests?state=all").catch(() => [])).filter((h) => h.state !== "closed");
      renderHelp("help-desk");
      return;
    }
    if (!S.windowId) return;
    // A refresh that started before a newer action or refresh must not paint over it.
    const gen = ++S.gen;
    try {
      const helpP = api("GET", "/help-requests?state=all").catch(() => []);
      const [state, services, ratings] = await Promise.all([
        api("GET", "/windows/" + S.windowId), api("GET", "/services"),
        api("GET", "/windows/" + S.windowId + "/ratings?limit=8")]);
      const help = await helpP;
      if (gen !== S.gen) return;
      S.state = state;
      S.services = services;
      S.ratings = ratings;
      S.help = help.filter((h) => h.state !== "closed");
      renderDesk();
      renderHelp();
    } catch (e) {
      if (e.status === 401) { signOutLocal(); }
      status(e.message);
    }
  }

  function windowServices() {
    const w = S.windows.find((x) => x.id === S.windowId);
    const ids = (S.state && S.state.services) || (w && w.services) || [];
    return ids.map((id) => S.services.find((s) => s.id === id)).filter(Boolean);
  }

  function svcName(s) { return S.lang === "zh" ? s.name_zh : (s.name_en || s.name_zh); }

  function renderDesk() {
    const st = S.state || {};
    const cur = st.current || null;
    $("current-number").textContent = cur ? cur.number : "—";
    $("current-number").classList.toggle("empty", !cur);
    const svc = cur && S.services.find((s) => s.id === cur.service_id);
    $("current-service").textContent = svc ? svcName(svc) : "";
    const meta = [];
    if (cur) {
      meta.push(t("tstate")[cur.state] || cur.state);
      const pr = t("priority")[cur.priority];
      const reason = cur.priority_reason && S.green[cur.priority_reason];
      if (pr) meta.push(pr + (reason ? "·" + (S.lang === "zh" ? reason.zh : (reason.en || reason.zh)) : ""));
      if (cur.recalls) meta.push(t("recalls") + " " + cur.recalls + " " + t("times"));
      if (cur.phone_masked) meta.push(t("phone") + " " + cur.phone_masked);
    }
    $("current-meta").textContent = meta.join(" · ");
    const ws = st.state || "closed";
    const pill = $("window-state");
    pill.textContent = t("wstate")[ws] || ws;
    pill.className = "pill " + ws;
    const has = !!cur;
    const can = {
      "call-next": ws === "open" && (!cur || cur.state === "serving" ? !cur : true),
      recall: has && cur.state === "called", start: has && cur.state === "called",
      finish: has && (cur.state === "serving" || cur.state === "called"), "no-show": has && cur.state === "called",
      hold: has && (cur.state === "serving" || cur.state === "called"),
      resume: !has && (st.held || []).length > 0,
      transfer: has && (cur.state === "serving" || cur.state === "called"),
      requeue: has && (cur.state === "serving" || cur.state === "called"),
      refuse: has && (cur.state === "serving" || cur.state === "called"),
      open: ws !== "open", pause: ws === "open", close: ws !== "closed",
    };
    can["call-next"] = ws === "open" && !(cur && (cur.state === "serving" || cur.state === "called"));
    document.querySelectorAll("#actions [data-action]").forEach((b) => { b.disabled = !can[b.dataset.action]; });
    renderHeld(st, cur);
    const tbody = $("waiting");
    tbody.textContent = "";
    windowServices().forEach((s) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = s.prefix + " · " + svcName(s);
      const n = document.createElement("td");
      n.className = "n";
      n.textContent = String(s.waiting) + (t("people") ? " " + t("people") : "");
      tr.append(name, n);
      tbody.appendChild(tr);
    });
    const ul = $("ratings");
    ul.textContent = "";
    (S.ratings || []).forEach((r) => {
      const li = document.createElement("li");
      const lv = document.createElement("span");
      lv.className = r.level <= 2 ? "bad" : (r.level >= 4 ? "good" : "");
      lv.textContent = "★".repeat(r.level) + " " + t("levels")[r.level];
      li.appendChild(lv);
      const reasons = parseList(r.reasons);
      if (reasons.length) li.append(" · " + reasons.join("、"));
      ul.appendChild(li);
    });
    if (!(S.ratings || []).length) {
      const li = document.createElement("li");
      li.textContent = t("no_ratings");
      ul.appendChild(li);
    }
  }

  // Held tickets (挂起): listed with their own resume button, so a call in between never hides them.
  function renderHeld(st, cur) {
    const held = st.held_tickets || [];
    const busy = !!(cur && (cur.state === "called" || cur.state === "serving"));
    $("held-box").classList.toggle("hidden", !held.length);
    const ul = $("held");
    ul.textContent = "";
    held.forEach((h) => {
      const li = document.createElement("li");
      li.dataset.ticket = h.id;
      const num = document.createElement("b");
      num.textContent = h.number;
      const svc = document.createElement("span");
      svc.className = "svc";
      svc.textContent = S.lang === "zh" ? h.service_name_zh : h.service_name_en;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "act small";
      b.textContent = t("resume_this");
      b.disabled = busy;
      b.title = busy ? t("busy_first") : "";
      b.addEventListener("click", () => act("resume", { ticket_id: h.id }));
      li.append(num, svc, b);
      ul.appendChild(li);
    });
  }

  // Help calls from the kiosks (帮办代办): whoever is free takes one, then marks it done.
  function renderHelp(target) {
    const ul = $(target || "help");
    ul.textContent = "";
    (S.help || []).forEach((h) => {
      const li = document.createElement("li");
      const when = new Date(h.raised_at * 1000).toTimeString().slice(0, 5);
      const what = document.createElement("span");
      what.className = h.state === "open" ? "bad" : "";
      what.textContent = `${when} ${t("help_at")} ${h.kiosk} · ${h.state === "open" ? t("help_open") : t("help_taken")}`;
      li.appendChild(what);
      if (h.note) li.append(" · " + h.note);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "act small";
      b.dataset.help = h.id;
      b.textContent = h.state === "open" ? t("help_ack") : t("help_close");
      b.addEventListener("click", async () => {
        try {
          await api("POST", `/help-requests/${h.id}/${h.state === "open" ? "acknowledge" : "close"}`);
          refresh();
        } catch (e) { status(e.message); }
      });
      li.appendChild(b);
      ul.appendChild(li);
    });
    if (!(S.help || []).length) {
      const li = document.createElement("li");
      li.textContent = t("help_none");
      ul.appendChild(li);
    }
  }

  function parseList(v) {
    if (Array.isArray(v)) return v;
    if (typeof v === "string" && v) { try { const x = JSON.parse(v); return Array.isArray(x) ? x : []; } catch (e) { return []; } }
    return [];
  }

  async function act(action, body) {
    status("");
    S.gen++;
    try {
      const res = await api("POST", "/windows/" + S.windowId + "/" + action, body);
      S.gen++;
      if (action === "call-next" && res === null) { status(t("nobody")); }
      if (res && res.window) {
        S.state = res.window;
        renderDesk();
      }
      if (res && res.notice) showNotice(res.notice);
      refresh();
      return res;
    } catch (e) { status(e.message); return null; }
  }

  // A dialog's action: the dialog closes only when the hall accepted it; a refusal is shown
  // inside it and everything typed stays.
  async function actIn(dialog, action, body) {
    const err = dialog.querySelector(".dlg-error");
    err.classList.add("hidden");
    S.gen++;
    try {
      const res = await api("POST", "/windows/" + S.windowId + "/" + action, body);
      S.gen++;
      dialog.close();
      status("");
      if (res && res.window) { S.state = res.window; renderDesk(); }
      if (res && res.notice) showNotice(res.notice);
      refresh();
      return res;
    } catch (e) {
      err.textContent = e.message;
      err.classList.remove("hidden");
      return null;
    }
  }

  function openNoShow() {
    const cur = S.state && S.state.current;
    if (!cur) return;
    const dlg = $("dlg-noshow");
    dlg.querySelector(".dlg-error").classList.add("hidden");
    $("noshow-text").textContent = t("noshow_q").replace("{n}", cur.number).replace("{r}", String(cur.recalls || 0));
    dlg.showModal();
    $("noshow-yes").focus();
  }

  function onAction(action) {
    if (!S.windowId) return;
    const btn = document.querySelector('#actions [data-action="' + action + '"]');
    if (btn && btn.disabled) return;
    if (action === "finish") return openFinish();
    if (action === "transfer") return openTransfer();
    if (action === "refuse") return openRefuse();
    if (action === "no-show") return openNoShow();
    act(action);
  }

  function checkList(box, items, name) {
    box.textContent = "";
    items.forEach((m) => {
      const label = document.createElement("label");
      const cb = document.createElement("input");
      cb.type = "checkbox"; cb.name = name; cb.value = m;
      const span = document.createElement("span");
      span.textContent = m;
      label.append(cb, span);
      box.appendChild(label);
    });
  }

  function currentService() {
    const cur = S.state && S.state.current;
    return cur && S.services.find((s) => s.id === cur.service_id);
  }

  // Search by Chinese or English name, pinyin initials (qysl → 企业设立登记) or number prefix.
  function matches(s, q) {
    if (!q) return true;
    q = q.trim().toLowerCase();
    return s.name_zh.includes(q) || (s.name_en || "").toLowerCase().includes(q) ||
      (s.initials || "").includes(q.replace(/\s+/g, "")) || s.prefix.toLowerCase() === q;
  }

  function fillServices(select, exclude, query) {
    const keep = select.value;
    select.textContent = "";
    const list = S.services.filter((s) => s.id !== exclude && matches(s, query));
    list.forEach((s) => {
      const o = document.createElement("option");
      o.value = s.id;
      o.textContent = s.prefix + " · " + svcName(s);
      select.appendChild(o);
    });
    if (!list.length) {
      const o = document.createElement("option");
      o.disabled = true;
      o.textContent = t("no_match");
      select.appendChild(o);
    } else {
      select.value = list.some((s) => s.id === keep) ? keep : list[0].id;
    }
  }

  function wireSearch(input, select) {
    input.addEventListener("input", () => {
      const svc = currentService();
      fillServices(select, svc && svc.id, input.value);
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown") { ev.preventDefault(); select.focus(); }
      if (ev.key === "Enter") { ev.preventDefault(); if (select.value) input.form.requestSubmit(); }
    });
  }

  function openFinish() {
    const svc = currentService();
    checkList($("finish-materials"), (svc && svc.materials) || [], "pending");
    $("finish-form").reset();
    $("dlg-finish").querySelector(".dlg-error").classList.add("hidden");
    $("dlg-finish").showModal();
  }

  function openTransfer() {
    const svc = currentService();
    $("transfer-form").reset();
    $("dlg-transfer").querySelector(".dlg-error").classList.add("hidden");
    $("transfer-service").value = "";
    fillServices($("transfer-service"), svc && svc.id, "");
    $("transfer-service").selectedIndex = -1;
    $("dlg-transfer").showModal();
    $("transfer-search").focus();
  }

  let refuseKind = "missing_materials";
  function selectKind(kind) {
    refuseKind = kind;
    document.querySelectorAll("#refuse-form .tab").forEach((b) => b.classList.toggle("selected", b.dataset.kind === kind));
    document.querySelectorAll("#refuse-form .tab-body").forEach((b) => b.classList.toggle("hidden", b.dataset.kind !== kind));
  }

  function openRefuse() {
    const svc = currentService();
    $("refuse-form").reset();
    $("dlg-refuse").querySelector(".dlg-error").classList.add("hidden");
    // 免提交 materials (the platform holds them) can never be listed as missing
    const held = new Set(((svc && svc.materials_electronic) || []).map((m) => m.name));
    checkList($("refuse-materials"), ((svc && svc.materials) || []).filter((m) => !held.has(m)), "material");
    fillServices($("refuse-service"), svc && svc.id, "");
    $("refuse-service").selectedIndex = -1;
    selectKind("missing_materials");
    $("dlg-refuse").showModal();
  }

  function showNotice(n) {
    const box = $("notice");
    box.textContent = "";
    const h = document.createElement("h3");
    h.textContent = n.title_zh;
    const sub = document.createElement("div");
    sub.className = "sub";
    sub.textContent = n.hall_zh + " · " + (n.business_date || "") + " · " + t("notice_sub") + " " + n.ticket_number +
      (n.window_number ? " · " + n.window_number + " 号窗口" : "");
    const svc = document.createElement("div");
    svc.textContent = "办理事项 Service：" + n.service_zh;
    const lead = document.createElement("div");
    lead.textContent = "您还需要补齐以下材料 Please bring：";
    const ol = document.createElement("ol");
    (n.materials || []).forEach((m) => { const li = document.createElement("li"); li.textContent = m; ol.appendChild(li); });
    box.append(h, sub, svc, lead, ol);
    if ((n.materials_electronic || []).length) {
      const free = document.createElement("div");
      free.className = "free";
      free.textContent = "以下材料" + n.free_mark_zh + "，无需携带 Not needed (the platform holds the e-licence)：" +
        n.materials_electronic.join("、");
      box.appendChild(free);
    }
    if (n.text) { const p = document.createElement("div"); p.textContent = n.text; box.appendChild(p); }
    const foot = document.createElement("div");
    foot.className = "foot";
    foot.textContent = n.footer_zh;
    box.appendChild(foot);
    $("dlg-notice").showModal();
  }

  function formValues(form) { return new FormData(form); }

  function wireDialogs() {
    document.querySelectorAll("dialog .cancel").forEach((b) => b.addEventListener("click", () => b.closest("dialog").close()));
    $("finish-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = formValues(ev.target);
      const outcome = f.get("outcome");
      const body = { outcome };
      const pending = f.getAll("pending");
      if (outcome === "accepted_pending") body.pending_materials = pending;
      if (f.get("note")) body.note = f.get("note");
      actIn($("dlg-finish"), "finish", body);
    });
    $("transfer-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = formValues(ev.target);
      actIn($("dlg-transfer"), "transfer", { service_id: f.get("service_id") || "", return_to_me: !!f.get("return_to_me") });
    });
    document.querySelectorAll("#refuse-form .tab").forEach((b) => b.addEventListener("click", () => selectKind(b.dataset.kind)));
    $("refuse-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = formValues(ev.target);
      const body = { kind: refuseKind, text: f.get("text") || "" };
      if (refuseKind === "missing_materials") {
        const m = f.getAll("material");
        if (f.get("other_material")) m.push(f.get("other_material"));
        body.materials = m;
      } else if (refuseKind === "redirect") {
        body.target_service_id = f.get("target_service_id");
      } else {
        body.escalate_to = f.get("escalate_to");
      }
      actIn($("dlg-refuse"), "refuse", body);
    });
    $("noshow-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      actIn($("dlg-noshow"), "no-show");
    });
    wireSearch($("transfer-search"), $("transfer-service"));
    wireSearch($("refuse-search"), $("refuse-service"));
    $("notice-close").addEventListener("click", () => $("dlg-notice").close());
    $("notice-print").addEventListener("click", () => window.print());
  }

  // The event stream: fetch() so the session token goes in a header (EventSource cannot).
  async function follow() {
    if (S.streamAbort) S.streamAbort.abort();
    const ctl = new AbortController();
    S.streamAbort = ctl;
    let backoff = 500;
    while (!ctl.signal.aborted && S.token) {
      try {
        const headers = { Authorization: "Bearer " + S.token };
        if (S.cursor) headers["Last-Event-ID"] = String(S.cursor);
        const r = await fetch("/api/v1/events/stream", { headers, signal: ctl.signal });
        if (!r.ok) throw new Error("stream " + r.status);
        setLive(true);
        backoff = 500;
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const id = /^id: (\d+)$/m.exec(block);
            if (id) { S.cursor = Number(id[1]); scheduleRefresh(); }
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      setLive(false);
      await new Promise((res) => setTimeout(res, backoff));
      backoff = Math.min(backoff * 2, 10000);
    }
  }

  let pending = null;
  function scheduleRefresh() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 120);
  }

  function signOutLocal() {
    if (S.streamAbort) S.streamAbort.abort();
    S.token = null; S.windowId = null; S.state = null; S.staff = null;
    sessionStorage.removeItem("ow-console-token");
    setLive(false);
    renderWho();
    show("signin");
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("signin-form").addEventListener("submit", signIn);
    $("lang").addEventListener("click", () => {
      S.lang = S.lang === "zh" ? "en" : "zh";
      sessionStorage.setItem("ow-console-lang", S.lang);
      applyText();
      if (!$("pick").classList.contains("hidden")) renderPick();
    });
    $("sign-out").addEventListener("click", async () => {
      try { await api("DELETE", "/session"); } catch (e) { /* signed out anyway */ }
      signOutLocal();
    });
    $("switch-window").addEventListener("click", () => { if (S.streamAbort) S.streamAbort.abort(); renderPick(); });
    document.querySelectorAll("#actions [data-action]").forEach((b) => b.addEventListener("click", () => onAction(b.dataset.action)));
    wireDialogs();
    document.addEventListener("keydown", (ev) => {
      if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
      if (document.querySelector("dialog[open]")) return;
      const tag = (ev.target && ev.target.tagName) || "";
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
      if ($("desk").classList.contains("hidden")) return;
      const action = KEYS[ev.key.toLowerCase()];
      if (action) { ev.preventDefault(); onAction(action); }
    });
    // The central platform's mark (only where the hall syncs): the hall keeps working offline.
    const syncMark = () => fetch("/api/v1/health").then((r) => r.json()).then((h) => {
      const sync = h.sync || {};
      const el = $("sync");
      el.classList.toggle("hidden", !sync.enabled);
      el.classList.toggle("off", !sync.online);
      el.textContent = sync.online ? t("central_on") : t("central_off");
      el.title = sync.pending ? `${sync.pending}` : "";
    }).catch(() => {});
    syncMark();
    setInterval(syncMark, 15000);
    fetch("/api/v1/health").then((r) => r.json()).then((h) => {
      if (h.hall) $("hall-name").textContent = h.hall.name_zh;
    }).catch(() => {});
    applyText();
    if (S.token) {
      try { await afterSignIn(await api("GET", "/session")); return; } catch (e) { signOutLocal(); }
    }
    show("signin");
  });
})();
