import { describe, expect, it } from 'vitest';
import { TraceRecorder } from '../../core/trace.js';
import { replayTrace, TraceBatch } from './trace-batch.js';

describe('TraceBatch', () => {
  it('keeps at most `max` events a batch (the rest counted), and replays them on the wall clock', () => {
    let now = 10;
    const b = new TraceBatch(3, () => now);
    b.mark('arrived', 7, 1);
    now = 12.5;
    b.mark('popped', 7, 1);
    b.mark('played', 7, 1, 20, 960);
    b.mark('played', 7, 2, 40, 1920); // over the bound
    expect(b.dropped).toBe(1);
    const batch = b.take()!;
    expect(b.take()).toBeNull();
    const rec = new TraceRecorder();
    replayTrace(batch, rec, (ms) => ms + 1000);
    expect(rec.events()).toEqual([
      { ev: 'arrived', ssrc: 7, seq: 1, t: 1010 },
      { ev: 'popped', ssrc: 7, seq: 1, t: 1012.5 },
      { ev: 'played', ssrc: 7, seq: 1, t: 1020, pos: 960 },
    ]);
  });
});
