/**
 * Global setup of the browser tier: rebuilds the playout worklet bundle
 * (packages/client/scripts/bundle-playout.mjs) from the sources, as the
 * tests bundle the SDK from its sources too — a worklet older than the
 * Receiver it carries would test the wrong code. Fast (about a second),
 * and it rewrites the file only when it changed.
 */
import { writePlayoutBundle } from '../../packages/client/scripts/bundle-playout.mjs';

export default async function setup(): Promise<void> {
  await writePlayoutBundle();
}
