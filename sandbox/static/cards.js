// Cards: our own templates (title, body/markdown, a JSON "buttons" param) and the public templates'
// sys_full_json_obj msgButtons, rendered generically; buttons click through the control API.
"use strict";

(function () {
  const md = window.SandboxMarkdown;
  const { el, api, toast, time, bubble, linkButton } = window.SandboxUI;

  const KNOWN_KEYS = new Set(["title", "msgTitle", "body", "markdown", "msgContent", "staticMsgContent", "buttons",
    "sys_full_json_obj", "flowStatus", "logo"]);

  function parseJson(text, fallback) {
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  function cardButtons(data) {
    const buttons = [];
    for (const b of parseJson(data.buttons || "[]", [])) {
      if (b && b.text) buttons.push({ text: b.text, style: b.style || b.color, params: b.params || {}, actionIds: b.id ? [b.id] : [] });
    }
    const full = parseJson(data.sys_full_json_obj || "{}", {});
    for (const b of full.msgButtons || []) {
      if (b && b.request) buttons.push({ text: b.text, style: b.color, params: b.params || {}, actionIds: [b.id] });
      else if (b && b.url) buttons.push({ text: b.text, style: b.color, url: b.url });
    }
    return buttons;
  }

  function cardBubble(card, viewer, at, onDone) {
    if (!card) return bubble("in bot", "Bot 機械人", el("div", { class: "text" }, "(card no longer exists)"), at);
    const data = card.data;
    const title = data.title || data.msgTitle || "";
    const text = data.body || data.markdown || data.msgContent || data.staticMsgContent || "";
    const extra = Object.entries(data).filter(([k]) => !KNOWN_KEYS.has(k));
    const box = el("div", { class: "card" }, [
      title ? el("div", { class: "card-title" }, title) : null,
      text ? el("div", { class: "md", html: md.render(text) }) : null,
      el("div", { class: "buttons" }, cardButtons(data).map((b) => b.url ? linkButton(b.text, b.url)
        : el("button", { class: "btn " + (b.style || ""), type: "button",
          onclick: (event) => clickCard(card, viewer, b, event.currentTarget, onDone) }, b.text))),
      extra.length ? el("details", { class: "card-data" }, [el("summary", {}, "Card data · 卡片數據"),
        el("dl", {}, extra.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))]) : null,
      el("div", { class: "card-foot" }, [card.callbackType === "STREAM" ? "interactive" : "no stream callback",
        " · v" + card.version]),
    ]);
    return el("div", { class: "row in bot" }, [box, el("div", { class: "stamp" }, time(at) + " · card 卡片")]);
  }

  async function clickCard(card, viewer, button, node, onDone) {
    node.disabled = true;
    node.classList.add("busy");
    try {
      const result = await api("POST", "cards/" + encodeURIComponent(card.outTrackId) + "/click",
        { userId: viewer, params: button.params, actionIds: button.actionIds });
      if (!result.delivered) toast("No bot is connected to receive the click · 機械人未連線", "error");
      else if (!result.acked) toast("The bot did not answer within the time limit · 操作失敗，請重試", "error");
      else toast("Done in " + Math.round(result.elapsed * 1000) + " ms · 已處理", "ok");
    } catch (error) {
      toast(error.message, "error");
    } finally {
      onDone();
    }
  }

  window.SandboxCards = { render: cardBubble };
})();
