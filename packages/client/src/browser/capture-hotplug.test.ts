/**
 * MicCapture's hot-plug handling (track `ended` → the default microphone;
 * back on `devicechange`), without a browser: fake mediaDevices whose
 * getUserMedia answers when the test says, and fake tracks.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicCapture, type InputChange } from './capture.js';

interface FakeTrack {
  id: string;
  onended: (() => void) | null;
  stopped: boolean;
  stop(): void;
}

function fakes(listed: string[]) {
  const pending: { deviceId: string | undefined; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const tracks: FakeTrack[] = [];
  const listeners = new Set<() => void>();
  const mediaDevices = {
    addEventListener: (_: string, fn: () => void) => listeners.add(fn),
    removeEventListener: (_: string, fn: () => void) => listeners.delete(fn),
    enumerateDevices: () => Promise.resolve(listed.map((deviceId) => ({ kind: 'audioinput', deviceId }))),
    getUserMedia: (c: { audio: { deviceId?: { exact: string } } }) =>
      new Promise((resolve, reject) => {
        const deviceId = c.audio.deviceId?.exact;
        pending.push({
          deviceId,
          reject,
          resolve: () => {
            const t: FakeTrack = {
              id: deviceId ?? 'default',
              onended: null,
              stopped: false,
              stop() {
                this.stopped = true;
              },
            };
            tracks.push(t);
            resolve({ getAudioTracks: () => [t], getTracks: () => [t] });
          },
        });
      }),
  };
  vi.stubGlobal('navigator', { mediaDevices });
  const ctx = { createMediaStreamSource: () => ({ connect: () => undefined, disconnect: () => undefined }) };
  const port = { onmessage: null, postMessage: () => undefined, close: () => undefined };
  const node = { port, disconnect: () => undefined };
  const changes: InputChange[] = [];
  const Ctor = MicCapture as unknown as new (ctx: unknown, node: unknown, opts: object) => MicCapture;
  const open = (deviceId: string | undefined) =>
    new Ctor(ctx, node, {
      onFrame: () => undefined,
      onInputChange: (c: InputChange) => changes.push(c),
      ...(deviceId === undefined ? {} : { inputDeviceId: deviceId }),
    });
  const fire = () => {
    for (const fn of listeners) fn();
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { pending, tracks, changes, open, fire, settle, listed };
}

const acquire = (c: MicCapture) => (c as unknown as { acquire(): Promise<void> }).acquire();
const live = (c: MicCapture) => c.track as unknown as FakeTrack | null;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('MicCapture hot-plug', () => {
  it('no event after close: a close while going back to the chosen microphone', async () => {
    const f = fakes(['usb']);
    const cap = open(f, 'usb');
    const first = acquire(cap);
    f.pending.shift()!.resolve();
    await first;
    // Unplugged: the default stands in.
    live(cap)!.onended!();
    await f.settle();
    f.pending.shift()!.resolve();
    await f.settle();
    expect(f.changes).toEqual([{ state: 'lost', deviceId: 'usb' }]);
    // Plugged back in: the capture asks for it, and is closed before the browser answers.
    f.fire();
    await f.settle();
    expect(f.pending).toHaveLength(1);
    await cap.close();
    f.pending.shift()!.resolve();
    await f.settle();
    expect(f.changes).toEqual([{ state: 'lost', deviceId: 'usb' }]);
    expect(f.tracks.every((t) => t.stopped)).toBe(true);
  });

  it('a microphone chosen while the old one goes away is the one used', async () => {
    const f = fakes(['usb', 'headset']);
    const cap = open(f, 'usb');
    const first = acquire(cap);
    f.pending.shift()!.resolve();
    await first;
    const old = live(cap)!;
    // The user picks the headset; before the browser answers, the USB microphone is unplugged.
    const chosen = cap.setInputDevice('headset');
    old.onended!();
    await f.settle();
    // The browser answers in order: the headset, then whatever was asked for after it.
    expect(f.pending[0]!.deviceId).toBe('headset');
    while (f.pending.length > 0) {
      f.pending.shift()!.resolve();
      await f.settle();
    }
    await chosen;
    expect(live(cap)?.id).toBe('headset');
    // Nothing was lost of what the user chose.
    expect(f.changes).toEqual([]);
    await cap.close();
  });
});

function open(f: ReturnType<typeof fakes>, deviceId: string): MicCapture {
  return f.open(deviceId);
}
