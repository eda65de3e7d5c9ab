// Service worker of the scanner app: keeps the app shell (page, script, style, decoder) so the
// page opens without a network. Shell files: network first (a deploy shows up at once), the
// cached copy when offline. API calls are never cached: a verdict is always fresh.
"use strict";

const CACHE = "pt-scanner-shell-v1";
const SHELL = [
  "/scanner/",
  "/scanner/app.js",
  "/scanner/warehouse.js",
  "/scanner/notifications.js",
  "/scanner/app.css",
  "/scanner/manifest.webmanifest",
  "/scanner/icon.svg",
  "/scanner/vendor/zxing-reader.js",
  "/scanner/vendor/zxing_reader.wasm",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
    return; // the browser's own handling: API calls go to the network
  }
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((cached) => cached || Response.error())),
  );
});
