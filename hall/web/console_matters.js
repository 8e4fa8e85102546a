// Matters (办件) at the clerk console, beside console.js and without touching it: the acceptance
// slip after 受理/容缺受理, the matter a pickup ticket came for (hand-over), owed materials
// marked supplied (by the current ticket, by code, or filed at the kiosk).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const M = { current: null, slip: null };
  const token = () => sessionStorage.getItem("ow-console-token");

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json", Authorization: "Bearer " + token() };
    const r = await origFetch("/api/v1" + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const e = (data && data.error) || {};
      throw new Error((e.message || "操作失败") + (e.message_en ? " · " + e.message_en : ""));
    }
    return data;
  }

  function say(msg, ok) {
    const el = $("m-status");
    el.textContent = msg || "";
    el.className = "m-status" + (ok ? " ok" : "") + (msg ? "" : " hidden");
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function matterCard(m, ticketId) {
    const li = el("li", undefined, "m-card");
    li.append(el("div", `${m.code} · ${m.service_name_zh}`, "m-title"));
    li.append(el("div", `${m.state_zh}${m.overdue ? "（超期）" : ""} · 承诺 ${m.due_date}`, "m-meta"));
    for (const name of m.owed_open) {
      const b = el("button", `已补交：${name}`, "m-btn");
      b.type = "button";
      b.addEventListener("click", async () => {
        try {
          await api("POST", `/matters/${m.id}/supplied`, { material: name, ticket_id: ticketId || null });
          say(`${m.code}：${name} 已登记补交`, true);
          refresh();
        } catch (e) { say(e.message); }
      });
      li.append(b);
    }
    if (m.state === "ready") {
      const f = el("form", undefined, "m-handover");
      f.innerHTML = "";
      const name = el("input");
      name.placeholder = "领取人姓名 Collected by";
      name.maxLength = 40;
      name.required = true;
      const proxyLabel = el("label", undefined, "m-proxy");
      const proxy = el("input");
      proxy.type = "checkbox";
      proxyLabel.append(proxy, document.createTextNode(" 代领 by proxy"));
      const note = el("input");
      note.placeholder = "备注：代领须注明委托书（勿填证件号码）Note (no ID numbers)";
      note.maxLength = 500;
      const go = el("button", "确认出件 Hand over", "m-btn primary");
      go.type = "submit";
      f.append(name, proxyLabel, note, go);
      f.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          await api("POST", `/matters/${m.id}/handover`, { to_name: name.value.trim(), by_proxy: proxy.checked,
            note: note.value.trim(), ticket_id: ticketId || null });
          say(`${m.code} 已出件 · handed over`, true);
          refresh();
        } catch (e) { say(e.message); }
      });
      li.append(f);
    }
    return li;
  }

  async function refresh() {
    const list = $("m-current");
    if (!list || !token()) return;
    list.textContent = "";
    if (M.current) {
      try {
        const ms = await api("GET", `/tickets/${M.current}/matters`);
        for (const m of ms) list.append(matterCard(m, M.current));
      } catch (e) { /* the ticket moved on */ }
    }
    const filed = $("m-filed");
    filed.textContent = "";
    try {
      const data = await api("GET", "/matters?filed=true");
      for (const m of data.matters) filed.append(matterCard(m, null));
      $("m-filed-empty").classList.toggle("hidden", data.matters.length > 0);
    } catch (e) { /* not a clerk session yet */ }
  }

  function showSlip(slip) {
    M.slip = slip;
    const box = $("m-slip");
    box.textContent = "";
    box.append(el("h2", "受理回执 · Acceptance receipt"), el("div", slip.hall_name_zh), el("div", slip.code, "m-code"));
    for (const s of slip.services) {
      box.append(el("div", s.kind === "instant" ? `${s.name_zh}：即办件，当场办结` : `${s.name_zh}：${s.promise_days} 个工作日，${s.due_date} 前办结`));
    }
    if (slip.received.length) box.append(el("div", "已收材料：" + slip.received.join("、")));
    if (slip.owed.length) box.append(el("div", `尚需补交：${slip.owed.join("、")}（${slip.owed_due} 前）`, "m-owed"));
    const qrs = el("div", undefined, "m-qrs");
    for (const [src, label] of [[slip.page_qr, "扫码查看进度 Follow it"], [slip.pickup_qr, "取件码 Pickup code"]]) {
      if (!src) continue;
      const fig = el("figure");
      const img = el("img");
      img.src = src;
      img.alt = label;
      fig.append(img, el("figcaption", label));
      qrs.append(fig);
    }
    box.append(qrs, el("div", "办件进度：" + slip.page_url, "m-url"));
    $("dlg-slip").showModal();
  }

  // Watch the console's own requests: the finish reply carries the slip; every window reply
  // carries the current ticket, whose matter (if any) the panel shows.
  const origFetch = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    const res = await origFetch(input, init);
    try {
      const url = typeof input === "string" ? input : input.url;
      if (/\/api\/v1\/windows\/[^/]+(\/[a-z-]+)?$/.test(url) && res.ok) {
        res.clone().json().then((data) => {
          if (!data) return;
          const win = data.window || data;
          const cur = win && win.current;
          const id = cur && cur.id ? cur.id : null;
          if (id !== M.current) {
            M.current = id;
            refresh();
          }
          if (data.slip) showSlip(data.slip);
        }).catch(() => {});
      }
    } catch (e) { /* never break the console */ }
    return res;
  };

  document.addEventListener("DOMContentLoaded", () => {
    $("m-search").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const list = $("m-found");
      list.textContent = "";
      try {
        const ms = await api("GET", "/matters/by-code/" + encodeURIComponent($("m-code").value.trim().toUpperCase()));
        for (const m of ms) list.append(matterCard(m, M.current));
        say("");
      } catch (e) { say(e.message); }
    });
    $("m-slip-close").addEventListener("click", () => $("dlg-slip").close());
    $("m-slip-browser").addEventListener("click", () => window.print());
    $("m-slip-print").addEventListener("click", async () => {
      const ms = await api("GET", "/matters/by-code/" + encodeURIComponent(M.slip.code)).catch((e) => { say(e.message); return []; });
      if (!ms.length) return;
      try {
        await api("POST", `/matters/${ms[0].id}/print-slip`);
        say("回执已打印 · slip printed", true);
        $("dlg-slip").close();
      } catch (e) { say(e.message); }
    });
    setInterval(refresh, 15000);
  });
})();
