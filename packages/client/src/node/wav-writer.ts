/**
 * Streams a mono 16-bit WAV file to disk: a header with "length unknown"
 * sizes first, samples appended as they come, the RIFF and data sizes
 * written at close. Memory stays flat whatever the length: only writes not
 * yet on disk are held, and they are bounded.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { MAX_WAV_SAMPLES, WAV_HEADER_BYTES, putInt16LE, wavHeader } from '../audio/wav.js';

export interface WavFileWriterOptions {
  /** Samples accepted at most (default MAX_WAV_SAMPLES, what the 32-bit sizes hold). */
  maxSamples?: number;
  /** Bytes waiting for the disk at most before `write` fails (default 8 MiB, ≈ 87 s at 48 kHz). */
  maxPendingBytes?: number;
}

export class WavFileWriter {
  /** Samples accepted so far. */
  samplesWritten = 0;
  private position = WAV_HEADER_BYTES;
  private pending: Promise<void> = Promise.resolve();
  private pendingBytes = 0;
  private failed: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly fh: FileHandle,
    private readonly sampleRate: number,
    private readonly maxSamples: number,
    private readonly maxPendingBytes: number,
  ) {}

  /** Creates (or truncates) `path` and writes the header. */
  static async open(
    path: string,
    sampleRate: number,
    opts: WavFileWriterOptions = {},
  ): Promise<WavFileWriter> {
    const fh = await open(path, 'w');
    try {
      await fh.write(wavHeader(0xffffffff, sampleRate), 0, WAV_HEADER_BYTES, 0);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new WavFileWriter(
      fh,
      sampleRate,
      Math.min(opts.maxSamples ?? MAX_WAV_SAMPLES, MAX_WAV_SAMPLES),
      opts.maxPendingBytes ?? 8 * 1024 * 1024,
    );
  }

  /**
   * Appends samples (copied: the caller may reuse its array). Throws when
   * closed, past `maxSamples` (RangeError), when an earlier write failed,
   * or when more than `maxPendingBytes` wait for the disk.
   */
  write(samples: Int16Array): void {
    if (this.closing !== undefined) throw new Error('WAV writer is closed');
    if (this.failed !== undefined) throw this.failed;
    if (this.samplesWritten + samples.length > this.maxSamples)
      throw new RangeError(`a WAV file holds at most ${this.maxSamples} samples`);
    const bytes = new Uint8Array(samples.length * 2);
    if (this.pendingBytes + bytes.length > this.maxPendingBytes)
      throw new Error(`the disk is not keeping up: ${this.pendingBytes} bytes waiting`);
    putInt16LE(samples, bytes, 0);
    const at = this.position;
    this.position += bytes.length;
    this.samplesWritten += samples.length;
    this.pendingBytes += bytes.length;
    this.pending = this.pending.then(async () => {
      try {
        if (this.failed === undefined) await this.fh.write(bytes, 0, bytes.length, at);
      } catch (err) {
        this.failed = err instanceof Error ? err : new Error(String(err));
      } finally {
        this.pendingBytes -= bytes.length;
      }
    });
  }

  /** Waits for the writes, writes the sizes and closes the file; idempotent. Rejects if a write failed. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    await this.pending;
    try {
      if (this.failed === undefined)
        await this.fh.write(wavHeader(this.samplesWritten * 2, this.sampleRate), 0, WAV_HEADER_BYTES, 0);
    } finally {
      await this.fh.close();
    }
    if (this.failed !== undefined) throw this.failed;
  }
}
