// Shared page helpers: DOM building, the control API, toasts and message bodies.
"use strict";

(function () {
  const API = "/_sandbox/api/";
  const md = window.SandboxMarkdown;
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "html") node.innerHTML = value; // only md.render output (escaped) or constants
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(method, path, body) {
    const options = { method: method, headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(API + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  let toastTimer = null;
  function toast(text, kind, action) {
    const box = $("toast");
    box.replaceChildren(text);
    if (action) {
      box.append(el("button", { class: "toast-action", type: "button",
        onclick: () => { box.hidden = true; action.run(); } }, action.label));
    }
    box.className = "toast " + (kind || "");
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, action ? 7000 : 4000);
  }

  function time(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }


  const FILE_ICON = '<svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 ' +
    '2-2V9z"/><path d="M14 3v6h6"/></svg>';

  function fileChip(name, extra) {
    return el("div", { class: "file" }, [el("span", { html: FILE_ICON }), name, extra || null]);
  }

  function bubble(side, name, body, at, note) {
    return el("div", { class: "row " + side }, [
      el("div", { class: "bubble" }, [name ? el("div", { class: "sender" }, name) : null, body]),
      el("div", { class: "stamp" }, [time(at), note ? " · " + note : ""]),
    ]);
  }

  function size(bytes) {
    return bytes < 1024 ? bytes + " B" : (bytes / 1024).toFixed(1) + " KB";
  }

  function renderDisplay(display) {
    switch (display.type) {
      case "text": return el("div", { class: "text" }, display.text);
      case "markdown": return el("div", { class: "md", html: md.render(display.text) });
      case "actionCard":
        return el("div", { class: "action-card" }, [
          display.title ? el("div", { class: "card-title" }, display.title) : null,
          el("div", { class: "md", html: md.render(display.text) }),
          el("div", { class: "buttons" }, display.buttons.map((b) => linkButton(b.title, b.url))),
        ]);
      case "link":
        return el("div", { class: "md" }, [el("strong", {}, display.title), el("div", {}, display.text),
          linkButton("Open 打開", display.url)]);
      case "image": return el("div", { class: "text" }, ["[image 圖片] ", display.url]);
      case "file": return fileChip(display.fileName || "file");
      default: return el("pre", { class: "raw" }, JSON.stringify(display, null, 2));
    }
  }

  function linkButton(text, url) {
    const safe = /^https?:/i.test(url || "") ? url : null;
    return el("a", { class: "btn", href: safe, target: "_blank", rel: "noopener noreferrer" }, text);
  }

  window.SandboxUI = { el: el, api: api, toast: toast, time: time, size: size, fileChip: fileChip,
    bubble: bubble, linkButton: linkButton, renderDisplay: renderDisplay };
})();
