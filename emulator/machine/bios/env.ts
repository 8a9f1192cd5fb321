/**
 * What the built-in BIOS services need from the machine they run in.
 */
import type { Cpu } from '../../cpu/cpu';
import type { IoBus } from '../../memory/io-bus';
import type { DiskImage } from '../disk';
import type { RealMemory } from './call';

export interface BiosEnv {
  readonly cpu: Cpu;
  /** The port bus: services drive the machine's devices (PIC, PIT, CMOS, UART) through it, as a BIOS does. */
  readonly io: IoBus;
  readonly mem: RealMemory;
  /** The boot disk, or null. */
  readonly disk: DiskImage | null;
  /** RAM size in bytes. */
  readonly ramBytes: number;
  /** The screen as the host shows it: every character INT 10h writes as teletype output. */
  video(byte: number): void;
  /** A20 gate state, and changing it (INT 15h AH=24h). */
  a20(): boolean;
  setA20(enabled: boolean): void;
  /** The machine's reset line (a jump to the reset vector is a warm boot). */
  requestReset(): void;
  /** INT 19h: load and enter the boot program again (the machine's boot step, without a reset). */
  bootstrap(): void;
}
