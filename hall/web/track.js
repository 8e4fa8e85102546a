// A complaint's progress by its tracking code (/c/CODE): status timeline, reply date, outcome.
"use strict";
(function () {
  const code = decodeURIComponent(location.pathname.split("/").pop() || "").toUpperCase();
  const TEXT = {
    zh: { code_label: "受理编号", due_title: "答复期限", outcome_title: "处理结果", timeline_title: "处理进度",
      complaint: "投诉", suggestion: "建议", lang: "EN",
      due: "我们承诺在受理后 {days} 个工作日内（{date} 前）答复您。", left: "还剩 {n} 个工作日。",
      due_today: "今天是答复期限。", overdue: "已超过答复期限，我们正在督办。",
      closed_on: "办结日期：{date}", contact: "如有疑问，请拨打 {hotline}，并告知受理编号。",
      not_found: "找不到该编号的反映，请核对编号。", offline: "暂时无法连接大厅，请稍后再试" },
    en: { code_label: "Tracking code", due_title: "Reply due", outcome_title: "Outcome", timeline_title: "Progress",
      complaint: "Complaint", suggestion: "Suggestion", lang: "中文",
      due: "We promise a reply within {days} working days of receipt (by {date}).",
      left: "{n} working day(s) left.", due_today: "The reply is due today.",
      overdue: "The reply is overdue; it has been escalated.", closed_on: "Closed on {date}",
      contact: "Questions? Call {hotline} and give your tracking code.",
      not_found: "No complaint with this code; please check it.", offline: "Cannot reach the hall now; please try again shortly" },
  };
  let lang = (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  try { lang = localStorage.getItem("ow-lang") || lang; } catch (e) { /* private mode */ }
  const $ = (id) => document.getElementById(id);
  const t = (k) => TEXT[lang][k];
  const fill = (tpl, vars) => tpl.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? "" : String(vars[k])));
  let data = null;
  let hall = null;

  function day(ts) {
    const d = new Date(ts * 1000);
    const p = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes());
  }

  function render() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = t("lang");
    if (hall) $("hall").textContent = lang === "zh" ? hall.name_zh : (hall.name_en || hall.name_zh);
    if (!data) return;
    const d = data;
    $("summary").classList.remove("hidden");
    $("code").textContent = d.code;
    $("category").textContent = t(d.kind) + " · " + (lang === "zh" ? d.category.zh : d.category.en);
    $("state").textContent = (lang === "zh" ? d.state_zh : d.state_en) || "";
    $("state").dataset.state = d.state || "";
    const closed = d.state === "closed";
    $("due").classList.toggle("hidden", !d.reply_due);
    if (d.reply_due) {
      $("due-text").textContent = fill(t("due"), { days: d.reply_working_days, date: d.reply_due });
      $("due-left").textContent = closed ? "" : (d.overdue ? t("overdue")
        : (d.working_days_left === 0 ? t("due_today") : fill(t("left"), { n: d.working_days_left })));
    }
    $("outcome").classList.toggle("hidden", !d.outcome);
    if (d.outcome) {
      $("outcome-text").textContent = d.outcome.reply || "";
      $("outcome-date").textContent = fill(t("closed_on"), { date: day(d.outcome.closed_at) });
    }
    $("timeline-box").classList.remove("hidden");
    const ol = $("timeline");
    ol.textContent = "";
    d.timeline.forEach((s) => {
      const li = document.createElement("li");
      li.dataset.step = s.step;
      const name = document.createElement("b");
      name.textContent = lang === "zh" ? s.zh : s.en;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = day(s.at);
      li.append(name, when);
      ol.appendChild(li);
    });
    $("contact").classList.toggle("hidden", !d.hotline);
    $("contact").textContent = fill(t("contact"), { hotline: d.hotline });
  }

  function message(text) {
    $("message").textContent = text || "";
    $("message").classList.toggle("hidden", !text);
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("ow-lang", lang); } catch (e) { /* private mode */ }
    render();
    if (!data && $("message").textContent) message(t("not_found"));
  });
  render();
  fetch("/api/v1/kiosk-config").then((r) => r.json()).then((c) => { hall = c.hall; render(); }).catch(() => {});
  fetch("/api/v1/complaints/" + encodeURIComponent(code)).then(async (r) => {
    if (r.status === 404) { message(t("not_found")); return; }
    if (!r.ok) { message(t("offline")); return; }
    data = await r.json();
    render();
  }).catch(() => message(t("offline")));
})();
