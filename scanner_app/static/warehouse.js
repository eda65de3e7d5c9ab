// PharmaTrace scanner, warehouse mode: ship by scanning packs and cases (SSCC), receive by
// scanning what arrived.
//
// app.js owns sign-in and the pharmacy screen; it announces the session with the DOM events
// "pt:signed-in" / "pt:signed-out" and exposes window.ptScanner.session(). This file owns the
// mode switch and everything in #warehouse. Every scan is resolved by the service
// (POST /warehouse/resolve): a pack comes back with its batch and the caller's custody of it, an
// SSCC with the contents recorded for it. Writes carry an Idempotency-Key that is kept until the
// service has answered, so pressing Ship or Confirm again after a lost connection is safe.
"use strict";

(() => {
  const API = "/api/v1";
  const GS = "\u001d";
  const CUSTODIANS = ["manufacturer", "distributor", "pharmacy"];
  const MODE_KEY = "pt_scanner_mode";

  const $ = (id) => document.getElementById(id);
  const session = { token: "", me: null };
  const draft = { ship: null, receive: null };
  let task = "ship";

  // -- small helpers ----------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  // Scanner input and idempotency keys follow app.js's rules (loaded first: scripts are deferred
  // in document order).
  const normalise = (raw) => window.ptScanner.normalise(raw);
  const newKey = () => window.ptScanner.idempotencyKey();

  const batchKey = (gtin, lot) => `${gtin}|${lot}`;
  const shown = (code) => code.replace(/\u001d/g, "<GS>");

  async function api(method, path, body, headers) {
    const response = await fetch(API + path, {
      method,
      headers: {
        Authorization: `Bearer ${session.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(headers || {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.status === 401 && window.ptScanner && window.ptScanner.signOut) {
      window.ptScanner.signOut((data && data.message) || "Your token is no longer valid.");
      throw new Error("signed out");
    }
    return { ok: response.ok, status: response.status, data };
  }

  const message = (answer) => (answer.data && answer.data.message) || `The service answered ${answer.status}.`;

  // -- the screen -------------------------------------------------------------------------------

  function build() {
    const root = $("warehouse");
    root.replaceChildren(
      el("h2", { id: "wh-title", text: "Warehouse: ship and receive" }),
      el(
        "div",
        { className: "tasks", role: "group", "aria-label": "Task" },
        el("button", { type: "button", id: "wh-task-ship", "data-task": "ship", text: "Ship" }),
        el("button", { type: "button", id: "wh-task-receive", "data-task": "receive", text: "Receive" }),
      ),
      el(
        "form",
        { id: "wh-scan-form", autocomplete: "off" },
        el("label", { for: "wh-code", text: "Scan a pack or a case label (SSCC)" }),
        el("input", { id: "wh-code", type: "text", spellcheck: "false", autocapitalize: "off", autocomplete: "off" }),
        el("button", { type: "submit", text: "Add scan" }),
      ),
      el("p", { id: "wh-notice", className: "notice", role: "status", "data-seq": "0", hidden: true }),
      el(
        "div",
        { id: "wh-ship" },
        el("h3", { text: "Shipment being prepared" }),
        el("table", { id: "wh-ship-lines", className: "counts" }),
        el("label", { for: "wh-receiver", text: "Receiver" }),
        el("select", { id: "wh-receiver" }),
        el("div", { className: "actions" },
          el("button", { type: "button", id: "wh-ship-send", text: "Ship now" }),
          el("button", { type: "button", id: "wh-ship-clear", className: "secondary", text: "Start over" })),
        el("p", { id: "wh-ship-result", role: "status" }),
      ),
      el(
        "div",
        { id: "wh-receive", hidden: true },
        el("label", { for: "wh-incoming", text: "Incoming shipment" }),
        el("select", { id: "wh-incoming" }),
        el("button", { type: "button", id: "wh-incoming-refresh", className: "secondary", text: "Refresh list" }),
        el("table", { id: "wh-receive-lines", className: "counts" }),
        el("button", { type: "button", id: "wh-receive-send", text: "Confirm receipt", disabled: true }),
        el("div", { id: "wh-receive-result", role: "status" }),
      ),
    );
  }

  function notice(light, kind, text) {
    const node = $("wh-notice");
    node.className = `notice ${light}`;
    node.dataset.light = light;
    node.dataset.kind = kind;
    node.dataset.seq = String(Number(node.dataset.seq || "0") + 1);
    node.textContent = text;
    node.hidden = false;
  }

  function setMode(mode) {
    const custodian = session.me && CUSTODIANS.includes(session.me.role);
    const warehouse = custodian && mode === "warehouse";
    $("warehouse").hidden = !warehouse;
    $("scanner").hidden = warehouse;
    if (warehouse) $("verdict").hidden = true;
    for (const button of document.querySelectorAll("#mode-switch button")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === (warehouse ? "warehouse" : "pharmacy")));
    }
    document.body.dataset.mode = warehouse ? "warehouse" : "pharmacy";
    sessionStorage.setItem(MODE_KEY, warehouse ? "warehouse" : "pharmacy");
    if (warehouse) {
      setTask(task);
    } else {
      $("code").focus();
    }
  }

  function setTask(next) {
    task = next;
    $("wh-ship").hidden = task !== "ship";
    $("wh-receive").hidden = task !== "receive";
    $("wh-task-ship").setAttribute("aria-pressed", String(task === "ship"));
    $("wh-task-receive").setAttribute("aria-pressed", String(task === "receive"));
    $("wh-notice").hidden = true;
    if (task === "ship") {
      loadReceivers();
      renderShip();
    } else {
      loadIncoming();
    }
    $("wh-code").focus();
  }

  // -- scanning ---------------------------------------------------------------------------------

  async function resolveScan(raw) {
    const code = normalise(raw);
    if (!code) {
      notice("amber", "empty", "Nothing was scanned: scan a pack's DataMatrix or a case's SSCC label.");
      return null;
    }
    let answer;
    try {
      answer = await api("POST", "/warehouse/resolve", { code });
    } catch (error) {
      if (error.message !== "signed out") {
        notice("amber", "offline", `No connection: ${shown(code)} was not counted. Scan it again when the connection is back.`);
      }
      return null;
    }
    if (!answer.ok) {
      const code = (answer.data && answer.data.code) || "ERROR";
      const light = answer.status === 422 ? "amber" : "red";
      const lead = answer.status === 422 ? "Not counted, the code cannot be read" : "Not counted";
      notice(light, "refused", `${lead} (${code}): ${message(answer)}`);
      $("wh-notice").dataset.code = code;
      return null;
    }
    return answer.data;
  }

  async function onScan(raw) {
    const resolved = await resolveScan(raw);
    if (!resolved) return;
    if (task === "ship") addToShipment(resolved);
    else addToReceipt(resolved);
  }

  // -- ship -------------------------------------------------------------------------------------

  function emptyShipment() {
    return { batches: new Map(), serials: new Set(), ssccs: new Set(), key: null };
  }

  function batchEntry(batches, item) {
    const key = batchKey(item.gtin, item.lot);
    if (!batches.has(key)) {
      batches.set(key, { gtin: item.gtin, lot: item.lot, name: item.product_name || "", loose: [], unlabelled: 0, cases: new Map() });
    }
    return batches.get(key);
  }

  function addToShipment(resolved) {
    const ship = draft.ship;
    if (resolved.kind === "sscc") {
      const unit = resolved.unit;
      if (ship.ssccs.has(unit.sscc)) {
        notice("amber", "duplicate", `Already scanned: case ${unit.sscc} is counted once. This scan was ignored.`);
        return;
      }
      const clash = unit.contents.flatMap((c) => c.serials.map((s) => batchKey(c.gtin, s))).find((s) => ship.serials.has(s));
      if (clash) {
        notice("red", "duplicate", `Case ${unit.sscc} holds pack ${clash.split("|")[1]}, which was already scanned loose. Remove one of them (Start over).`);
        return;
      }
      ship.ssccs.add(unit.sscc);
      for (const content of unit.contents) {
        batchEntry(ship.batches, content).cases.set(unit.sscc, content);
        for (const serial of content.serials) ship.serials.add(batchKey(content.gtin, serial));
      }
      const packs = unit.contents.reduce((sum, c) => sum + c.quantity, 0);
      notice("green", "added", `Case ${unit.sscc} added: ${packs} pack(s).`);
    } else {
      const pack = resolved.pack;
      if (pack.light !== "green") {
        notice(pack.light, "refused", `Not added: ${pack.reasons.join(" ")}`);
        return;
      }
      const entry = batchEntry(ship.batches, pack);
      if (pack.serial) {
        const key = batchKey(pack.gtin, pack.serial);
        if (ship.serials.has(key)) {
          notice("amber", "duplicate", `Already scanned: pack ${pack.serial} is counted once. This scan was ignored.`);
          return;
        }
        ship.serials.add(key);
        entry.loose.push(pack.serial);
      } else {
        entry.unlabelled += 1;
      }
      entry.name = entry.name || pack.product_name || "";
      notice("green", "added", `Pack ${pack.serial || "(no serial)"} of batch ${pack.lot} added.`);
    }
    ship.key = null; // the shipment changed: a new request, a new key
    $("wh-ship-result").textContent = "";
    renderShip();
  }

  function batchTotal(entry) {
    let total = entry.loose.length + entry.unlabelled;
    for (const content of entry.cases.values()) total += content.quantity;
    return total;
  }

  function renderShip() {
    const table = $("wh-ship-lines");
    const rows = [...draft.ship.batches.values()].map((entry) =>
      el(
        "tr",
        { "data-batch": batchKey(entry.gtin, entry.lot), "data-count": batchTotal(entry) },
        el("td", { text: entry.name || entry.gtin }),
        el("td", { text: entry.lot }),
        el("td", { className: "num", text: String(batchTotal(entry)) }),
        el("td", { text: `${entry.loose.length + entry.unlabelled} loose, ${entry.cases.size} case(s)` }),
      ),
    );
    table.replaceChildren(
      el("thead", {}, el("tr", {}, el("th", { text: "Product" }), el("th", { text: "Batch" }), el("th", { text: "Packs" }), el("th", { text: "Of which" }))),
      el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, className: "hint", text: "Nothing scanned yet." }))])),
    );
    $("wh-ship-send").disabled = rows.length === 0;
  }

  async function loadReceivers() {
    const select = $("wh-receiver");
    if (select.options.length) return;
    let answer;
    try {
      answer = await api("GET", "/organizations");
    } catch (_) {
      return;
    }
    if (!answer.ok) return;
    const partners = answer.data.filter(
      (org) => CUSTODIANS.includes(org.role) && org.licence_status === "active" && org.msp_id !== session.me.msp_id,
    );
    select.replaceChildren(
      el("option", { value: "", text: "Choose the receiver…" }),
      ...partners.map((org) => el("option", { value: org.msp_id, text: `${org.name} (${org.role}, ${org.msp_id})` })),
    );
  }

  function shipmentLines() {
    return [...draft.ship.batches.values()].map((entry) => {
      const serials = [...entry.loose];
      for (const content of entry.cases.values()) serials.push(...content.serials);
      return { gtin: entry.gtin, lot: entry.lot, quantity: batchTotal(entry), serials, ssccs: [...entry.cases.keys()] };
    });
  }

  async function ship() {
    const result = $("wh-ship-result");
    const receiver = $("wh-receiver").value;
    if (!receiver) {
      result.textContent = "Choose the receiver first.";
      result.className = "error";
      return;
    }
    const ship = draft.ship;
    ship.key = ship.key || newKey();
    const button = $("wh-ship-send");
    button.disabled = true;
    let answer;
    try {
      answer = await api("POST", "/shipments", { receiver, lines: shipmentLines() }, { "Idempotency-Key": ship.key });
    } catch (error) {
      if (error.message !== "signed out") {
        result.className = "error";
        result.textContent = "No connection: it is not known whether the shipment was recorded. Press Ship now again when the connection is back: it cannot ship twice.";
        result.dataset.state = "offline";
      }
      button.disabled = false;
      $("wh-code").focus();
      return;
    }
    button.disabled = false;
    if (!answer.ok) {
      result.className = "error";
      result.dataset.state = "refused";
      result.textContent = `Not shipped (${(answer.data && answer.data.code) || answer.status}): ${message(answer)}`;
      $("wh-code").focus();
      return;
    }
    const shipment = answer.data.shipment;
    const packs = shipment.lines.reduce((sum, line) => sum + line.quantity, 0);
    draft.ship = emptyShipment();
    renderShip();
    result.className = "ok";
    result.dataset.state = "shipped";
    result.dataset.shipment = shipment.shipment_id;
    result.textContent = `Shipped ${shipment.shipment_id} to ${shipment.receiver}: ${packs} pack(s), in transit until received.`;
    $("wh-notice").hidden = true;
    $("wh-code").focus();
  }

  // -- receive ----------------------------------------------------------------------------------

  async function loadIncoming() {
    const select = $("wh-incoming");
    let answer;
    try {
      answer = await api("GET", "/shipments?direction=incoming&status=in_transit");
    } catch (_) {
      return;
    }
    if (!answer.ok) return;
    const current = select.value;
    select.replaceChildren(
      el("option", { value: "", text: answer.data.length ? "Choose the shipment that arrived…" : "No shipment is on its way to you." }),
      ...answer.data.map((s) => el("option", { value: s.shipment_id, text: `${s.shipment_id} from ${s.sender}, shipped ${s.shipped_at.slice(0, 16).replace("T", " ")}` })),
    );
    if ([...select.options].some((o) => o.value === current)) select.value = current;
    select.dataset.count = String(answer.data.length);
  }

  async function pickIncoming() {
    const id = $("wh-incoming").value;
    draft.receive = null;
    $("wh-receive-result").replaceChildren();
    if (!id) {
      renderReceipt();
      return;
    }
    const answer = await api("GET", `/shipments/${encodeURIComponent(id)}`);
    if (!answer.ok) {
      notice("red", "refused", message(answer));
      return;
    }
    const expected = new Map(answer.data.lines.map((line) => [batchKey(line.gtin, line.lot), line]));
    draft.receive = { shipment: answer.data, expected, counted: new Map(), serials: new Set(), ssccs: new Set(), key: null };
    renderReceipt();
    $("wh-code").focus();
  }

  function count(gtin, lot, quantity, name) {
    const key = batchKey(gtin, lot);
    const entry = draft.receive.counted.get(key) || { gtin, lot, quantity: 0, name: "" };
    entry.quantity += quantity;
    entry.name = entry.name || name || "";
    draft.receive.counted.set(key, entry);
    return draft.receive.expected.has(key);
  }

  function addToReceipt(resolved) {
    const receipt = draft.receive;
    if (!receipt) {
      notice("amber", "refused", "Choose the incoming shipment first, then scan what arrived.");
      return;
    }
    if (resolved.kind === "sscc") {
      const unit = resolved.unit;
      if (receipt.ssccs.has(unit.sscc)) {
        notice("amber", "duplicate", `Already scanned: case ${unit.sscc} is counted once. This scan was ignored.`);
        return;
      }
      receipt.ssccs.add(unit.sscc);
      const unexpected = unit.contents.filter((c) => !count(c.gtin, c.lot, c.quantity));
      for (const c of unit.contents) for (const s of c.serials) receipt.serials.add(batchKey(c.gtin, s));
      const other = unit.shipment_id && unit.shipment_id !== receipt.shipment.shipment_id;
      if (unexpected.length || other) {
        notice("red", "unexpected", `Case ${unit.sscc} was not expected in this shipment${other ? ` (it belongs to ${unit.shipment_id})` : ""}: its contents are counted as they arrived.`);
      } else {
        notice("green", "added", `Case ${unit.sscc} counted: ${unit.contents.reduce((n, c) => n + c.quantity, 0)} pack(s).`);
      }
    } else {
      const pack = resolved.pack;
      if (pack.serial) {
        const key = batchKey(pack.gtin, pack.serial);
        if (receipt.serials.has(key)) {
          notice("amber", "duplicate", `Already scanned: pack ${pack.serial} is counted once. This scan was ignored.`);
          return;
        }
        receipt.serials.add(key);
      }
      const expected = count(pack.gtin, pack.lot, 1, pack.product_name);
      // Custody is what receiving changes: only the pack's own findings matter here.
      const problems = pack.reasons.filter((reason) => reason !== pack.custody);
      if (!expected) {
        notice("red", "unexpected", `Unexpected: batch ${pack.lot} is not in this shipment; counted as it arrived. ${problems.join(" ")}`);
      } else if (problems.length && pack.light === "red") {
        notice("red", "flagged", `Counted, but check it: ${problems.join(" ")}`);
      } else {
        notice("green", "added", `Pack ${pack.serial || "(no serial)"} of batch ${pack.lot} counted.`);
      }
    }
    receipt.key = null;
    renderReceipt();
  }

  function receiptRows() {
    const receipt = draft.receive;
    const keys = new Set([...receipt.expected.keys(), ...receipt.counted.keys()]);
    return [...keys].map((key) => {
      const line = receipt.expected.get(key);
      const got = receipt.counted.get(key);
      const expected = line ? line.quantity : 0;
      const counted = got ? got.quantity : 0;
      let status = "ok";
      if (!line) status = "unexpected";
      else if (counted < expected) status = "short";
      else if (counted > expected) status = "extra";
      const [gtin, lot] = key.split("|");
      return { gtin, lot, expected, counted, status, name: got ? got.name : "" };
    });
  }

  function renderReceipt() {
    const table = $("wh-receive-lines");
    $("wh-receive-send").disabled = !draft.receive;
    if (!draft.receive) {
      table.replaceChildren();
      return;
    }
    const words = { ok: "as expected", short: "short", extra: "extra", unexpected: "unexpected" };
    table.replaceChildren(
      el("thead", {}, el("tr", {}, el("th", { text: "Batch" }), el("th", { text: "GTIN" }), el("th", { text: "Expected" }), el("th", { text: "Counted" }), el("th", { text: "" }))),
      el(
        "tbody",
        {},
        ...receiptRows().map((row) =>
          el(
            "tr",
            { className: row.status, "data-batch": batchKey(row.gtin, row.lot), "data-status": row.status, "data-counted": row.counted },
            el("td", { text: row.lot }),
            el("td", { text: row.gtin }),
            el("td", { className: "num", text: String(row.expected) }),
            el("td", { className: "num", text: String(row.counted) }),
            el("td", { text: words[row.status] }),
          ),
        ),
      ),
    );
  }

  async function confirmReceipt() {
    const receipt = draft.receive;
    if (!receipt) return;
    const lines = receiptRows()
      .filter((row) => row.expected > 0 || row.counted > 0)
      .map((row) => ({ gtin: row.gtin, lot: row.lot, quantity: row.counted }));
    receipt.key = receipt.key || newKey();
    const out = $("wh-receive-result");
    const button = $("wh-receive-send");
    button.disabled = true;
    let answer;
    try {
      answer = await api("POST", `/shipments/${encodeURIComponent(receipt.shipment.shipment_id)}/receive`, { lines }, { "Idempotency-Key": receipt.key });
    } catch (error) {
      button.disabled = false;
      if (error.message !== "signed out") {
        out.replaceChildren(el("p", { className: "error", "data-state": "offline", text: "No connection: press Confirm again when the connection is back; it cannot be recorded twice." }));
      }
      return;
    }
    button.disabled = false;
    if (!answer.ok) {
      out.replaceChildren(el("p", { className: "error", "data-state": "refused", text: `Not received (${(answer.data && answer.data.code) || answer.status}): ${message(answer)}` }));
      return;
    }
    showReceived(answer.data.shipment);
    $("wh-notice").hidden = true;
    draft.receive = null;
    renderReceipt();
    loadIncoming();
  }

  function showReceived(shipment) {
    const out = $("wh-receive-result");
    const items = shipment.discrepancies.map((d) =>
      el("li", { className: d.kind, "data-kind": d.kind, text: `${d.kind.toUpperCase()}: batch ${d.lot} (GTIN ${d.gtin}) shipped ${d.shipped}, received ${d.received}.` }),
    );
    const clean = shipment.status === "received";
    out.replaceChildren(
      el("p", {
        className: clean ? "ok" : "flagged",
        "data-state": shipment.status,
        text: clean
          ? `Received ${shipment.shipment_id}: everything as shipped.`
          : `Received ${shipment.shipment_id} with discrepancies, recorded on the ledger for the sender and the regulator:`,
      }),
      items.length ? el("ul", { className: "discrepancies" }, ...items) : null,
    );
  }

  // -- wiring -----------------------------------------------------------------------------------

  function wire() {
    build();
    draft.ship = emptyShipment();
    for (const button of document.querySelectorAll("#mode-switch button")) {
      button.addEventListener("click", () => setMode(button.dataset.mode));
    }
    $("wh-task-ship").addEventListener("click", () => setTask("ship"));
    $("wh-task-receive").addEventListener("click", () => setTask("receive"));
    const input = $("wh-code");
    input.addEventListener("keydown", (event) => {
      if (event.ctrlKey && (event.key === "]" || event.code === "BracketRight" || event.key === GS)) {
        event.preventDefault();
        const start = input.selectionStart ?? input.value.length;
        input.value = input.value.slice(0, start) + GS + input.value.slice(input.selectionEnd ?? start);
        input.selectionStart = input.selectionEnd = start + 1;
      }
    });
    // A wedge types wherever the focus is: in warehouse mode its characters go to the scan field.
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if ($("warehouse").hidden || target === input || ["INPUT", "SELECT"].includes(target.tagName)) return;
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) input.focus();
    }, true);
    $("wh-scan-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const raw = input.value;
      input.value = "";
      await onScan(raw);
      input.focus();
    });
    $("wh-ship-send").addEventListener("click", ship);
    $("wh-ship-clear").addEventListener("click", () => {
      draft.ship = emptyShipment();
      $("wh-notice").hidden = true;
      $("wh-ship-result").textContent = "";
      renderShip();
      input.focus();
    });
    $("wh-incoming").addEventListener("change", pickIncoming);
    $("wh-incoming-refresh").addEventListener("click", loadIncoming);
    $("wh-receive-send").addEventListener("click", confirmReceipt);

    document.addEventListener("pt:signed-in", (event) => start(event.detail));
    document.addEventListener("pt:signed-out", () => {
      session.token = "";
      session.me = null;
      draft.ship = emptyShipment();
      draft.receive = null;
      $("mode-switch").hidden = true;
      $("warehouse").hidden = true;
      $("wh-receiver").replaceChildren();
      sessionStorage.removeItem(MODE_KEY);
    });
    const current = window.ptScanner && window.ptScanner.session && window.ptScanner.session();
    if (current && current.me) start(current);
  }

  function start(detail) {
    session.token = detail.token;
    session.me = detail.me;
    const custodian = CUSTODIANS.includes(session.me.role);
    $("mode-switch").hidden = !custodian;
    const remembered = sessionStorage.getItem(MODE_KEY);
    const fallback = session.me.role === "pharmacy" || !custodian ? "pharmacy" : "warehouse";
    setMode(remembered || fallback);
  }

  wire();
})();
