/** GET /api/v1/info once per page load: may guests join, may anyone register, the default channel. */
import { useEffect, useState } from 'react';
import { api, type ServerInfo } from './api';

let cached: Promise<ServerInfo> | null = null;

export function fetchServerInfo(): Promise<ServerInfo> {
  cached ??= api<ServerInfo>('/info').catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

export function useServerInfo(): { info: ServerInfo | null; error: unknown } {
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    fetchServerInfo().then(
      (i) => live && setInfo(i),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, []);
  return { info, error };
}
