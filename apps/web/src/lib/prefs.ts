/**
 * The user's preferences on this device: theme, language, audio devices and
 * processing, voice mode, push-to-talk key, and per-user volumes (kept by
 * user key, so they survive a speaker going silent, leaving and coming back).
 * A small external store: `usePrefs()` re-renders on change.
 */
import { useSyncExternalStore } from 'react';
import { isRecord, readJson, writeJson } from './storage';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type LangChoice = 'auto' | 'en' | 'fr';
export type VoiceModeChoice = 'voice-activity' | 'push-to-talk' | 'open';

export interface Prefs {
  theme: ThemeChoice;
  lang: LangChoice;
  inputDeviceId: string;
  outputDeviceId: string;
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  rnnoise: boolean;
  /** Bits per second; 0 = the server's default. */
  bitrate: number;
  mode: VoiceModeChoice;
  vadThresholdDb: number;
  /** `KeyboardEvent.code` of the push-to-talk key. */
  pttKey: string;
  /** Linear gain by user key (`user:<id>`, `guest:<name>`); absent = 1. */
  volumes: Record<string, number>;
}

export const DEFAULT_PREFS: Prefs = {
  theme: 'system',
  lang: 'auto',
  inputDeviceId: '',
  outputDeviceId: '',
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  rnnoise: false,
  bitrate: 0,
  mode: 'voice-activity',
  vadThresholdDb: -50,
  pttKey: 'Space',
  volumes: {},
};

const KEY = 'parley.prefs';
/** Per-user volumes remembered at most (the oldest set goes first). */
export const MAX_VOLUMES = 500;

/** Keeps the known fields of the right type; anything else takes its default. */
export function sanitizePrefs(v: unknown): Prefs {
  const out: Prefs = { ...DEFAULT_PREFS, volumes: {} };
  if (!isRecord(v)) return out;
  for (const k of Object.keys(DEFAULT_PREFS) as (keyof Prefs)[]) {
    const def = DEFAULT_PREFS[k];
    const got = v[k];
    if (k === 'volumes') continue;
    if (typeof got === typeof def) (out as unknown as Record<string, unknown>)[k] = got;
  }
  if (!['system', 'light', 'dark'].includes(out.theme)) out.theme = 'system';
  if (!['auto', 'en', 'fr'].includes(out.lang)) out.lang = 'auto';
  if (!['voice-activity', 'push-to-talk', 'open'].includes(out.mode)) out.mode = 'voice-activity';
  if (isRecord(v.volumes)) {
    for (const [key, gain] of Object.entries(v.volumes).slice(-MAX_VOLUMES)) {
      if (typeof gain === 'number' && Number.isFinite(gain) && gain >= 0 && gain <= 4)
        out.volumes[key] = gain;
    }
  }
  return out;
}

/** A volume set for a user (1 removes it; the map stays bounded). */
export function withVolume(
  volumes: Record<string, number>,
  key: string,
  gain: number,
): Record<string, number> {
  const next = { ...volumes };
  delete next[key];
  if (gain !== 1) next[key] = gain;
  const keys = Object.keys(next);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_VOLUMES))) delete next[k];
  return next;
}

let current: Prefs | null = null;
const listeners = new Set<() => void>();

export function getPrefs(): Prefs {
  current ??= sanitizePrefs(readJson(localStorage, KEY, isRecord));
  return current;
}

export function setPrefs(patch: Partial<Prefs>): void {
  current = { ...getPrefs(), ...patch };
  writeJson(localStorage, KEY, current);
  for (const fn of listeners) fn();
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function usePrefs(): Prefs {
  return useSyncExternalStore(subscribe, getPrefs);
}
