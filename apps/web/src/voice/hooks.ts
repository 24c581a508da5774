/** React hooks over the VoiceSession: its state, the engine, received levels. */
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { VoiceSession } from './session';
import { INITIAL_STATE, type VoiceState } from './state';
import type { AudioEngine } from './audio';

const noop = () => () => undefined;
const initial = () => INITIAL_STATE;

export function useVoiceState(session: VoiceSession | null): VoiceState {
  return useSyncExternalStore(session?.subscribe ?? noop, session?.getState ?? initial);
}

export function useEngine(session: VoiceSession | null): AudioEngine | null {
  const [engine, setEngine] = useState<AudioEngine | null>(session?.audio ?? null);
  useEffect(() => {
    if (session === null) {
      setEngine(null);
      return;
    }
    setEngine(session.audio);
    return session.onEngine(() => setEngine(session.audio));
  }, [session]);
  return engine;
}

/** Received level of a speaker in dBFS, rounded, read 10 times a second (−100 without audio). */
export function useRemoteLevel(engine: AudioEngine | null, ssrc: number): number {
  const [level, setLevel] = useState(-100);
  useEffect(() => {
    if (engine === null) {
      setLevel(-100);
      return;
    }
    const read = () => {
      const db = engine.remoteLevel(ssrc);
      setLevel(Number.isFinite(db) ? Math.max(-100, Math.round(db)) : -100);
    };
    read();
    const timer = setInterval(read, 100);
    return () => clearInterval(timer);
  }, [engine, ssrc]);
  return level;
}

/** The microphone's level and whether it is being sent, from the engine's events. */
export function useInputLevel(engine: AudioEngine | null): { db: number; sending: boolean } {
  const [v, setV] = useState({ db: -100, sending: false });
  useEffect(() => {
    if (engine === null) return;
    let last = 0;
    return engine.onInputLevel((db, sending) => {
      const now = performance.now();
      if (now - last < 50) return; // 20 updates a second are plenty for a meter
      last = now;
      setV({ db, sending });
    });
  }, [engine]);
  return v;
}

/** The level of what is played (the mix), 20 updates a second at most (−100 without audio). */
export function useOutputLevel(engine: AudioEngine | null): number {
  const [db, setDb] = useState(-100);
  useEffect(() => {
    if (engine === null) {
      setDb(-100);
      return;
    }
    let last = 0;
    return engine.onOutputLevel((v) => {
      const now = performance.now();
      if (now - last < 50) return;
      last = now;
      setDb(Number.isFinite(v) ? Math.max(-100, v) : -100);
    });
  }, [engine]);
  return db;
}
