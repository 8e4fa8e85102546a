// 吐槽找茬 on the citizen's own phone: category, common phrases, text, optional phone.
"use strict";
(function () {
  const api = (p) => "/api/v1" + p;
  const TEXT = {
    zh: { title: "吐槽找茬 · 我要投诉 / 建议", kind: "类型", category: "问题类别", phrases: "常见问题（可多选）",
      text: "请写下您遇到的问题（不必填写姓名）", phone: "手机号（选填，便于回访）", submit: "提交",
      complaint: "投诉", suggestion: "建议", need: "请选择问题类别，或写下您遇到的问题",
      received: "已收到您的反映", code_label: "受理编号（请截图或记下）", track: "查看处理进度 →",
      keep: "请保存编号，我们将在 {days} 个工作日内处理并答复。", lang: "EN",
      consent: "我同意工作人员用此号码联系我回访（仅用于本次反映）",
      need_consent: "留下手机号请勾选同意回访；不想被联系可不填手机号",
      offline: "暂时无法连接大厅，请稍后再试" },
    en: { title: "Complaints and suggestions", kind: "Type", category: "Category", phrases: "Common problems",
      text: "Tell us what happened (no name needed)", phone: "Mobile number (optional, for a call back)",
      submit: "Submit", complaint: "Complaint", suggestion: "Suggestion",
      need: "Choose a category or write what happened", received: "We have received it",
      code_label: "Tracking code (take a screenshot or write it down)", track: "Follow its progress →",
      keep: "Keep this code; we will reply within {days} working days.", lang: "中文",
      consent: "I agree to be called back on this number about this report only",
      need_consent: "To leave a number, tick the call-back consent; or leave the number empty",
      offline: "Cannot reach the hall now; please try again shortly" },
  };
  let lang = (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  try { lang = localStorage.getItem("ow-lang") || lang; } catch (e) { /* private mode */ }
  const $ = (id) => document.getElementById(id);
  const t = (k) => TEXT[lang][k];
  let choices = null;
  let kind = "complaint";
  let category = "";
  const phrases = new Set();
  let sent = null;
  // One key per report: a resend after a lost reply gives the same tracking code, not two.
  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  let idemKey = newKey();
  const fill = (tpl, vars) => tpl.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? "" : String(vars[k])));

  function chips(box, items, isOn, onClick) {
    box.textContent = "";
    items.forEach((it) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reason" + (isOn(it) ? " selected" : "");
      b.textContent = it.label;
      b.addEventListener("click", () => { onClick(it); render(); });
      box.appendChild(b);
    });
  }

  function render() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = t("lang");
    if (sent) {
      $("receipt-code").textContent = sent.code;
      $("receipt-keep").textContent = fill(t("keep"), { days: sent.reply_working_days || "" });
      $("receipt-link").href = "/c/" + encodeURIComponent(sent.code);
    }
    if (!choices) return;
    $("hall").textContent = lang === "zh" ? choices.hall.name_zh : (choices.hall.name_en || choices.hall.name_zh);
    chips($("kinds"), [{ id: "complaint", label: t("complaint") }, { id: "suggestion", label: t("suggestion") }],
      (k) => k.id === kind, (k) => { kind = k.id; });
    chips($("categories"), choices.complaint_categories.map((c) => ({ id: c.id, label: lang === "zh" ? c.zh : (c.en || c.zh) })),
      (c) => c.id === category, (c) => { category = c.id; });
    chips($("phrases"), choices.complaint_phrases.map((p) => ({ id: p, label: p })),
      (p) => phrases.has(p.id), (p) => { if (phrases.has(p.id)) phrases.delete(p.id); else phrases.add(p.id); });
  }

  function message(text) {
    $("message").textContent = text || "";
    $("message").classList.toggle("hidden", !text);
  }

  async function submit() {
    const text = $("text").value.trim();
    if (!category && !text && !phrases.size) { message(t("need")); return; }
    const cats = choices.complaint_categories;
    const body = { category: category || (cats.length ? cats[cats.length - 1].id : "web"), text,
      phrases: Array.from(phrases), kind };
    const phone = $("phone").value.replace(/\D/g, "");
    if (phone) {
      if (!$("consent").checked) { message(t("need_consent")); return; }
      body.phone = phone;
      body.contact_consent = true;
    }
    $("submit").disabled = true;
    message("");
    try {
      const r = await fetch(api("/complaints"), { method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": idemKey },
        body: JSON.stringify(body) });
      const data = await r.json();
      if (!r.ok) { message(lang === "zh" ? data.error.message : data.error.message_en); return; }
      sent = data;
      idemKey = newKey();
      $("text").value = ""; $("phone").value = ""; $("consent").checked = false;
      phrases.clear(); category = ""; render();
      // The code goes at the top, in view and focused: people who do not see it resend.
      $("receipt").classList.remove("hidden");
      window.scrollTo(0, 0);
      $("receipt").focus();
    } catch (e) {
      message(t("offline"));
    } finally {
      $("submit").disabled = false;
    }
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("ow-lang", lang); } catch (e) { /* private mode */ }
    render();
  });
  $("submit").addEventListener("click", submit);
  render();
  fetch(api("/kiosk-config")).then((r) => r.json()).then((c) => { choices = c; render(); })
    .catch(() => message(t("offline")));
})();
