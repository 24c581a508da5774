import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeResources, listenerTotal, openFiles, resourceBaseline, trackTimers } from './leaks.js';

describe('leak checks', () => {
  it('see a timer left running, and pass once it is cleared', async () => {
    const before = resourceBaseline();
    const timer = setInterval(() => undefined, 1000);
    expect(activeResources().get('Timeout')).toBeGreaterThanOrEqual(1);
    await expect(before.expectNothingLeft('the interval', 60)).rejects.toThrow(
      /timed out after 60 ms waiting for the interval to release everything \(left: 1 × Timeout\)/,
    );
    clearInterval(timer);
    await before.expectNothingLeft('the interval');
  });

  it("with { timers: true }, see an unref'd timer too, named with where it was made", async () => {
    const timeouts = activeResources().get('Timeout') ?? 0;
    const before = resourceBaseline({ timers: true });
    const timer = setInterval(() => undefined, 1000).unref();
    const fired = new Promise((r) => setTimeout(r, 1).unref());
    expect(activeResources().get('Timeout') ?? 0).toBe(timeouts); // invisible to handles
    await fired; // a timeout that fired is spent
    expect(before.timers?.live()).toEqual([
      { kind: 'setInterval', ms: 1000, ref: false, at: expect.stringContaining('leaks.test.ts') as string },
    ]);
    await expect(before.expectNothingLeft('the interval', 30)).rejects.toThrow(
      /\(left: setInterval\(1000 ms, unref'd\) from .*leaks\.test\.ts/,
    );
    clearInterval(timer);
    expect(before.timers?.live()).toEqual([]);
    // The check put the global functions back.
    const tracker = trackTimers();
    const t = setTimeout(() => undefined, 5);
    expect(tracker.live()).toHaveLength(1);
    clearTimeout(t);
    expect(tracker.live()).toHaveLength(0);
    tracker.restore();
    tracker.restore(); // idempotent
    setTimeout(() => undefined, 0);
    expect(tracker.live()).toHaveLength(0); // no longer tracking
  });

  it('with { files: true }, see a file left open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-leaks-'));
    try {
      const file = join(dir, 'x');
      const before = resourceBaseline({ files: true });
      const fh = await open(file, 'w');
      expect(openFiles().get(file)).toBe(1);
      await expect(before.expectNothingLeft('the file', 30)).rejects.toThrow(
        new RegExp(`\\(left: 1 × open file ${file}\\)`),
      );
      await fh.close();
      await before.expectNothingLeft('the file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('count the listeners an emitter still holds', () => {
    const e = new EventEmitter();
    const fn = (): void => undefined;
    e.on('a', fn).on('b', fn).on('b', fn);
    expect(listenerTotal(e)).toBe(3);
    e.removeAllListeners();
    expect(listenerTotal(e)).toBe(0);
  });
});
