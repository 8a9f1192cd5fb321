/**
 * The Bochs debug console at I/O port 0xE9 ("port E9 hack"): every byte written is
 * console output; a read returns 0xE9 so a guest can detect the port.
 *
 * @see Bochs User Manual §5.3 "Debug messages / port 0xE9 hack" (bochsrc `port_e9_hack`);
 *      QEMU implements the same device as `-device isa-debugcon,iobase=0xe9`.
 */
import type { IoBus, IoDevice } from '../memory/io-bus';

export const DEBUG_CONSOLE_PORT = 0xe9;

export class DebugConsole implements IoDevice {
  /** Bytes written so far. */
  private readonly bytes: number[] = [];

  /** @param sink receives each byte written by the guest (e.g. to the host console) */
  constructor(private readonly sink?: (byte: number) => void) {}

  /** Claim port 0xE9 on `bus`. */
  attach(bus: IoBus): this {
    bus.register(DEBUG_CONSOLE_PORT, 1, 'debug console (port E9)', this);
    return this;
  }

  in(): number {
    return DEBUG_CONSOLE_PORT;
  }

  out(_port: number, size: 1 | 2 | 4, value: number): void {
    // A word or dword OUT to 0xE9 outputs its low byte, as Bochs does.
    void size;
    const byte = value & 0xff;
    this.bytes.push(byte);
    this.sink?.(byte);
  }

  /** Everything written so far, decoded as Latin-1 text. */
  text(): string {
    return String.fromCharCode(...this.bytes);
  }
}
