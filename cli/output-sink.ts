/**
 * Destinations for the guest's byte streams (COM1, the port-E9 debug console, the BIOS's
 * screen output) and for text such as the trace: standard output, standard error, a file,
 * or nowhere. Bytes are buffered and written in blocks; the run loop flushes at the end of
 * every slice and before Vanderpool prints anything itself. Every stream sent to standard
 * output shares one sink, and every stream sent to standard error another, so that the
 * trace, the debug console and the screen output keep their order when they share one.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from './usage-error';

const BUFFER_BYTES = 64 * 1024;

export class OutputSink {
  /** The shared sinks of the standard streams (created on first use). */
  private static stdout: OutputSink | null = null;
  private static stderr: OutputSink | null = null;

  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private used = 0;
  private closed = false;
  /** The last byte emitted (-1 before the first). */
  private lastByte = -1;

  /**
   * @param target 'stdout', 'stderr', a file descriptor this sink owns, or null (discard)
   * @param label how messages name the destination
   */
  private constructor(
    private readonly target: 'stdout' | 'stderr' | number | null,
    readonly label: string,
  ) {}

  /**
   * Open a destination named on the command line: `stdio` (standard output), `stderr`,
   * `none`, or a file name (created or truncated).
   * @param option the option it came from, for messages (`--serial`)
   * @throws UsageError when the file cannot be opened for writing
   */
  static open(dest: string, option: string): OutputSink {
    if (dest === 'stdio' || dest === 'stdout' || dest === '-') return (OutputSink.stdout ??= new OutputSink('stdout', 'standard output'));
    if (dest === 'stderr') return (OutputSink.stderr ??= new OutputSink('stderr', 'standard error'));
    if (dest === 'none') return new OutputSink(null, 'nowhere');
    try {
      return new OutputSink(openSync(dest, 'w'), dest);
    } catch (err) {
      throw new UsageError(`${option} ${dest}: cannot open for writing: ${(err as Error).message}`);
    }
  }

  /** Whether bytes go anywhere. */
  get discards(): boolean {
    return this.target === null;
  }

  /** Whether this sink writes to standard error (the trace and progress line must then share it politely). */
  get isStderr(): boolean {
    return this.target === 'stderr';
  }

  /**
   * Whether the last byte written to a standard stream ended a line (or nothing was
   * written): a progress line drawn now would not erase half a line of the guest's output.
   */
  get atLineStart(): boolean {
    return this.target === null || typeof this.target === 'number' || this.lastByte === -1 || this.lastByte === 0x0a;
  }

  /** Whether bytes wait in the buffer. */
  get pending(): boolean {
    return this.used > 0;
  }

  /** Append one byte (0–255). */
  writeByte(byte: number): void {
    if (this.target === null) return;
    if (this.used === BUFFER_BYTES) this.flush();
    this.buffer[this.used++] = byte;
  }

  /** Append text (UTF-8). */
  writeText(text: string): void {
    if (this.target === null) return;
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > BUFFER_BYTES - this.used) this.flush();
    if (bytes.length > BUFFER_BYTES) {
      this.emit(bytes);
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Write out what is buffered. */
  flush(): void {
    if (this.used === 0) return;
    const bytes = Buffer.from(this.buffer.subarray(0, this.used));
    this.used = 0;
    this.emit(bytes);
  }

  /** Flush, and close the file if the sink owns one (the standard streams stay open). */
  close(): void {
    this.flush();
    if (typeof this.target === 'number' && !this.closed) {
      this.closed = true;
      closeSync(this.target);
    }
  }

  private emit(bytes: Buffer): void {
    const t = this.target;
    if (bytes.length > 0) this.lastByte = bytes[bytes.length - 1];
    if (t === 'stdout') process.stdout.write(bytes);
    else if (t === 'stderr') process.stderr.write(bytes);
    else if (t !== null) {
      let off = 0;
      while (off < bytes.length) off += writeSync(t, bytes, off);
    }
  }
}
