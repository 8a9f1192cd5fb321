/**
 * The POST diagnostic port at I/O port 80h: firmware writes a progress ("checkpoint") code
 * here at each step of its power-on self test, for a POST card to display. Vanderpool
 * records the codes for the host and the debugger (the last one, a count, a bounded history,
 * and an optional listener).
 *
 * The port is the IBM PC AT's manufacturing-test port (IBM PC AT Technical Reference, BIOS
 * listing: "MFG_PORT EQU 80H", written with each POST checkpoint). Reads are not defined
 * by IBM; many chipsets latch the value so that it reads back, and so does Bochs (its
 * "port 0x80" in iodev/unmapped.cc), so a read here returns the last byte written (00h
 * before any write). QEMU instead reads FFh. Only the low byte of a wider write is a code.
 * Operating systems also write this port as an I/O delay (Linux's `outb_p`), hence the
 * bounded history.
 */
import type { IoBus, IoDevice } from '../memory/io-bus';

export const POST_PORT = 0x80;

export class PostPort implements IoDevice {
  /** The last code written (what the port reads). */
  last = 0;
  /** Codes written so far. */
  count = 0;
  private readonly ring: Uint8Array;

  /**
   * @param onCode called with each code written (e.g. to show it on the host)
   * @param historySize how many of the latest codes `history()` keeps
   */
  constructor(
    private readonly onCode: ((code: number) => void) | null = null,
    historySize = 256,
  ) {
    if (!(historySize >= 1)) throw new RangeError(`POST history size ${historySize} must be at least 1`);
    this.ring = new Uint8Array(historySize);
  }

  /** Claim port 80h. */
  attach(bus: IoBus, port = POST_PORT): this {
    bus.register(port, 1, 'POST diagnostic port', this);
    return this;
  }

  /** The latest codes, oldest first (at most `historySize`). */
  history(): number[] {
    const n = Math.min(this.count, this.ring.length);
    const out: number[] = [];
    for (let k = this.count - n; k < this.count; k++) out.push(this.ring[k % this.ring.length]);
    return out;
  }

  in(_port: number, size: 1 | 2 | 4): number {
    return size === 1 ? this.last : size === 2 ? this.last | 0xff00 : (this.last | 0xffffff00) >>> 0;
  }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    const code = value & 0xff;
    this.last = code;
    this.ring[this.count % this.ring.length] = code;
    this.count++;
    this.onCode?.(code);
  }
}
