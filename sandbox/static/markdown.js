// A small, safe markdown subset: headings, bold, italic, inline code, lists, links, line breaks, and
// backslash escapes (the bot escapes `*_[]#` in file names). Everything is HTML-escaped first, so the only
// markup is what this file adds.
"use strict";

(function () {
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  function unescapeHtml(text) {
    return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  }

  function safeUrl(url) {
    return /^(https?:|mailto:|dingtalk:)/i.test(url) ? url : null;
  }

  function inline(escaped) {
    return escaped
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, function (match, text, url) {
        const href = safeUrl(unescapeHtml(url));
        if (!href) return text;
        return '<a href="' + escapeHtml(href) + '" target="_blank" rel="noopener noreferrer">' + text + "</a>";
      });
  }

  // An escaped character hides as a private-use code point until the markup is done.
  const HIDDEN = 0xe000;

  function hideEscapes(text) {
    return text.replace(/\\([!-\/:-@\[-`{-~])/g, (m, c) => String.fromCharCode(HIDDEN + c.charCodeAt(0)));
  }

  function showEscapes(html) {
    return html.replace(/[\ue000-\ue07f]/g, (c) => escapeHtml(String.fromCharCode(c.charCodeAt(0) - HIDDEN)));
  }

  function render(source) {
    const lines = hideEscapes(String(source || "").replace(/\r\n?/g, "\n")).split("\n");
    const out = [];
    let list = null; // "ul" or "ol" while inside a list
    let paragraph = [];

    function flushParagraph() {
      if (paragraph.length) out.push("<p>" + paragraph.join("<br>") + "</p>");
      paragraph = [];
    }
    function closeList() {
      if (list) out.push("</" + list + ">");
      list = null;
    }

    for (const raw of lines) {
      const line = raw.trimEnd();
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
      const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (heading) {
        flushParagraph(); closeList();
        const level = Math.min(heading[1].length + 2, 6); // keep headings modest inside a bubble
        out.push("<h" + level + ">" + inline(escapeHtml(heading[2])) + "</h" + level + ">");
      } else if (bullet || numbered) {
        flushParagraph();
        const kind = bullet ? "ul" : "ol";
        if (list !== kind) { closeList(); out.push("<" + kind + ">"); list = kind; }
        out.push("<li>" + inline(escapeHtml((bullet || numbered)[1])) + "</li>");
      } else if (line.trim() === "") {
        flushParagraph(); closeList();
      } else if (/^(-{3,}|\*{3,})$/.test(line.trim())) {
        flushParagraph(); closeList();
        out.push("<hr>");
      } else {
        closeList();
        paragraph.push(inline(escapeHtml(line)));
      }
    }
    flushParagraph(); closeList();
    return showEscapes(out.join(""));
  }

  window.SandboxMarkdown = { render: render, escapeHtml: escapeHtml };
})();
