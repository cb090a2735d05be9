// Seaway dashboard: the live parts (server-sent events) and confirmations. Every page reads without it.
"use strict";

function follow(pre) {
  const source = new EventSource(pre.dataset.stream);
  let fresh = true;
  source.onopen = () => { pre.dataset.live = "true"; };
  source.onmessage = (event) => {
    if (fresh) { pre.textContent = ""; fresh = false; }  // the stream starts with what the page showed
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent += event.data + "\n";
    if (atBottom) { pre.scrollTop = pre.scrollHeight; }
  };
  source.addEventListener("end", () => {
    source.close();
    pre.dataset.ended = "true";
    if (pre.dataset.reloadAtEnd) { setTimeout(() => window.location.reload(), 1000); }
  });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) { pre.dataset.ended = "true"; } };
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("pre[data-stream]").forEach(follow);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
});
