/**
 * A measuring point for tests and benchmarks, off unless the page defines
 * `globalThis.parleyProbe` before the app starts (Playwright's
 * `addInitScript`). Then the app hands it what the audio engine's own taps
 * see (`@parley/client/browser`), with times on the wall clock
 * (`performance.timeOrigin + performance.now()`, shared by the processes of
 * one machine):
 *
 * - `output`: every frame the call's engine, or the microphone test's
 *   loopback, gives the output (48 kHz mono int16, reused: copy what must
 *   outlive the call);
 * - `input`: every frame the call captures (after RNNoise), and whether it
 *   was sent;
 * - `tracer`: the receiver's per-frame trace (arrived, popped, decoded,
 *   played; core/trace.ts).
 *
 * The app reads nothing back and behaves the same with or without it.
 */
import type { FrameTracer } from '@parley/client';
import type { InputTap, OutputTapInfo } from '@parley/client/browser';

/** Which output a probed frame went to. */
export type ProbeSource = 'call' | 'mic-test';

export interface AudioProbe {
  output?: (source: ProbeSource, frame: Int16Array, info: OutputTapInfo) => void;
  input?: InputTap;
  tracer?: FrameTracer;
}

/** The page's probe, or null (the normal case). */
export function audioProbe(): AudioProbe | null {
  const p = (globalThis as { parleyProbe?: unknown }).parleyProbe;
  return typeof p === 'object' && p !== null ? p : null;
}

/** What the probe needs from an engine: its taps (each returns its unsubscribe). */
export interface Tappable {
  tapOutput(fn: (frame: Int16Array, info: OutputTapInfo) => void): () => void;
  tapInput?(fn: InputTap): () => void;
}

/** Subscribes the page's probe, when there is one, to `engine`'s taps (released when the engine closes). */
export function attachProbe(source: ProbeSource, engine: Tappable): void {
  const p = audioProbe();
  const output = p?.output;
  if (typeof output === 'function') engine.tapOutput((frame, info) => output(source, frame, info));
  if (typeof p?.input === 'function' && engine.tapInput !== undefined) engine.tapInput(p.input);
}
