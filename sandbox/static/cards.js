// Cards: our own templates (title, body/markdown, status, a JSON "buttons" param) and the public templates'
// sys_full_json_obj msgButtons, rendered generically; buttons click and "Forward…" forwards through the
// control API.
"use strict";

(function () {
  const md = window.SandboxMarkdown;
  const { el, api, toast, time, linkButton } = window.SandboxUI;

  const KNOWN_KEYS = new Set(["title", "msgTitle", "body", "markdown", "msgContent", "staticMsgContent", "buttons",
    "sys_full_json_obj", "flowStatus", "status", "logo"]);
  // The general AI card's flowStatus (wire reference 4.4); 3 "finished" needs no label.
  const FLOW = { 1: "processing · 處理中", 2: "typing · 輸入中", 4: "working · 執行中", 5: "failed · 失敗" };
  const TONE = { answered: "done", done: "done", finished: "done", closed: "muted", expired: "muted",
    cancelled: "muted", failed: "bad", error: "bad" };

  const setup = { org: { users: [], departments: [] }, openChat: () => {} };
  let forwarding = null; // { key, to } of the card whose forward picker is open, kept across re-renders

  function parseJson(text, fallback) {
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  function userOf(userId) {
    return setup.org.users.find((u) => u.userId === userId) || { userId: userId, name: userId, nameEn: "" };
  }

  function tone(style) {
    const s = String(style || "").toLowerCase();
    if (s === "primary" || s === "blue") return "primary";
    if (s === "danger" || s === "red") return "danger";
    return "default";
  }

  function toned(node, tone) {
    node.classList.add(tone);
    return node;
  }

  function cardButtons(data) {
    const buttons = [];
    for (const b of parseJson(data.buttons || "[]", [])) {
      if (b && b.text) {
        buttons.push({ text: b.text, tone: tone(b.style || b.color),
          click: { params: b.params || {}, actionIds: b.id ? [b.id] : [] } });
      }
    }
    const full = parseJson(data.sys_full_json_obj || "{}", {});
    for (const b of full.msgButtons || []) {
      // A public-template callback button sends only its id, as DingTalk does.
      if (b && b.request) buttons.push({ text: b.text, tone: tone(b.color), click: { actionIds: [b.id] } });
      else if (b && b.url) buttons.push({ text: b.text, tone: tone(b.color), url: b.url });
    }
    return buttons;
  }

  function statusChip(data) {
    const label = data.flowStatus && FLOW[data.flowStatus] ? FLOW[data.flowStatus] : data.status;
    if (!label) return null;
    const key = data.flowStatus === "5" ? "failed" : String(data.status || "").toLowerCase();
    return el("span", { class: "chip " + (TONE[key] || "live") }, label);
  }

  function cardBubble(entry, viewer, onDone) {
    const card = entry.card;
    if (!card) {
      return el("div", { class: "row in bot" }, [el("div", { class: "bubble" }, "(card no longer exists)"),
        el("div", { class: "stamp" }, time(entry.at))]);
    }
    const data = card.data;
    const title = data.title || data.msgTitle || "";
    const text = data.body || data.markdown || data.msgContent || data.staticMsgContent || "";
    const extra = Object.entries(data).filter(([k]) => !KNOWN_KEYS.has(k));
    const chip = statusChip(data);
    const buttons = cardButtons(data);
    const from = entry.forwardedBy ? userOf(entry.forwardedBy) : null;
    const box = el("div", { class: "card" + (from ? " forwarded" : "") }, [
      from ? el("div", { class: "card-via" }, ["↪ Forwarded by " + from.name + " " + from.nameEn + " · 轉發"]) : null,
      title || chip ? el("div", { class: "card-head" }, [el("div", { class: "card-title" }, title), chip]) : null,
      text ? el("div", { class: "md card-body", html: md.render(text) }) : null,
      buttons.length ? el("div", { class: "buttons" }, buttons.map((b) => b.url
        ? toned(linkButton(b.text, b.url), b.tone)
        : el("button", { class: "btn " + b.tone, type: "button",
          onclick: (event) => clickCard(card, viewer, b, event.currentTarget, onDone) }, b.text))) : null,
      extra.length ? el("details", { class: "card-data" }, [el("summary", {}, "Card data · 卡片數據"),
        el("dl", {}, extra.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))]) : null,
      cardFoot(entry, viewer, onDone),
    ]);
    return el("div", { class: "row in bot card-row" }, [box,
      el("div", { class: "stamp" }, time(entry.at) + (from ? " · forwarded card 轉發的卡片" : " · card 卡片"))]);
  }

  function cardFoot(entry, viewer, onDone) {
    const card = entry.card;
    const key = card.outTrackId + "|" + entry.seq;
    const info = el("span", { class: "card-info" },
      [card.callbackType === "STREAM" ? "interactive" : "no stream callback", " · v" + card.version]);
    let action;
    if (!card.forwardable) {
      action = el("span", { class: "card-action off", title: "Delivered with supportForward false: DingTalk " +
        "offers no Forward for it" }, "not forwardable · 不可轉發");
    } else {
      action = el("button", { class: "card-action", type: "button", onclick: () => {
        forwarding = forwarding && forwarding.key === key ? null : { key: key, to: "" };
        onDone();
      } }, "Forward… 轉發");
    }
    const foot = el("div", { class: "card-foot" }, [info, action]);
    if (!forwarding || forwarding.key !== key || !card.forwardable) return foot;
    return el("div", {}, [foot, forwardForm(card, viewer, onDone)]);
  }

  function forwardForm(card, viewer, onDone) {
    const remember = (event) => { forwarding.to = event.target.value; };
    const select = el("select", { "aria-label": "Forward to · 轉發給", onchange: remember },
      [el("option", { value: "" }, "Forward to… 轉發給…")].concat(setup.org.departments.map((dept) => {
        const members = setup.org.users.filter((u) => u.deptIds[0] === dept.deptId && u.userId !== viewer);
        return members.length ? el("optgroup", { label: dept.nameEn + " " + dept.name }, members.map((u) =>
          el("option", { value: u.userId, selected: u.userId === forwarding.to }, u.name + " " + u.nameEn))) : null;
      })));
    return el("form", { class: "forward-form", onsubmit: (event) => {
      event.preventDefault();
      forwardCard(card, viewer, select.value, onDone);
    } }, [select,
      el("button", { class: "btn primary", type: "submit" }, "Forward 轉發"),
      el("button", { class: "btn default", type: "button", onclick: () => { forwarding = null; onDone(); } },
        "Cancel 取消")]);
  }

  async function forwardCard(card, viewer, toUserId, onDone) {
    if (!toUserId) { toast("Pick a colleague first · 請選擇同事", "warn"); return; }
    try {
      await api("POST", "cards/" + encodeURIComponent(card.outTrackId) + "/forward",
        { fromUserId: viewer, toUserId: toUserId });
      forwarding = null;
      const to = userOf(toUserId);
      toast("Forwarded to " + to.name + " " + to.nameEn + " · 已轉發", "ok",
        { label: "Open their chat · 查看", run: () => setup.openChat(toUserId) });
    } catch (error) {
      toast(error.message, "error");
    } finally {
      onDone();
    }
  }

  async function clickCard(card, viewer, button, node, onDone) {
    node.disabled = true;
    node.classList.add("busy");
    try {
      const result = await api("POST", "cards/" + encodeURIComponent(card.outTrackId) + "/click",
        { userId: viewer, ...button.click });
      if (!result.delivered) toast("No bot is connected to receive the click · 機械人未連線", "error");
      else if (!result.acked) toast("The bot did not answer within the time limit · 操作失敗，請重試", "error");
      else toast("Done in " + Math.round(result.elapsed * 1000) + " ms · 已處理", "ok");
    } catch (error) {
      toast(error.message, "error");
    } finally {
      onDone();
    }
  }

  function configure(options) {
    Object.assign(setup, options);
  }

  window.SandboxCards = { render: cardBubble, configure: configure };
})();
