/** Types of bundle-playout.mjs, for the TypeScript that calls it (the browser tests' global setup). */
export const ENTRY: string;
export const OUT: string;
export function bundlePlayoutSource(): Promise<string>;
export function writePlayoutBundle(): Promise<{ bytes: number; changed: boolean }>;
