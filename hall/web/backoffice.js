// The back office (后台审批): an approver's queue of matters and the steps on one of them.
"use strict";
(function () {
  const S = { token: sessionStorage.getItem("ow-backoffice-token"), staff: null, rows: [], sel: null, step: null };
  const $ = (id) => document.getElementById(id);
  const STEP = {
    approve: { zh: "批准", en: "Approve" }, reject: { zh: "不予批准", en: "Reject", note: "不予批准的理由 Reasons" },
    ask_more: { zh: "要求补正", en: "Ask for more", note: "说明 Note", materials: true },
    resume: { zh: "恢复审批", en: "Resume" }, ready: { zh: "办结待领取", en: "Ready for pickup" },
    mail: { zh: "邮寄送达", en: "Mailed", note: "邮寄单号 Tracking number" },
  };
  // Which steps make sense from a state; the hall decides, this only dims the others.
  const FROM = {
    approve: ["accepted"], reject: ["accepted", "more_requested", "approved"], ask_more: ["accepted", "approved"],
    resume: ["more_requested"], ready: ["approved"], mail: ["approved", "ready"],
  };

  function show(msg, ok) {
    const el = $("status");
    el.textContent = msg;
    el.classList.toggle("ok", !!ok);
    el.classList.toggle("hidden", !msg);
  }

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    } catch (e) {
      throw new Error("无法连接大厅服务器，请稍后重试 · Cannot reach the hall server");
    }
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (res.status === 401 && path !== "/api/v1/session") {
      signOut();
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new Error((e.message || "操作失败") + (e.message_en ? " · " + e.message_en : ""));
    }
    return data;
  }

  function when(t) {
    if (!t) return "";
    const d = new Date(t * 1000);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  function signOut() {
    S.token = null;
    sessionStorage.removeItem("ow-backoffice-token");
    $("office").classList.add("hidden");
    $("signin").classList.remove("hidden");
    $("sign-out").classList.add("hidden");
    $("who").textContent = "";
  }

  async function signIn(ev) {
    ev.preventDefault();
    try {
      const out = await api("POST", "/api/v1/session", { staff_id: $("staff-id").value.trim(), pin: $("pin").value });
      S.token = out.token;
      sessionStorage.setItem("ow-backoffice-token", S.token);
      show("");
      await start();
    } catch (e) {
      show(e.message);
    }
  }

  async function start() {
    const me = await api("GET", "/api/v1/session");
    S.staff = me.staff;
    $("who").textContent = `${me.staff.name}（${me.staff.id}）`;
    $("signin").classList.add("hidden");
    $("office").classList.remove("hidden");
    $("sign-out").classList.remove("hidden");
    await load();
  }

  async function load() {
    const state = $("filter-state").value;
    const data = await api("GET", "/api/v1/matters" + (state ? "?state=" + encodeURIComponent(state) : ""));
    S.rows = data.matters;
    const body = $("queue-body");
    body.textContent = "";
    for (const m of S.rows) {
      const tr = document.createElement("tr");
      tr.dataset.id = m.id;
      if (m.overdue) tr.classList.add("overdue");
      if (S.sel && S.sel.id === m.id) tr.classList.add("sel");
      const cells = [m.code, m.service_name_zh, m.state_zh, m.due_date, when(m.accepted_at), m.owed_open.join("、")];
      cells.forEach((c, i) => {
        const td = document.createElement("td");
        td.textContent = c;
        if (i === 3 && m.overdue) {
          const b = document.createElement("span");
          b.className = "badge late";
          b.textContent = "超期 overdue";
          td.append(" ", b);
        }
        tr.append(td);
      });
      tr.addEventListener("click", () => select(m.id));
      body.append(tr);
    }
    $("empty").classList.toggle("hidden", S.rows.length > 0);
    if (S.sel) await select(S.sel.id);
  }

  async function select(id) {
    const m = await api("GET", "/api/v1/matters/" + id);
    S.sel = m;
    document.querySelectorAll("#queue-body tr").forEach((tr) => tr.classList.toggle("sel", tr.dataset.id === id));
    $("detail").classList.remove("hidden");
    $("d-code").textContent = m.code;
    $("d-state").textContent = `${m.state_zh} · ${m.state_en}`;
    $("d-service").textContent = `${m.service_name_zh} ${m.service_name_en || ""}`;
    $("d-kind").textContent = m.kind === "instant" ? "即办件 Instant" : `承诺件 Promised（${m.promise_days} 个工作日）`;
    $("d-accepted").textContent = `${when(m.accepted_at)} · ${m.window_number || ""} 号窗口`;
    $("d-due").textContent = m.due_date + (m.overdue ? "（已超期 overdue）" : "");
    $("d-phone").textContent = m.phone_masked || "—";
    $("d-received").textContent = m.received.join("、") || "—";
    $("d-owed").textContent = m.owed.length
      ? m.owed.map((o) => o.name + (o.supplied_at ? "（已补 " + when(o.supplied_at) + "）" : "（未补）")).join("、")
        + (m.owed_due ? ` · 期限 due ${m.owed_due}` : "")
      : "—";
    document.querySelectorAll("[data-step]").forEach((b) => {
      b.disabled = !FROM[b.dataset.step].includes(m.state);
    });
    const ol = $("d-steps");
    ol.textContent = "";
    for (const s of m.steps) {
      const li = document.createElement("li");
      const head = document.createElement("div");
      head.textContent = s.step_zh + (s.note ? "：" + s.note : "");
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = `${when(s.at)} · ${s.source === "central" ? "省级审批系统 central" : (s.staff_id || "")}`;
      li.append(head, meta);
      ol.append(li);
    }
  }

  function openStep(step) {
    S.step = step;
    const d = STEP[step];
    $("step-title").textContent = `${d.zh} · ${d.en} — ${S.sel.code}`;
    $("materials-label").classList.toggle("hidden", !d.materials);
    $("note-label").textContent = d.note || "说明（可选）Note (optional)";
    $("step-materials").value = "";
    $("step-note").value = "";
    $("step-form").classList.remove("hidden");
    (d.materials ? $("step-materials") : $("step-note")).focus();
  }

  async function submitStep(ev) {
    ev.preventDefault();
    const materials = $("step-materials").value.split("\n").map((x) => x.trim()).filter(Boolean);
    try {
      await api("POST", `/api/v1/matters/${S.sel.id}/steps`, { step: S.step, note: $("step-note").value.trim(), materials });
      $("step-form").classList.add("hidden");
      show(`${S.sel.code}：${STEP[S.step].zh}已完成 · ${STEP[S.step].en} done`, true);
      await load();
    } catch (e) {
      show(e.message);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", async () => {
      try { await api("DELETE", "/api/v1/session"); } catch (e) { /* ended anyway */ }
      signOut();
    });
    $("refresh").addEventListener("click", () => load().catch((e) => show(e.message)));
    $("filter-state").addEventListener("change", () => load().catch((e) => show(e.message)));
    document.querySelectorAll("[data-step]").forEach((b) => b.addEventListener("click", () => openStep(b.dataset.step)));
    $("step-form").addEventListener("submit", submitStep);
    $("step-cancel").addEventListener("click", () => $("step-form").classList.add("hidden"));
    if (S.token) start().catch(() => signOut());
  });
})();
