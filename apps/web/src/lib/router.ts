/**
 * A small client-side router: the path is the state, `navigate` pushes a
 * new entry, the Back button works. The server answers index.html for any
 * app path (packages/server/src/http/web.ts), so every route is a real URL.
 */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function emit(): void {
  for (const fn of listeners) fn();
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  if (listeners.size === 1) window.addEventListener('popstate', emit);
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) window.removeEventListener('popstate', emit);
  };
}

/** Goes to `path` (pushes a history entry; `replace` replaces the current one). */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) return;
  if (opts.replace === true) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  emit();
}

/** The current path (without the query string). */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

/** The current query string (`?tab=audio`), for pages whose state lives in the URL. */
export function useSearch(): string {
  return useSyncExternalStore(subscribe, () => location.search);
}
