/* The sandbox's stand-in for DingTalk's JSAPI (dingtalk.open.js): just enough for an H5 page's free-login.
   dd.requestAuthCode({corpId, clientId, success, fail}) and the legacy
   dd.runtime.permission.requestAuthCode({corpId, onSuccess, onFail}) show a picker of the seeded org's
   people; the chosen person's real free-login code (single use, 5 minutes) goes to success({code}).
   Styles are set through the CSSOM, which a page's `style-src 'self'` policy allows. */
(function () {
  "use strict";
  var CORP_ID = __CORP_ID__;
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";
  var readyQueue = [];
  var isReady = document.readyState !== "loading";

  function whenReady(callback) { if (isReady) { callback(); } else { readyQueue.push(callback); } }
  if (!isReady) {
    document.addEventListener("DOMContentLoaded", function () {
      isReady = true;
      readyQueue.splice(0).forEach(function (callback) { callback(); });
    });
  }

  function el(tag, style, text) {
    var node = document.createElement(tag);
    Object.assign(node.style, style || {});
    if (text) { node.textContent = text; }
    return node;
  }

  function mint(userId) {
    return fetch(base + "/_sandbox/api/auth-codes", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({userId: userId})
    }).then(function (response) {
      return response.ok ? response.json() : Promise.reject(new Error("auth-codes answered " + response.status));
    });
  }

  function picker(done, failed) {
    var shade = el("div", {position: "fixed", inset: "0", background: "rgba(0,0,0,.45)", zIndex: "2147483647",
                           display: "flex", alignItems: "flex-end", justifyContent: "center"});
    shade.id = "dd-sandbox-picker";
    shade.setAttribute("role", "dialog");
    shade.setAttribute("aria-label", "Sandbox free-login");
    var sheet = el("div", {background: "#fff", width: "100%", maxWidth: "28rem", maxHeight: "80vh", overflowY: "auto",
                           borderRadius: "12px 12px 0 0", padding: "1rem", font: "15px/1.4 system-ui, sans-serif",
                           boxSizing: "border-box"});
    sheet.appendChild(el("div", {fontWeight: "600", marginBottom: ".25rem"}, "DingTalk sandbox · 免登"));
    sheet.appendChild(el("div", {color: "#57606a", fontSize: "13px", marginBottom: ".75rem"},
                         "Sign in as (DingTalk would use whoever opened the page):"));
    var list = el("div", {display: "flex", flexDirection: "column", gap: "6px"});
    sheet.appendChild(list);
    var cancel = el("button", {marginTop: ".75rem", padding: ".5rem", width: "100%", background: "#fff",
                               border: "1px solid #c6ccd3", borderRadius: "6px", font: "inherit"}, "Cancel");
    cancel.type = "button";
    sheet.appendChild(cancel);
    shade.appendChild(sheet);
    function close() { shade.remove(); }
    cancel.addEventListener("click", function () { close(); failed({errorCode: "-1", errorMessage: "cancelled"}); });
    fetch(base + "/_sandbox/api/org").then(function (response) { return response.json(); }).then(function (org) {
      org.users.forEach(function (user) {
        var pick = el("button", {textAlign: "left", padding: ".55rem .75rem", background: "#f6f8fa", font: "inherit",
                                 border: "1px solid #dde1e6", borderRadius: "6px", cursor: "pointer"});
        pick.type = "button";
        pick.dataset.userId = user.userId;
        pick.appendChild(el("strong", {}, user.name + " · " + user.nameEn));
        pick.appendChild(el("span", {display: "block", color: "#57606a", fontSize: "13px"},
                            user.userId + (user.title ? " · " + user.title : "") + (user.admin ? " · admin" : "")));
        pick.addEventListener("click", function () {
          close();
          mint(user.userId).then(function (issued) { done(issued.authCode); }, failed);
        });
        list.appendChild(pick);
      });
    }, failed);
    document.body.appendChild(shade);
  }

  function requestCode(corpId, done, failed) {
    if (corpId !== CORP_ID) {
      failed({errorCode: "3", errorMessage: "corpId " + corpId + " is not this org's; the sandbox's is " + CORP_ID});
      return;
    }
    whenReady(function () { picker(done, failed); });
  }

  var noop = function () {};
  window.dd = {
    env: {platform: "sandbox"},
    version: "sandbox",
    ready: function (callback) { whenReady(callback); },
    error: noop,
    requestAuthCode: function (options) {
      requestCode(options.corpId, function (code) { (options.success || noop)({code: code}); }, options.fail || noop);
    },
    runtime: {permission: {requestAuthCode: function (options) {
      requestCode(options.corpId, function (code) { (options.onSuccess || noop)({code: code}); },
                  options.onFail || noop);
    }}}
  };
})();
