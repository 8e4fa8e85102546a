// The citizen's matter page: where the application stands, what is still owed, the pickup code.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const token = decodeURIComponent(location.pathname.split("/").pop() || "");

  function day(t) {
    if (!t) return "";
    const d = new Date(t * 1000);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  function fail(msg) {
    const el = $("error");
    el.textContent = msg;
    el.classList.remove("hidden");
  }

  function render(d) {
    $("hall").textContent = d.hall_name_zh;
    $("code").textContent = d.code;
    $("head").classList.remove("hidden");
    const ready = d.matters.filter((m) => m.state === "ready").length;
    $("summary").textContent = ready
      ? "已办结，请到统一出件窗口领取 · Ready: collect at the pickup window"
      : (d.matters.length > 1 ? `共 ${d.matters.length} 项事项 · ${d.matters.length} services` : `${d.matters[0].state_zh} · ${d.matters[0].state_en}`);
    if (d.pickup_qr) {
      $("pickup-qr").src = d.pickup_qr;
      $("pickup-hint").textContent = ready
        ? "到大厅自助机扫描此码，取统一出件号，无需重新排队咨询。Scan this at a hall kiosk for a pickup ticket."
        : "补交材料时在自助机扫描此码即可，无需取号。Scan at a kiosk when you bring materials; no queue number needed.";
      $("pickup").classList.remove("hidden");
    }
    const owed = d.matters.flatMap((m) => m.owed_open);
    if (owed.length) {
      const ul = $("owed-list");
      ul.textContent = "";
      for (const o of [...new Set(owed)]) {
        const li = document.createElement("li");
        li.textContent = o;
        ul.append(li);
      }
      const due = d.matters.map((m) => m.owed_due).filter(Boolean).sort()[0];
      $("owed-due").textContent = due ? `请于 ${due} 前送到任一窗口 · Bring them by ${due} to any window` : "";
      $("owed").classList.remove("hidden");
    }
    const items = $("items");
    items.textContent = "";
    for (const m of d.matters) {
      const card = document.createElement("section");
      card.className = "card item";
      const h = document.createElement("h2");
      h.textContent = m.service_name_zh + (m.service_name_en ? " · " + m.service_name_en : "");
      const st = document.createElement("div");
      st.className = "state" + (m.state === "ready" ? " ready" : "") + (m.overdue ? " late" : "");
      st.textContent = `${m.state_zh} · ${m.state_en}`;
      const dl = document.createElement("dl");
      dl.className = "facts";
      const add = (k, v) => {
        if (!v) return;
        const dt = document.createElement("dt");
        dt.textContent = k;
        const dd = document.createElement("dd");
        dd.textContent = v;
        dl.append(dt, dd);
      };
      add("受理时间", day(m.accepted_at));
      add("承诺办结", m.kind === "instant" ? "即办件，当场办结" : m.due_date);
      add("已收材料", m.received.join("、"));
      add("未予批准理由", m.reason && m.state === "rejected" ? m.reason : "");
      const ol = document.createElement("ol");
      ol.className = "timeline";
      for (const s of m.steps) {
        const li = document.createElement("li");
        li.textContent = `${day(s.at)} ${s.step_zh}`;
        ol.append(li);
      }
      card.append(h, st, dl, ol);
      items.append(card);
    }
  }

  async function load() {
    try {
      const res = await fetch("/api/v1/m/" + encodeURIComponent(token));
      const data = await res.json().catch(() => null);
      if (!res.ok) {
        const e = (data && data.error) || {};
        fail((e.message || "找不到该办件") + " · " + (e.message_en || "Application not found"));
        return;
      }
      $("error").classList.add("hidden");
      render(data);
    } catch (e) {
      fail("网络连接中断，稍后自动重试 · Connection lost; retrying");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    load();
    setInterval(load, 30000);
  });
})();
