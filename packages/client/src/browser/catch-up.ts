/**
 * How many mixed frames the playback drops to stay on time (pure; see
 * Playback). `debt`: silence the output played while the main thread was
 * late, not caught up yet (samples); `excess`: whole frames every playing
 * jitter buffer holds beyond its target (Receiver.excessFrames).
 *
 * - With a debt of at least a frame: drop as many frames as it covers, but
 *   never more than the excess (no jitter buffer is starved). What the
 *   excess cannot cover is forgiven (the jitter buffer shrinks by itself).
 * - Without: one frame while two or more are in excess — the output's
 *   clock runs slower than the sender's, and the buffers fill up.
 */
export function catchUpDrops(debt: number, frame: number, excess: number): { drops: number; debt: number } {
  const owed = Math.floor(debt / frame);
  if (owed === 0) return { drops: excess >= 2 ? 1 : 0, debt };
  const drops = Math.min(owed, Math.max(0, excess));
  return { drops, debt: drops < owed ? 0 : debt - drops * frame };
}
