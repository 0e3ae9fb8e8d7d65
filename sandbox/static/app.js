// The sandbox page: pick a colleague, chat with the bot as them, click cards, watch it all live.
"use strict";

(function () {
  const API = "/_sandbox/api/";
  const { el, api, toast, fileChip, bubble, size, renderDisplay } = window.SandboxUI;
  const $ = (id) => document.getElementById(id);
  const view = { mode: "chat", userId: null, groupId: null, org: null, depts: {}, loading: false, dirty: false };

  function userOf(userId) {
    return (view.org.users || []).find((u) => u.userId === userId) || { userId: userId, name: userId, nameEn: "" };
  }

  function deptNames(user) {
    return user.deptIds.map((id) => view.depts[id]).filter(Boolean).map((d) => d.name + " " + d.nameEn).join(" · ");
  }


  // ---- picker (people or groups) ----

  function renderPicker() {
    const list = $("picker-list");
    const select = $("picker-select");
    list.replaceChildren();
    select.replaceChildren();
    if (view.mode === "chat") {
      $("sidebar-title").replaceChildren("People ", el("span", { class: "zh" }, "同事"));
      for (const dept of view.org.departments) {
        const members = view.org.users.filter((u) => u.deptIds[0] === dept.deptId);
        if (!members.length) continue;
        list.append(el("div", { class: "dept" }, [dept.nameEn + " ", el("span", { class: "zh" }, dept.name)]));
        const group = el("optgroup", { label: dept.nameEn + " " + dept.name });
        for (const user of members) {
          list.append(personButton(user));
          group.append(el("option", { value: user.userId, selected: user.userId === view.userId },
            user.name + " " + user.nameEn));
        }
        select.append(group);
      }
    } else {
      $("sidebar-title").replaceChildren("Groups ", el("span", { class: "zh" }, "群組"));
      for (const group of view.org.groups) {
        list.append(el("button", {
          class: "person" + (group.conversationId === view.groupId ? " active" : ""),
          onclick: () => selectGroup(group.conversationId),
        }, [el("span", { class: "avatar group" }, "群"), el("span", { class: "who" }, [
          el("span", { class: "name" }, group.title),
          el("span", { class: "title" }, group.members.length + " members · 成員"),
        ])]));
        select.append(el("option", { value: group.conversationId, selected: group.conversationId === view.groupId },
          group.title));
      }
    }
  }

  function personButton(user) {
    const badges = [user.admin ? "admin" : null, user.boss ? "boss" : null].filter(Boolean);
    return el("button", {
      class: "person" + (user.userId === view.userId ? " active" : ""),
      onclick: () => selectUser(user.userId),
    }, [
      el("span", { class: "avatar" }, user.name.slice(-2)),
      el("span", { class: "who" }, [
        el("span", { class: "name" }, [user.name + " ", el("span", { class: "en" }, user.nameEn)]),
        el("span", { class: "title" }, user.title),
        badges.length ? el("span", { class: "badges" }, badges.map((b) => el("span", { class: "badge" }, b))) : null,
      ]),
    ]);
  }

  function selectUser(userId) {
    view.userId = userId;
    localStorage.setItem("sandbox.user", userId);
    renderPicker();
    refresh();
  }

  function openChat(userId) {
    if (view.mode === "chat") return selectUser(userId);
    view.userId = userId;
    localStorage.setItem("sandbox.user", userId);
    setMode("chat");
  }

  function selectGroup(groupId) {
    view.groupId = groupId;
    localStorage.setItem("sandbox.group", groupId);
    renderPicker();
    renderGroupSenders();
    refresh();
  }

  function setMode(mode) {
    view.mode = mode;
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.mode === mode);
    $("group-controls").hidden = mode !== "group";
    $("attach").hidden = mode === "group"; // DingTalk never delivers group file messages to a bot
    renderPicker();
    renderGroupSenders();
    refresh();
  }

  function renderGroupSenders() {
    const group = view.org.groups.find((g) => g.conversationId === view.groupId);
    const select = $("group-sender");
    const previous = select.value;
    select.replaceChildren(...(group ? group.members : []).map((id) => {
      const user = userOf(id);
      return el("option", { value: id, selected: id === previous }, user.name + " " + user.nameEn);
    }));
  }

  // ---- timeline ----

  async function refresh() {
    if (view.loading) { view.dirty = true; return; }
    view.loading = true;
    try {
      do {
        view.dirty = false;
        await load();
      } while (view.dirty);
    } catch (error) {
      toast(error.message, "error");
    } finally {
      view.loading = false;
    }
  }

  async function load() {
    if (view.mode === "chat" && view.userId) {
      const chat = await api("GET", "chats/" + encodeURIComponent(view.userId));
      const user = chat.user;
      $("chat-title").replaceChildren(user.name + " ", el("span", { class: "en" }, user.nameEn));
      $("chat-sub").textContent = user.title + " · " + deptNames(user);
      renderEntries(chat.entries, view.userId);
    } else if (view.mode === "group" && view.groupId) {
      const viewer = $("group-sender").value;
      const group = await api("GET", "groups/" + encodeURIComponent(view.groupId) + "?as=" + encodeURIComponent(viewer));
      $("chat-title").textContent = group.title;
      $("chat-sub").textContent = group.members.map((id) => userOf(id).name).join("、");
      renderEntries(group.entries, viewer);
    }
  }

  function renderEntries(entries, viewer) {
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    box.replaceChildren();
    if (!entries.length) {
      box.append(el("div", { class: "empty" }, [
        el("div", { class: "empty-title" }, view.mode === "chat" ? "Say hello to the bot" : "Mention the bot in the group"),
        el("div", { class: "zh" }, view.mode === "chat" ? "同機械人打個招呼" : "喺群組 @機械人"),
      ]));
    }
    for (const entry of entries) box.append(renderEntry(entry, viewer));
    if (atBottom || entries.length) box.scrollTop = box.scrollHeight;
  }

  function renderEntry(entry, viewer) {
    if (entry.kind === "user") {
      const mine = view.mode === "chat" || entry.from === viewer;
      const sender = userOf(entry.from);
      const body = entry.msgtype === "file"
        ? fileChip(entry.file.fileName, el("span", { class: "meta" }, size(entry.file.size)))
        : el("div", { class: "text" }, entry.text);
      const note = view.mode === "group" && !entry.atBot ? "not sent to the bot (no @)" : null;
      return bubble(mine ? "out" : "in", mine ? null : sender.name, body, entry.at, note);
    }
    if (entry.kind === "card") return window.SandboxCards.render(entry, viewer, refresh);
    const label = { batchSend: "robot API", groupSend: "robot API", sessionWebhook: "reply",
      workNotice: "work notice · 工作通知", todo: "to-do · 待辦" }[entry.source] || entry.source;
    return bubble("in bot", "Bot 機械人", renderDisplay(entry.display), entry.at, label);
  }

  // ---- sending ----

  async function send(event) {
    event.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text) return;
    try {
      let result;
      if (view.mode === "chat") {
        result = await api("POST", "messages", { userId: view.userId, text: text });
      } else {
        result = await api("POST", "group-messages", { conversationId: view.groupId,
          userId: $("group-sender").value, text: text, atBot: $("at-bot").checked });
      }
      input.value = "";
      grow();
      if (result.queued) toast("No bot connected yet — it will get this when it connects · 已排隊", "warn");
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function sendFile() {
    const input = $("file-input");
    if (!input.files.length) return;
    const form = new FormData();
    form.append("userId", view.userId);
    form.append("file", input.files[0]);
    input.value = "";
    try {
      const result = await api("POST", "messages", form);
      if (result.queued) toast("No bot connected yet — the file is queued · 已排隊", "warn");
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function grow() {
    const input = $("text");
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
    input.style.overflowY = input.scrollHeight > 140 ? "auto" : "hidden";
  }

  // ---- live updates ----

  function showConnections(live) {
    const status = $("status");
    status.classList.toggle("offline", live === 0);
    $("status-text").textContent = live === 0 ? "No bot connected · 未連線"
      : "Bot online · 已連線" + (live > 1 ? " (" + live + ")" : "");
    $("notice").hidden = live !== 0;
    $("notice").textContent = "The bot is not connected. Messages are queued until it connects. " +
      "Start the bot (or reply by hand through the robot API) · 機械人未連線，訊息會排隊。";
  }

  function listen() {
    const source = new EventSource(API + "events");
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "connections") showConnections(event.live);
      else if (event.type === "chat") {
        const key = view.mode === "chat" ? "user:" + view.userId : "group:" + view.groupId;
        if (event.chat === key) refresh();
      } else if (event.type === "card" || event.type === "reset") refresh();
    };
  }

  async function start() {
    view.org = await api("GET", "org");
    for (const d of view.org.departments) view.depts[d.deptId] = d;
    window.SandboxCards.configure({ org: view.org, openChat: openChat });
    const query = new URLSearchParams(location.search);
    const savedUser = query.get("user") || localStorage.getItem("sandbox.user");
    const savedGroup = query.get("group") || localStorage.getItem("sandbox.group");
    view.userId = view.org.users.some((u) => u.userId === savedUser) ? savedUser : view.org.users[0].userId;
    view.groupId = view.org.groups.some((g) => g.conversationId === savedGroup) ? savedGroup
      : (view.org.groups[0] || {}).conversationId;
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => setMode(tab.dataset.mode));
    $("picker-select").addEventListener("change", (e) => (view.mode === "chat" ? selectUser : selectGroup)(e.target.value));
    $("group-sender").addEventListener("change", refresh);
    $("composer").addEventListener("submit", send);
    $("text").addEventListener("input", grow);
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e);
    });
    $("file-input").addEventListener("change", sendFile);
    setMode(query.get("group") ? "group" : "chat");
    listen();
    showConnections((await api("GET", "state")).liveConnections);
  }

  start().catch((error) => toast(error.message, "error"));
})();
