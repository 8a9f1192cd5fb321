/**
 * The progress line of a long `vanderpool run` on a terminal: instructions so far, host
 * time and speed, redrawn in place on stderr at most four times a second after the first
 * second. It is shown only when stderr is a terminal (never when it is a pipe or a file,
 * so never in tests), not under CI (`CI` set), and not with `--no-progress`.
 */

const FIRST_DRAW_MS = 1000;
const REDRAW_MS = 250;

export class ProgressLine {
  private shown = false;
  private lastDraw = 0;
  private readonly start = performance.now();

  /**
   * @param enabled whether to draw at all (see `progressWanted`)
   * @param write raw text to stderr
   */
  constructor(
    private readonly enabled: boolean,
    private readonly write: (text: string) => void,
  ) {}

  /**
   * Redraw if it is time, or at once when the line was erased for other output.
   * @param canDraw false while the terminal's last line is unfinished guest output
   */
  update(instructions: number, canDraw = true): void {
    if (!this.enabled || !canDraw) return;
    const now = performance.now();
    if (now - this.start < FIRST_DRAW_MS || (this.shown && now - this.lastDraw < REDRAW_MS)) return;
    this.lastDraw = now;
    const seconds = (now - this.start) / 1000;
    const mips = instructions / seconds / 1e6;
    this.write(`\r\x1b[2Kvanderpool: ${instructions.toLocaleString('en-US')} instructions, ${seconds.toFixed(1)} s, ${mips.toFixed(1)} MIPS (Ctrl-C stops)`);
    this.shown = true;
  }

  /** Erase the line (before other output, and at the end); `update` draws it again. */
  clear(): void {
    if (!this.shown) return;
    this.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** Whether a progress line may be drawn: stderr is a terminal, not under CI, not turned off. */
export function progressWanted(requested: boolean): boolean {
  return requested && process.stderr.isTTY === true && !process.env.CI;
}
