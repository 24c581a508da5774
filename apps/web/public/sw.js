// Parley's service worker: the app shell (index.html and the hashed build
// assets) for a fast start and an offline page; never the API, the
// WebSocket, the API docs, metrics or any media: those always go to the
// network. Hashed assets (/assets/…) never change, so they are served from
// the cache first; pages go to the network first and fall back to the
// cached shell when offline.
const CACHE = 'parley-shell-v1';
const SHELL = ['/', '/manifest.webmanifest', '/icon.svg', '/icon-192.png'];
const NEVER = ['/api/', '/ws', '/docs', '/metrics'];
/** Cached responses at most: each build adds its hashed assets, the oldest go first. */
const MAX_ENTRIES = 64;

async function trim(cache) {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) await cache.delete(key);
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (NEVER.some((p) => url.pathname === p || url.pathname.startsWith(p))) return;
  if (req.mode === 'navigate') {
    event.respondWith(
      fetch(req).then(
        (res) => {
          if (res.ok) {
            const copy = res.clone();
            void caches.open(CACHE).then((cache) => cache.put('/', copy));
          }
          return res;
        },
        () => caches.match('/').then((hit) => hit ?? Response.error()),
      ),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(
      caches.match(req).then(
        (hit) =>
          hit ??
          fetch(req).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              void caches.open(CACHE).then((cache) => cache.put(req, copy).then(() => trim(cache)));
            }
            return res;
          }),
      ),
    );
  }
});
