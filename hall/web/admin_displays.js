// Manager page for display layouts: edit, preview (rendered by the real display code), assign.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const ELEMENTS = [
    ["banner", "正在呼叫 Banner"], ["windows", "窗口列表 Windows"], ["recent", "最近呼叫 Recent"],
    ["waiting", "等候人数 Waiting"], ["clock", "时钟 Clock"], ["notice", "通知 Notice"],
    ["connection", "连接状态 Connection"],
  ];
  const KINDS = [
    ["consult", "帮办咨询 Consult"], ["accept", "综合受理 Accept"], ["pickup", "统一出件 Pick-up"],
    ["help", "帮办代办 Help"], ["complaint", "吐槽找茬 Complaint"],
  ];
  const S = { token: sessionStorage.getItem("ow-admin-token"), layouts: [], current: null,
              previewTimer: null, previewSeq: 0, previewUrl: null };

  function status(text, ok) {
    const el = $("status");
    el.textContent = text || "";
    el.classList.toggle("hidden", !text);
    el.classList.toggle("ok", !!ok);
  }

  async function api(method, path, body, raw) {
    const headers = { "Accept": raw ? "image/png" : "application/json" };
    if (S.token) headers["Authorization"] = "Bearer " + S.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let r;
    try {
      r = await fetch("/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new Error("无法连接大厅服务器 / The hall server cannot be reached");
    }
    if (r.status === 401) { signOut(); }
    if (!r.ok) {
      let msg = "请求失败 / Request failed (" + r.status + ")";
      try { const e = (await r.json()).error; msg = e.message + " / " + e.message_en; } catch (e) { /* not JSON */ }
      const err = new Error(msg); err.status = r.status; throw err;
    }
    if (raw) return r.blob();
    return r.status === 204 ? null : r.json();
  }

  function show(signedIn) {
    $("signin").classList.toggle("hidden", signedIn);
    $("admin").classList.toggle("hidden", !signedIn);
    $("sign-out").classList.toggle("hidden", !signedIn);
  }

  function signOut() {
    S.token = null;
    sessionStorage.removeItem("ow-admin-token");
    $("who").textContent = "";
    show(false);
  }

  async function signIn(ev) {
    ev.preventDefault();
    status("");
    try {
      const res = await api("POST", "/session", { staff_id: $("staff-id").value.trim(), pin: $("pin").value });
      $("pin").value = "";
      if (res.staff.role !== "manager") {
        S.token = res.token;
        await api("DELETE", "/session").catch(() => null);
        S.token = null;
        status("此页面仅限大厅负责人 / This page is for hall managers only");
        return;
      }
      S.token = res.token;
      sessionStorage.setItem("ow-admin-token", S.token);
      await start(res.staff);
    } catch (e) { status(e.message); }
  }

  async function start(staff) {
    if (!staff) {
      try { staff = (await api("GET", "/session")).staff; } catch (e) { signOut(); return; }
    }
    $("who").textContent = staff.name + "（" + staff.id + "）";
    show(true);
    await loadLayouts();
    await loadDisplays();
  }

  // -- layouts list ------------------------------------------------------------------------
  async function loadLayouts(select) {
    S.layouts = await api("GET", "/display-layouts");
    const name = select || (S.current && S.current.name) || (S.layouts[0] && S.layouts[0].name);
    renderList(name);
    const layout = S.layouts.find((l) => l.name === name) || S.layouts[0];
    if (layout) edit(layout);
  }

  function renderList(active) {
    const ul = $("layout-list");
    ul.textContent = "";
    S.layouts.forEach((l) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.name = l.name;
      b.textContent = l.name + " · " + l.title;
      b.classList.toggle("active", l.name === active);
      b.addEventListener("click", () => { renderList(l.name); edit(l); });
      li.appendChild(b);
      ul.appendChild(li);
    });
  }

  // -- the form ------------------------------------------------------------------------------
  function checkboxes(container, items, prefix) {
    container.textContent = "";
    items.forEach(([value, label]) => {
      const l = document.createElement("label");
      l.className = "inline";
      const c = document.createElement("input");
      c.type = "checkbox"; c.value = value; c.id = prefix + value;
      c.addEventListener("change", schedulePreview);
      l.appendChild(c);
      l.appendChild(document.createTextNode(" " + label));
      container.appendChild(l);
    });
  }

  function formatWindows(list) {
    if (!list || !list.length) return "";
    const out = [];
    let start = list[0], prev = list[0];
    for (let i = 1; i <= list.length; i++) {
      const n = list[i];
      if (n === prev + 1) { prev = n; continue; }
      out.push(start === prev ? String(start) : start + "-" + prev);
      start = prev = n;
    }
    return out.join(",");
  }

  function parseWindows(text) {
    text = text.trim();
    if (!text) return null;
    const out = [];
    for (const part of text.split(/[,，\s]+/)) {
      if (!part) continue;
      const m = part.match(/^(\d+)(?:-(\d+))?$/);
      if (!m) throw new Error("窗口号格式应如 1-12,15 / window numbers look like 1-12,15");
      const a = +m[1], b = m[2] ? +m[2] : a;
      if (b < a || b - a > 999) throw new Error("窗口号范围不正确 / bad window range " + part);
      for (let n = a; n <= b; n++) out.push(n);
    }
    return out;
  }

  function edit(layout) {
    S.current = layout;
    $("edit-name").textContent = layout.name;
    $("edit-version").textContent = "v" + layout.version;
    $("f-title").value = layout.title;
    document.querySelectorAll("input[name=orientation]").forEach((r) => { r.checked = r.value === layout.orientation; });
    ELEMENTS.forEach(([v]) => { $("el-" + v).checked = layout.elements.includes(v); });
    $("f-windows").value = formatWindows(layout.windows);
    KINDS.forEach(([v]) => { $("kind-" + v).checked = !!(layout.window_kinds && layout.window_kinds.includes(v)); });
    $("f-bg").value = layout.theme.background;
    $("f-fg").value = layout.theme.foreground;
    $("f-accent").value = layout.theme.accent;
    $("f-notice").value = layout.notice;
    $("f-flash").value = layout.flash_seconds;
    $("f-recent").value = layout.recent_count;
    $("f-masked").checked = !!layout.show_masked_name;
    $("f-voice").checked = layout.voice.enabled;
    $("f-template").value = layout.voice.template;
    $("f-recall").value = layout.voice.recall_prefix;
    $("f-repeat").value = layout.voice.repeat;
    $("f-volume").value = layout.voice.volume;
    $("delete").disabled = layout.name === "default";
    showContrast();
    schedulePreview();
  }

  function collect() {
    const L = S.current;
    const kinds = KINDS.map(([v]) => v).filter((v) => $("kind-" + v).checked);
    return {
      name: L.name,
      version: L.version,
      title: $("f-title").value,
      orientation: document.querySelector("input[name=orientation]:checked").value,
      elements: ELEMENTS.map(([v]) => v).filter((v) => $("el-" + v).checked),
      windows: parseWindows($("f-windows").value),
      window_kinds: kinds.length ? kinds : null,
      theme: { background: $("f-bg").value, foreground: $("f-fg").value, accent: $("f-accent").value },
      notice: $("f-notice").value,
      flash_seconds: +$("f-flash").value,
      recent_count: +$("f-recent").value,
      show_masked_name: $("f-masked").checked,
      voice: { ...L.voice, enabled: $("f-voice").checked, template: $("f-template").value,
               recall_prefix: $("f-recall").value, repeat: +$("f-repeat").value, volume: +$("f-volume").value },
    };
  }

  // WCAG contrast, shown while picking colours; the hall enforces the same limits.
  function lum(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.substr(i, 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function ratio(a, b) { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function showContrast() {
    const t = ratio($("f-fg").value, $("f-bg").value), a = ratio($("f-accent").value, $("f-bg").value);
    const el = $("contrast");
    el.textContent = "对比度 contrast " + t.toFixed(1) + ":1 / " + a.toFixed(1) + ":1";
    el.classList.toggle("bad", t < 4.5 || a < 3);
  }

  // -- preview -------------------------------------------------------------------------------
  function schedulePreview() {
    clearTimeout(S.previewTimer);
    S.previewTimer = setTimeout(preview, 500);
  }

  async function preview() {
    let body;
    try { body = collect(); } catch (e) { $("preview-state").textContent = e.message; return; }
    const seq = ++S.previewSeq;
    $("preview-state").textContent = "生成中… rendering…";
    try {
      const blob = await api("POST", "/display-layouts/preview", body, true);
      if (seq !== S.previewSeq) return;  // a newer edit is already on its way
      if (S.previewUrl) URL.revokeObjectURL(S.previewUrl);
      S.previewUrl = URL.createObjectURL(blob);
      const img = $("preview-img");
      img.src = S.previewUrl;
      img.classList.toggle("portrait", body.orientation === "portrait");
      img.dataset.layout = body.name;
      $("preview-state").textContent = "";
    } catch (e) {
      if (seq === S.previewSeq) $("preview-state").textContent = e.message;
    }
  }

  // -- save, delete, new ---------------------------------------------------------------------
  async function save(ev) {
    ev.preventDefault();
    status("");
    try {
      const saved = await api("PUT", "/display-layouts/" + encodeURIComponent(S.current.name), collect());
      status("已保存，显示屏将自动更新 / Saved; displays update by themselves (v" + saved.version + ")", true);
      await loadLayouts(saved.name);
    } catch (e) { status(e.message); }
  }

  async function remove() {
    if (!S.current || !confirm("删除布局 " + S.current.name + "？ / Delete this layout?")) return;
    try {
      await api("DELETE", "/display-layouts/" + encodeURIComponent(S.current.name));
      status("已删除 / Deleted", true);
      S.current = null;
      await loadLayouts();
      await loadDisplays();
    } catch (e) { status(e.message); }
  }

  async function create(ev) {
    ev.preventDefault();
    const name = $("new-name").value.trim();
    if (S.layouts.some((l) => l.name === name)) { status("已有同名布局 / A layout with this name exists"); return; }
    const base = S.current ? { ...collect(), name, version: 0, title: name } : { name };
    try {
      const saved = await api("PUT", "/display-layouts/" + encodeURIComponent(name), base);
      $("new-name").value = "";
      status("已新建 / Created " + saved.name, true);
      await loadLayouts(saved.name);
      await loadDisplays();
    } catch (e) { status(e.message); }
  }

  // -- displays ------------------------------------------------------------------------------
  async function loadDisplays() {
    const displays = await api("GET", "/displays");
    const tbody = $("displays").querySelector("tbody");
    tbody.textContent = "";
    $("no-displays").classList.toggle("hidden", displays.length > 0);
    displays.forEach((d) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = d.name + (d.revoked ? "（已吊销 revoked）" : "");
      const pick = document.createElement("td");
      const sel = document.createElement("select");
      sel.dataset.device = d.name;
      S.layouts.forEach((l) => {
        const o = document.createElement("option");
        o.value = l.name; o.textContent = l.name;
        o.selected = l.name === d.layout;
        sel.appendChild(o);
      });
      pick.appendChild(sel);
      const act = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button"; b.className = "secondary"; b.dataset.assign = d.name;
      b.textContent = "应用 Assign";
      b.addEventListener("click", async () => {
        try {
          await api("PUT", "/displays/" + encodeURIComponent(d.name) + "/layout", { layout: sel.value });
          status("已分配：" + d.name + " → " + sel.value + " / Assigned", true);
        } catch (e) { status(e.message); }
      });
      act.appendChild(b);
      tr.append(name, pick, act);
      tbody.appendChild(tr);
    });
  }

  // -- wiring --------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    checkboxes($("f-elements"), ELEMENTS, "el-");
    checkboxes($("f-kinds"), KINDS, "kind-");
    $("signin-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", async () => { await api("DELETE", "/session").catch(() => null); signOut(); });
    $("layout-form").addEventListener("submit", save);
    $("delete").addEventListener("click", remove);
    $("new-form").addEventListener("submit", create);
    ["f-title", "f-windows", "f-notice", "f-flash", "f-recent", "f-template", "f-recall"].forEach((id) =>
      $(id).addEventListener("input", schedulePreview));
    ["f-bg", "f-fg", "f-accent"].forEach((id) => $(id).addEventListener("input", () => { showContrast(); schedulePreview(); }));
    document.querySelectorAll("input[name=orientation]").forEach((r) => r.addEventListener("change", schedulePreview));
    if (S.token) start(); else show(false);
  });
})();
