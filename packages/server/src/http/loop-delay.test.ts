import { describe, expect, it } from 'vitest';
import { resourceBaseline } from '../../../../test/helpers/leaks.js';
import { LoopDelayMonitor } from './loop-delay.js';

const nextTimer = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('LoopDelayMonitor', () => {
  it('reports the delay beyond the sampling period, per window', async () => {
    const m = new LoopDelayMonitor();
    m.start();
    try {
      expect(m.read()).toEqual({ p50: 0, p99: 0, max: 0 }); // nothing sampled yet
      await nextTimer(50);
      const t = performance.now();
      while (performance.now() - t < 80); // the loop is blocked for 80 ms
      await nextTimer(30); // the sampling timer fires, late
      m.rotate();
      const blocked = m.read();
      // The blocked sample shows ~70 ms beyond its 10 ms period (the bound leaves room for a slow machine).
      expect(blocked.max).toBeGreaterThanOrEqual(60);
      // The window is closed: what happens next does not change the reported figures until the next rotation.
      await nextTimer(30);
      expect(m.read()).toEqual(blocked);
      m.rotate();
      // A new window without the block: its max is far below it.
      expect(m.read().max).toBeLessThan(blocked.max);
    } finally {
      m.stop();
    }
  });

  it("leaves no timer (its window timer is unref'd: tracked) and no histogram running after stop(); start and stop are idempotent", async () => {
    const before = resourceBaseline({ timers: true });
    const m = new LoopDelayMonitor();
    m.start();
    m.start();
    expect(before.timers?.live()).toHaveLength(1);
    await nextTimer(30);
    m.stop();
    m.stop();
    await before.expectNothingLeft('LoopDelayMonitor.stop()');
  });
});
