/* The admin pages' only script: free-login sign-in, the reminder rule's live preview, confirmations.
   No inline scripts anywhere (the Content-Security-Policy forbids them); everything hangs off data- attributes. */
(function () {
  "use strict";

  function postJson(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.ok ? response.json() : Promise.reject(new Error(url + " answered " + response.status));
    });
  }

  /* DingTalk free-login: ask the JSAPI for a one-time code, exchange it at the API, hand the token to the
     page session (an HttpOnly cookie this script never sees again), then open the page that was asked for. */
  function signIn(body) {
    var status = document.getElementById("signin-status");
    var retry = document.getElementById("signin-retry");
    var data = body.dataset;
    function say(key) { status.textContent = status.dataset[key]; }
    function failed() { say("failed"); retry.hidden = false; }
    function withCode(result) {
      var code = result && (result.code || result.authCode);
      if (!code) { failed(); return; }
      postJson(data.signin, {authCode: code})
        .then(function (signed) { return postJson(data.session, {token: signed.token, next: data.next}); })
        .then(function (session) { window.location.replace(session.next); })
        .catch(failed);
    }
    var dd = window.dd;
    if (!dd || (dd.env && dd.env.platform === "notInDingTalk")) { say("noDingtalk"); return; }
    var ask = function () {
      if (typeof dd.requestAuthCode === "function") {
        dd.requestAuthCode({corpId: data.corpId, clientId: data.clientId, success: withCode, fail: failed});
      } else if (dd.runtime && dd.runtime.permission && dd.runtime.permission.requestAuthCode) {
        dd.runtime.permission.requestAuthCode({corpId: data.corpId, onSuccess: withCode, onFail: failed});
      } else {
        say("noDingtalk");
      }
    };
    if (typeof dd.ready === "function") { dd.ready(ask); } else { ask(); }
  }

  /* The reminder rule's preview follows the form as it is edited: the server renders the same fragment the
     full page shows, for the proposed (unsaved) rule. Without this script the Preview button does the same. */
  function livePreview(form) {
    var target = document.getElementById(form.dataset.previewTarget);
    var timer = null;
    var sent = 0;
    function refresh() {
      var ticket = ++sent;
      form.setAttribute("aria-busy", "true");
      fetch(form.dataset.preview, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/x-www-form-urlencoded"},
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (response) {
        // Anything but the fragment (the sign-in page once the session ran out, an error page) is not shown
        // inside the preview; a short message says why instead.
        return response.ok ? response.text() : Promise.reject(new Error("preview answered " + response.status));
      }).then(function (html) {
        if (ticket === sent) { target.innerHTML = html; form.removeAttribute("aria-busy"); }
      }).catch(function () {
        if (ticket !== sent) { return; }
        var note = document.createElement("p");
        note.className = "error";
        note.id = "preview-failed";
        note.textContent = form.dataset.previewFailed;
        target.replaceChildren(note);
        form.removeAttribute("aria-busy");
      });
    }
    function later() { window.clearTimeout(timer); timer = window.setTimeout(refresh, 300); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  /* The campaign form's signer picker: each chosen person's userId joins the signers field, in signing order.
     Without this script the field is typed by hand; the list still shows who is who. */
  function signerPicker(picker) {
    var field = document.getElementById(picker.dataset.pickerFor);
    var select = picker.querySelector("select");
    picker.querySelector("button").addEventListener("click", function () {
      var chosen = select.value;
      var current = field.value.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
      if (chosen && current.indexOf(chosen) < 0) { current.push(chosen); }
      field.value = current.join(", ");
      select.value = "";
    });
  }

  function confirmations() {
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.signin) { signIn(document.body); }
    document.querySelectorAll("form[data-preview]").forEach(livePreview);
    document.querySelectorAll("[data-picker-for]").forEach(signerPicker);
    confirmations();
  });
})();
