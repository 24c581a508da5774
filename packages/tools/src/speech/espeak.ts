/**
 * Speech to test with: espeak-ng (a system package, `apt-get install
 * espeak-ng`) says a text, deterministically for a given text, voice, rate
 * and espeak-ng version; the result is resampled to 48 kHz mono and
 * normalized to a peak level.
 */
import { execFileSync } from 'node:child_process';
import { SAMPLE_RATE } from '@parley/protocol';
import { floatToInt16, parseWav, resampleTo48k } from '@parley/client';

export interface EspeakOptions {
  /** espeak-ng voice (default `en-us`). */
  voice?: string;
  /** Words per minute (default 150). */
  wordsPerMinute?: number;
  /** Peak level, dBFS (default −3). */
  peakDbfs?: number;
}

/** `text` spoken by espeak-ng as 48 kHz mono 16-bit samples. Throws when espeak-ng is missing or fails. */
export function espeakSpeech(text: string, opts: EspeakOptions = {}): Int16Array {
  let wav: Buffer;
  try {
    wav = execFileSync(
      'espeak-ng',
      ['-v', opts.voice ?? 'en-us', '-s', String(opts.wordsPerMinute ?? 150), '--stdout', text],
      { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
    );
  } catch (err) {
    throw new Error(`espeak-ng failed (is it installed? apt-get install espeak-ng): ${String(err)}`, {
      cause: err,
    });
  }
  const parsed = parseWav(wav);
  if (!parsed.ok) throw new Error(`espeak-ng gave no WAV: ${parsed.reason}`);
  const audio = resampleTo48k(parsed.value.samples, parsed.value.sampleRate, SAMPLE_RATE);
  let peak = 0;
  for (const s of audio) peak = Math.max(peak, Math.abs(s));
  if (peak > 0) {
    const gain = Math.pow(10, (opts.peakDbfs ?? -3) / 20) / peak;
    for (let i = 0; i < audio.length; i++) audio[i] = audio[i]! * gain;
  }
  return floatToInt16(audio);
}
