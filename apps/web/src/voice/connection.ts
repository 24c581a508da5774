/**
 * The tab's current VoiceSession, shared by every page (the call goes on
 * while you look at the settings or the admin pages).
 */
import { useSyncExternalStore } from 'react';
import { VoiceSession, type Identity } from './session';

let current: VoiceSession | null = null;
const listeners = new Set<() => void>();

function emit(): void {
  for (const fn of listeners) fn();
}

/** Connects as `identity` and enters the default channel; replaces any previous session. */
export async function connect(identity: Identity, defaultChannel: string): Promise<VoiceSession> {
  disconnect();
  const session = new VoiceSession(identity, defaultChannel);
  current = session;
  emit();
  try {
    await session.start();
  } catch (err) {
    session.close();
    if (current === session) {
      current = null;
      emit();
    }
    throw err;
  }
  return session;
}

/** Leaves the server (goodbye) and forgets the session. */
export function disconnect(): void {
  const s = current;
  current = null;
  s?.close();
  if (s !== null) emit();
}

export function getSession(): VoiceSession | null {
  return current;
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useSession(): VoiceSession | null {
  return useSyncExternalStore(subscribe, getSession);
}
