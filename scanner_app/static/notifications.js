// PharmaTrace scanner: live notices (recalls, withdrawals, quarantines) while the page is open.
//
// Reads GET /api/v1/notifications, a server-sent event stream, with fetch() and a ReadableStream
// rather than EventSource: EventSource cannot send the Authorization header, and the token must
// not go into a URL (logs, history). Connects once the user is signed in (app.js shows
// #scanner), reconnects with backoff (1 s doubling to 30 s) sending Last-Event-ID, so nothing
// said meanwhile is missed; stops on sign-out. A batch status change shows a red banner, and a
// verdict on screen for that batch turns red at once with the reason (Dispense hidden).
"use strict";

(() => {
  const PATH = "/api/v1/notifications";
  const TOKEN_KEY = "pt_scanner_token";
  const MIN_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const VERBS = { recalled: "recalled", withdrawn: "withdrawn", quarantined: "quarantined", active: "released" };

  const $ = (id) => document.getElementById(id);
  const live = { controller: null, lastId: "", delay: MIN_DELAY_MS, timer: null, token: "" };
  // What the stream said, newest last: read by the browser tests and the benchmark.
  const received = [];
  window.ptNotices = { received, state: "idle" };

  function setState(state) {
    window.ptNotices.state = state;
    const area = $("notices");
    if (area) area.dataset.state = state;
  }

  function signedIn() {
    const scanner = $("scanner");
    return Boolean(scanner && !scanner.hidden && sessionStorage.getItem(TOKEN_KEY));
  }

  // -- what a notice does on the page -------------------------------------------------------------

  function bannerText(data) {
    const verb = VERBS[data.status] || data.status;
    const what = `Batch ${data.lot} of ${data.product || data.gtin} ${verb}`;
    return data.reason ? `${what}: ${data.reason}` : `${what}.`;
  }

  function showBanner(data) {
    const area = $("notices");
    if (!area) return;
    const stopping = data.status !== "active";
    const banner = document.createElement("section");
    banner.className = stopping ? "verdict red notice" : "verdict amber notice";
    banner.setAttribute("role", "alert");
    banner.dataset.gtin = data.gtin;
    banner.dataset.lot = data.lot;
    banner.dataset.status = data.status;
    const text = document.createElement("p");
    text.className = "light";
    text.textContent = bannerText(data);
    const by = document.createElement("p");
    by.className = "hint";
    by.textContent = `By ${data.by_name || data.by}${data.at ? ` at ${data.at}` : ""}.`;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = "Dismiss";
    dismiss.addEventListener("click", () => banner.remove());
    banner.append(text, by, dismiss);
    area.prepend(banner);
    area.hidden = false;
  }

  /** The GTIN and lot of the verdict on screen, read from its facts list. */
  function verdictBatch() {
    const section = $("verdict");
    if (!section || section.hidden) return null;
    const facts = {};
    for (const dt of section.querySelectorAll("#verdict-facts dt")) {
      const dd = dt.nextElementSibling;
      if (dd) facts[dt.textContent] = dd.textContent;
    }
    return facts.GTIN && facts.Batch ? { gtin: facts.GTIN, lot: facts.Batch } : null;
  }

  function markVerdict(data) {
    const shown = verdictBatch();
    if (!shown || shown.gtin !== data.gtin || shown.lot !== data.lot) return;
    const reason = document.createElement("li");
    if (data.status === "active") {
      reason.textContent = `Batch ${data.lot} was released from quarantine meanwhile: scan the pack again.`;
      $("verdict-reasons").prepend(reason);
      return;
    }
    const section = $("verdict");
    section.className = "verdict red";
    section.dataset.light = "red";
    section.dataset.result = `BATCH_${data.status.toUpperCase()}`;
    section.dataset.live = "1";
    $("verdict-word").textContent = "Do not dispense";
    $("verdict-code").textContent = section.dataset.result;
    const why = data.reason ? ` Reason: ${data.reason}` : "";
    reason.textContent = `Batch ${data.lot} was ${VERBS[data.status] || data.status} while this verdict was on screen.${why}`;
    $("verdict-reasons").replaceChildren(reason); // the earlier reasons no longer hold
    $("dispense").hidden = true;
  }

  function handle(event, data) {
    received.push({ event, data, at: performance.now() });
    if (event === "ready") {
      live.delay = MIN_DELAY_MS;
      setState("live");
    } else if (event === "batch-status") {
      showBanner(data);
      markVerdict(data);
    } else if (event === "resync") {
      live.lastId = ""; // start afresh; a verdict on screen is re-checked by scanning again
    } else if (event === "signed-out") {
      stop("signed-out");
    }
  }

  // -- the stream ------------------------------------------------------------------------------

  /** Split server-sent event text into events; returns the unfinished tail. */
  function parse(buffer, onEvent) {
    const blocks = buffer.split(/\r?\n\r?\n/);
    const tail = blocks.pop();
    for (const block of blocks) {
      let event = "message";
      let id = null;
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (!line || line.startsWith(":")) continue; // keep-alive comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "id") id = value;
      }
      if (id !== null) live.lastId = id;
      if (data.length) {
        try {
          onEvent(event, JSON.parse(data.join("\n")));
        } catch (error) {
          // not ours (or cut): skip it rather than stop listening
        }
      }
    }
    return tail;
  }

  async function connect() {
    live.timer = null;
    if (!signedIn()) return;
    live.token = sessionStorage.getItem(TOKEN_KEY);
    const controller = new AbortController();
    live.controller = controller;
    setState("connecting");
    const headers = { Authorization: `Bearer ${live.token}`, Accept: "text/event-stream" };
    if (live.lastId) headers["Last-Event-ID"] = live.lastId;
    try {
      const response = await fetch(PATH, { headers, signal: controller.signal, cache: "no-store" });
      if (response.status === 401 || response.status === 403) {
        stop("refused");
        return;
      }
      if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parse(buffer + decoder.decode(value, { stream: true }), handle);
      }
    } catch (error) {
      if (controller.signal.aborted) return; // stopped on purpose
    }
    if (live.controller === controller) retry();
  }

  function retry() {
    live.controller = null;
    if (!signedIn() || live.timer) return;
    setState("reconnecting");
    const delay = live.delay;
    live.delay = Math.min(live.delay * 2, MAX_DELAY_MS);
    live.timer = setTimeout(connect, delay * (0.75 + Math.random() / 2));
  }

  function stop(state) {
    if (live.timer) clearTimeout(live.timer);
    live.timer = null;
    const controller = live.controller;
    live.controller = null;
    if (controller) controller.abort();
    setState(state);
  }

  /** Follow sign-in and sign-out (app.js shows and hides #scanner). */
  function watch() {
    const scanner = $("scanner");
    if (!scanner) return;
    const check = () => {
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (signedIn() && (!live.controller || live.token !== token) && !live.timer) {
        if (live.controller) stop("switching");
        live.lastId = "";
        live.delay = MIN_DELAY_MS;
        connect();
      } else if (!signedIn() && (live.controller || live.timer)) {
        stop("idle");
        if ($("notices")) $("notices").replaceChildren();
      }
    };
    new MutationObserver(check).observe(scanner, { attributes: true, attributeFilter: ["hidden"] });
    window.addEventListener("online", () => {
      if (live.timer) {
        clearTimeout(live.timer);
        live.timer = null;
        connect();
      }
    });
    check();
  }

  watch();
})();
