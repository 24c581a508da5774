/**
 * Which web pages may open the WebSocket (`/ws`): a browser always sends
 * `Origin` with a WebSocket handshake and lets any page open one to any
 * server (CORS does not apply to WebSockets), so without this check any web
 * page could join a server on the visitor's machine or network. Allowed:
 * no `Origin` at all (not a browser: the Node SDK, the CLI), the server's
 * own origin (same host and port as the request's `Host`), and the origins
 * of `http.cors.origins` (or any, with `*`).
 */

/** Whether a WebSocket handshake with this `Origin` and `Host` may proceed. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  if (host === undefined) return false;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === host.toLowerCase();
  } catch {
    return false; // "null" (a sandboxed frame, a file: page) or garbage
  }
}
