import { describe, expect, it } from 'vitest';
import { TraceRecorder } from '../../core/trace.js';
import { replayTrace } from './trace-replay.js';

describe('the worklet trace, batch by batch', () => {
  it('takeRaw hands over the events kept (bounded, the rest counted); replayTrace puts them on the wall clock', () => {
    let now = 10;
    const worklet = new TraceRecorder({ maxEvents: 3, now: () => now });
    worklet.mark('arrived', 7, 1);
    now = 12.5;
    worklet.mark('popped', 7, 1);
    worklet.mark('played', 7, 1, 20, 960);
    worklet.mark('played', 7, 2, 40, 1920); // over the bound
    expect(worklet.dropped).toBe(1);
    const batch = worklet.takeRaw()!;
    expect(worklet.takeRaw()).toBeNull();
    worklet.mark('played', 7, 2, 40, 1920); // room again
    expect(worklet.size).toBe(1);
    const page = new TraceRecorder();
    replayTrace(batch, page, (ms) => ms + 1000);
    expect(page.events()).toEqual([
      { ev: 'arrived', ssrc: 7, seq: 1, t: 1010 },
      { ev: 'popped', ssrc: 7, seq: 1, t: 1012.5 },
      { ev: 'played', ssrc: 7, seq: 1, t: 1020, pos: 960 },
    ]);
  });
});
