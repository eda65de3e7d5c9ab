// PharmaTrace scanner (pharmacy mode): scan → verdict → dispense / undo.
//
// The API token is kept in sessionStorage (this tab only, gone when it closes) and sent as
// `Authorization: Bearer` to the JSON API; the strict CSP (scripts from this origin only, no
// inline script) is what keeps other scripts from reading it.
"use strict";

(() => {
  const API = "/api/v1";
  const TOKEN_KEY = "pt_scanner_token";
  const GS = "\u001d";
  // What keyboard-wedge scanners send instead of the group separator when so configured.
  const GS_SUBSTITUTES = [/<GS>/gi, /\^\]/g, /\u241d/g, /\{GS\}/gi];
  const WORDS = { green: "Dispense", amber: "Check", red: "Do not dispense" };
  const CAMERA_FORMATS = ["DataMatrix", "QRCode"];
  const NO_CODE_HINT_MS = 4000;

  const $ = (id) => document.getElementById(id);
  const state = { token: sessionStorage.getItem(TOKEN_KEY) || "", me: null, code: "", busy: false };
  const camera = { stream: null, running: false, lastCode: "", canvas: null, ready: null };
  // Scan-to-verdict times (ms), newest last: read by the browser tests and the benchmark.
  const timings = [];
  // warehouse.js reads the session and signs out through these (it has its own screen), and reads
  // scanner input with the same rules (one place knows what wedge scanners send for GS).
  window.ptScanner = {
    timings,
    session: () => ({ token: state.token, me: state.me }),
    signOut: (m) => signOut(m),
    normalise,
    idempotencyKey,
  };

  // -- input ------------------------------------------------------------------------------------

  /** The code as the API wants it: GS substitutes turned into GS, the scanner's CR/LF dropped. */
  function normalise(raw) {
    let text = raw.replace(/[\r\n]+$/g, "");
    for (const pattern of GS_SUBSTITUTES) text = text.replace(pattern, GS);
    return text.trim();
  }

  function idempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  }

  // -- offline queue (IndexedDB) ----------------------------------------------------------------
  // A scan or a dispense that could not reach the service is kept, in order, with the
  // Idempotency-Key it was first sent with, and sent again when the connection is back: a
  // dispense whose first answer was lost is then answered from the key instead of acting twice.
  // An entry leaves the queue once the service answered it (whatever the answer).

  const QUEUE_DB = "pt-scanner";
  const QUEUE_STORE = "queue";
  const RETRY_MS = 3000;
  let queueDb = null;
  let replaying = false;

  function openQueue() {
    if (!queueDb) {
      queueDb = new Promise((resolve, reject) => {
        const request = indexedDB.open(QUEUE_DB, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(QUEUE_STORE, { keyPath: "seq", autoIncrement: true });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return queueDb;
  }

  async function queueOp(mode, work) {
    const db = await openQueue();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(QUEUE_STORE, mode);
      const result = work(tx.objectStore(QUEUE_STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }

  const enqueue = (entry) => queueOp("readwrite", (store) => store.add({ ...entry, msp_id: state.me ? state.me.msp_id : "" }));
  const queued = () => queueOp("readonly", (store) => store.getAll());
  const dequeue = (seq) => queueOp("readwrite", (store) => store.delete(seq));

  async function showQueue() {
    const entries = await queued();
    const pending = $("queue-pending");
    pending.textContent = entries.length
      ? `${entries.length} waiting to be sent: they go out when the connection is back.`
      : "";
    pending.hidden = entries.length === 0;
    $("queue").dataset.pending = String(entries.length);
    $("queue").hidden = entries.length === 0 && $("queue-done").children.length === 0;
    return entries.length;
  }

  function queueDone(entry, text, light) {
    const li = document.createElement("li");
    li.className = light || "";
    li.textContent = `${entry.kind === "dispense" ? "Dispense" : "Scan"} of ${entry.code.replace(/\u001d/g, "<GS>")}: ${text}`;
    $("queue-done").prepend(li);
  }

  async function replayQueue() {
    if (replaying || !state.token) return;
    replaying = true;
    try {
      for (const entry of await queued()) {
        if (state.me && entry.msp_id && entry.msp_id !== state.me.msp_id) continue; // another sign-in's
        const path = entry.kind === "dispense" ? "/packs/decommission" : "/verify";
        const body = entry.kind === "dispense" ? { code: entry.code, status: "supplied" } : { code: entry.code };
        let answer;
        try {
          answer = await api("POST", path, body, { "Idempotency-Key": entry.key });
        } catch (_) {
          break; // still offline: keep the rest, in order
        }
        await dequeue(entry.seq);
        if (entry.kind === "dispense") {
          queueDone(entry, answer.ok ? "dispensed." : `refused: ${(answer.data && answer.data.message) || answer.status}`, answer.ok ? "green" : "red");
        } else if (answer.ok) {
          const v = answer.data;
          queueDone(entry, `${WORDS[v.light] || v.light} (${v.result}): ${v.reasons[0] || ""}`, v.light);
        } else {
          queueDone(entry, `refused: ${(answer.data && answer.data.message) || answer.status}`, "amber");
        }
      }
    } finally {
      replaying = false;
      await showQueue();
    }
  }

  function isOffline(error) {
    return error instanceof TypeError; // fetch rejects with a TypeError when nothing answered
  }

  async function api(method, path, body, extraHeaders) {
    const headers = { Authorization: `Bearer ${state.token}`, ...(extraHeaders || {}) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.status === 401) {
      signOut((data && data.message) || "Your token is no longer valid. Sign in again.");
      throw new Error("signed out");
    }
    return { ok: response.ok, status: response.status, data };
  }

  // -- sign in ----------------------------------------------------------------------------------

  function show(signedIn) {
    $("signin").hidden = signedIn;
    $("scanner").hidden = !signedIn;
    $("sign-out").hidden = !signedIn;
    $("who").hidden = !signedIn;
    if (!signedIn) $("verdict").hidden = true;
  }

  function signOut(message) {
    stopCamera();
    state.token = "";
    state.me = null;
    sessionStorage.removeItem(TOKEN_KEY);
    show(false);
    document.dispatchEvent(new CustomEvent("pt:signed-out"));
    const error = $("signin-error");
    error.textContent = message || "";
    error.hidden = !message;
  }

  async function signIn(token) {
    state.token = token.trim();
    let answer;
    try {
      answer = await api("GET", "/me");
    } catch (error) {
      if (error.message !== "signed out") signOut("The service cannot be reached. Try again.");
      return;
    }
    if (!answer.ok) {
      signOut((answer.data && answer.data.message) || `Sign-in refused (${answer.status}).`);
      return;
    }
    state.me = answer.data;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    const org = state.me.organization ? state.me.organization.name : state.me.msp_id;
    $("who").textContent = `${org} (${state.me.role})`;
    $("signin-error").hidden = true;
    $("token").value = "";
    show(true);
    $("code").focus();
    document.dispatchEvent(new CustomEvent("pt:signed-in", { detail: { token: state.token, me: state.me } }));
    showQueue().then(replayQueue).catch(() => {});
  }

  // -- verdict ----------------------------------------------------------------------------------

  function fact(list, term, value) {
    if (value === undefined || value === null || value === "") return;
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }

  function custodyText(custody) {
    if (!custody) return "";
    const mine = `Your organization holds ${custody.yours} pack(s) of this batch.`;
    const others = (custody.holders || [])
      .filter((h) => !state.me || h.msp_id !== state.me.msp_id)
      .map((h) => `${h.name}: ${h.quantity}`);
    return others.length ? `${mine} Holders: ${others.join(", ")}.` : mine;
  }

  function renderVerdict(verdict, started) {
    const section = $("verdict");
    section.className = `verdict ${verdict.light}`;
    section.dataset.light = verdict.light;
    section.dataset.result = verdict.result;
    $("verdict-word").textContent = WORDS[verdict.light] || verdict.light;
    $("verdict-code").textContent = verdict.result;
    const reasons = $("verdict-reasons");
    reasons.replaceChildren(
      ...verdict.reasons.map((reason) => {
        const li = document.createElement("li");
        li.textContent = reason;
        return li;
      }),
    );
    const facts = $("verdict-facts");
    facts.replaceChildren();
    const id = verdict.identifier || {};
    const product = verdict.product;
    const batch = verdict.batch;
    if (product) {
      fact(facts, "Product", [product.name, product.strength, product.form].filter(Boolean).join(", "));
    }
    fact(facts, "GTIN", id.gtin);
    fact(facts, "Batch", batch ? batch.lot : id.lot);
    fact(facts, "Expiry", batch ? batch.expiry : id.expiry);
    fact(facts, "Serial", id.serial);
    fact(facts, "Manufacturer", product ? product.manufacturer : "");
    if (batch && batch.status !== "active") {
      const label = batch.status === "recalled" ? "Recall" : `Batch ${batch.status}`;
      fact(facts, label, batch.status_reason || batch.status);
    }
    if (verdict.pack) {
      const pack = verdict.pack;
      fact(facts, "Pack", `${pack.status} by ${pack.by} at ${pack.at}`);
    }
    fact(facts, "Custody", custodyText(verdict.custody));
    const pharmacy = state.me && state.me.role === "pharmacy";
    $("dispense").hidden = !(pharmacy && verdict.light === "green");
    const mineDispensed =
      verdict.pack && verdict.pack.status === "supplied" && state.me && verdict.pack.by === state.me.msp_id;
    $("undo").hidden = !(pharmacy && mineDispensed);
    $("action-result").textContent = "";
    section.hidden = false;
    if (started !== undefined) {
      const ms = performance.now() - started;
      timings.push(ms);
      section.dataset.ms = ms.toFixed(1);
    }
    section.dataset.seq = String(timings.length);
  }

  function localVerdict(light, result, reason) {
    renderVerdict({ light, result, reasons: [reason], identifier: {} });
  }

  async function verify(raw) {
    const started = performance.now();
    const code = normalise(raw);
    if (!code) {
      localVerdict("amber", "EMPTY", "Nothing was scanned: scan the pack's DataMatrix or type its code.");
      return;
    }
    state.code = code;
    const key = idempotencyKey();
    let answer;
    try {
      answer = await api("POST", "/verify", { code }, { "Idempotency-Key": key });
    } catch (error) {
      if (isOffline(error)) {
        await enqueue({ kind: "verify", code, key, at: new Date().toISOString() });
        await showQueue();
        renderVerdict({
          light: "amber",
          result: "OFFLINE",
          reasons: ["No connection: the scan is queued and will be verified when the connection is back. Do not dispense until then."],
          identifier: {},
        }, started);
      }
      return;
    }
    if (!answer.ok) {
      const message = (answer.data && answer.data.message) || `The service answered ${answer.status}.`;
      const code422 = answer.status === 422 ? "INVALID_CODE" : (answer.data && answer.data.code) || "ERROR";
      renderVerdict({ light: answer.status === 403 ? "red" : "amber", result: code422, reasons: [message], identifier: {} }, started);
      return;
    }
    renderVerdict(answer.data, started);
  }

  async function packAction(path, body, done) {
    const button = path === "/packs/undo" ? $("undo") : $("dispense");
    button.disabled = true;
    const result = $("action-result");
    const key = idempotencyKey();
    try {
      const answer = await api("POST", path, body, { "Idempotency-Key": key });
      if (answer.ok) {
        done();
      } else {
        result.textContent = (answer.data && answer.data.message) || `Refused (${answer.status}).`;
      }
    } catch (error) {
      if (isOffline(error) && path === "/packs/decommission") {
        await enqueue({ kind: "dispense", code: body.code, key, at: new Date().toISOString() });
        await showQueue();
        button.hidden = true;
        $("verdict").dataset.dispensed = "queued";
        result.textContent = "No connection: the dispense is queued and will be sent when the connection is back.";
        $("code").focus();
      } else if (error.message !== "signed out") {
        result.textContent = "The service cannot be reached: nothing was changed.";
      }
    } finally {
      button.disabled = false;
    }
  }

  function dispense() {
    packAction("/packs/decommission", { code: state.code, status: "supplied" }, () => {
      $("dispense").hidden = true;
      $("undo").hidden = false;
      $("verdict").dataset.dispensed = "yes";
      $("action-result").textContent = "Dispensed: the pack is decommissioned. Undo is possible for 10 days.";
      $("code").focus();
    });
  }

  function undo() {
    packAction("/packs/undo", { code: state.code }, () => {
      $("undo").hidden = true;
      $("verdict").dataset.dispensed = "undone";
      $("action-result").textContent = "Dispense undone: the pack is active again.";
      $("code").focus();
    });
  }

  // -- camera -----------------------------------------------------------------------------------

  function decoderReady() {
    if (!camera.ready) {
      if (!window.ZXingWASM) return Promise.reject(new Error("the decoder did not load"));
      camera.ready = window.ZXingWASM.prepareZXingModule({
        overrides: {
          locateFile: (path, prefix) => (path.endsWith(".wasm") ? "/scanner/vendor/zxing_reader.wasm" : prefix + path),
        },
        fireImmediately: true,
      });
    }
    return camera.ready;
  }

  function cameraStatus(text) {
    delete $("camera-status").dataset.hint;
    $("camera-status").textContent = text;
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus("This browser gives no camera here (it needs HTTPS). Use a scanner or type the code.");
      return;
    }
    try {
      await decoderReady();
      camera.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (error) {
      cameraStatus(`The camera cannot be used (${error.message || error.name}). Use a scanner or type the code.`);
      return;
    }
    const video = $("video");
    video.srcObject = camera.stream;
    video.hidden = false;
    await video.play();
    camera.running = true;
    camera.lastCode = "";
    $("camera-start").hidden = true;
    $("camera-stop").hidden = false;
    cameraStatus("Camera on: hold the pack's code in view.");
    scanFrames();
  }

  function stopCamera() {
    camera.running = false;
    if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
    camera.stream = null;
    const video = $("video");
    video.srcObject = null;
    video.hidden = true;
    $("camera-start").hidden = false;
    $("camera-stop").hidden = true;
    $("scan-again").hidden = true;
  }

  function cameraCode(result) {
    // A GS1 DataMatrix reads as ]d2 + the element string (GS between fields), as a wedge sends.
    const symbology = result.symbologyIdentifier || "";
    if (symbology === "]d2" || symbology === "]Q3") return symbology + result.text;
    return result.text;
  }

  /** Said when the camera has seen no readable code for a while: never a silent screen. */
  function cameraHint(results) {
    if (performance.now() - camera.lastRead < NO_CODE_HINT_MS) return;
    const seen = results.find((r) => r.format && r.format !== "None");
    cameraStatus(
      seen
        ? `A ${seen.format} code is in view but cannot be read (damaged, blurred or too small). ` +
            "Hold it closer and steady, or type the code printed on the pack."
        : "No code found yet: hold the code flat and steady, 10–20 cm away, in good light — " +
            "or type the code printed on the pack."
    );
    $("camera-status").dataset.hint = seen ? "unreadable" : "no-code";
  }

  /** A photo of a label (phone camera app or file): decoded here, then verified like a scan. */
  async function readPhoto(file) {
    const started = performance.now();
    let results = [];
    try {
      await decoderReady();
      results = await window.ZXingWASM.readBarcodes(file, {
        formats: CAMERA_FORMATS,
        tryHarder: true,
        maxNumberOfSymbols: 1,
        textMode: "Plain",
      });
    } catch (error) {
      results = [];
    }
    const found = results.find((r) => r.isValid);
    if (found) {
      await verify(cameraCode(found));
      return;
    }
    renderVerdict(
      {
        light: "amber",
        result: "NO_CODE_READ",
        reasons: [
          "No GS1 DataMatrix or QR code could be read from this photo. Take it again closer " +
            "and sharper, or type the code printed on the pack.",
        ],
        identifier: {},
      },
      started
    );
  }

  async function scanFrames() {
    const video = $("video");
    if (!camera.canvas) camera.canvas = document.createElement("canvas");
    const canvas = camera.canvas;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    camera.lastRead = performance.now();
    while (camera.running) {
      if (video.readyState >= 2 && video.videoWidth > 0 && !state.busy) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        let results = [];
        try {
          results = await window.ZXingWASM.readBarcodes(frame, {
            formats: CAMERA_FORMATS,
            tryHarder: true,
            maxNumberOfSymbols: 1,
            textMode: "Plain",
          });
        } catch (error) {
          cameraStatus(`The decoder failed: ${error.message || error}`);
        }
        const found = results.find((r) => r.isValid);
        if (!found) cameraHint(results);
        if (found) {
          camera.lastRead = performance.now();
          const code = cameraCode(found);
          // Re-scan tolerance: the same pack held in view is one scan, until "Scan again".
          if (code !== camera.lastCode) {
            camera.lastCode = code;
            $("scan-again").hidden = false;
            cameraStatus(`Read a ${found.format} code.`);
            state.busy = true;
            try {
              await verify(code);
            } finally {
              state.busy = false;
            }
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
  }

  // -- wiring -----------------------------------------------------------------------------------

  function insertAtCursor(input, text) {
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    input.selectionStart = input.selectionEnd = start + text.length;
  }

  function wire() {
    $("signin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn($("token").value);
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    const input = $("code");
    // A wedge sending GS as a control key arrives as Ctrl+] (ASCII 29): keep it as GS.
    input.addEventListener("keydown", (event) => {
      if (event.ctrlKey && (event.key === "]" || event.code === "BracketRight" || event.key === GS)) {
        event.preventDefault();
        insertAtCursor(input, GS);
      }
    });
    // A wedge types wherever the focus is: a scan arriving while a button has the focus goes to
    // the scan field (its closing Enter must never press Dispense or Undo).
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if ($("scanner").hidden || target === input || target.tagName === "INPUT") return;
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) input.focus();
    }, true);
    $("scan-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const raw = input.value;
      input.value = "";
      await verify(raw);
      input.focus();
    });
    $("dispense").addEventListener("click", dispense);
    $("undo").addEventListener("click", undo);
    $("camera-start").addEventListener("click", startCamera);
    $("photo").addEventListener("change", (event) => {
      const file = event.target.files && event.target.files[0];
      event.target.value = "";
      if (file) readPhoto(file);
    });
    $("camera-stop").addEventListener("click", () => {
      stopCamera();
      cameraStatus("Camera off.");
    });
    $("scan-again").addEventListener("click", () => {
      camera.lastCode = "";
      cameraStatus("Hold the pack's code in view.");
    });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/scanner/sw.js", { scope: "/scanner/" }).catch(() => {});
    }
    window.addEventListener("online", () => replayQueue().catch(() => {}));
    setInterval(() => {
      if ($("queue").dataset.pending && $("queue").dataset.pending !== "0") replayQueue().catch(() => {});
    }, RETRY_MS);
    if (state.token) signIn(state.token);
    else show(false);
  }

  wire();
})();
