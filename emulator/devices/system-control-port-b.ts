/**
 * The PC AT's system control port B at I/O port 61h: PIT counter 2's gate and the speaker
 * data bit, and read-back of the refresh-detect toggle and counter 2's output — what
 * firmware and operating systems use for short delays and to calibrate their timers.
 *
 * Follows the IBM Personal Computer AT Technical Reference, System Board, "I/O Address
 * Map" and "Port 61" (write: bit 0 timer 2 gate speaker, bit 1 speaker data, bit 2 enable
 * RAM parity check (active low), bit 3 enable I/O channel check (active low); read: bits
 * 0–3 as written, bit 4 refresh detect, bit 5 timer 2 output, bit 6 I/O channel check,
 * bit 7 RAM parity check).
 *
 * Refresh detect: on the AT, 8254 counter 1 requests a DRAM refresh every 18 input clocks
 * (15.085 µs) and bit 4 toggles with each request. Here it is derived from virtual time the
 * same way — bit 4 = ⌊PIT pulse / 18⌋ mod 2 — whatever counter 1 is programmed to, since
 * this machine has no DRAM to refresh. Parity and channel checks never occur (bits 6 and 7
 * read 0); bits 2 and 3 are stored. There is no sound: the speaker bits are stored only.
 */
import type { Clock } from '../machine/clock';
import type { IoBus, IoDevice } from '../memory/io-bus';
import { pitPulseAt, type Pit8254 } from './pit-8254';

export const SYSTEM_CONTROL_PORT_B = 0x61;
export const PORTB_TIMER2_GATE = 0x01;
export const PORTB_SPEAKER_DATA = 0x02;
export const PORTB_REFRESH_DETECT = 0x10;
export const PORTB_TIMER2_OUT = 0x20;
/** Input clocks of the 8254 between DRAM refresh requests on the AT (counter 1, count 18). */
export const REFRESH_PERIOD_PULSES = 18;

export class SystemControlPortB implements IoDevice {
  /** Bits 0–3 as last written. */
  private value = 0;

  /**
   * @param pit the timer whose counter 2 gate this port drives and whose OUT 2 it reads
   * @param clock virtual time, for the refresh-detect toggle
   */
  constructor(
    private readonly pit: Pit8254,
    private readonly clock: Clock,
  ) {
    this.pit.setGate(2, false);
  }

  /** Claim port 61h. */
  attach(bus: IoBus, port = SYSTEM_CONTROL_PORT_B): this {
    bus.register(port, 1, 'system control port B', this);
    return this;
  }

  /** System reset: bits 0–3 cleared (counter 2 gated off, speaker off, checks enabled). */
  reset(): void {
    this.value = 0;
    this.pit.setGate(2, false);
  }

  in(_port: number, size: 1 | 2 | 4): number {
    const refresh = Math.floor(pitPulseAt(this.clock.now()) / REFRESH_PERIOD_PULSES) & 1 ? PORTB_REFRESH_DETECT : 0;
    const out2 = this.pit.outputLevel(2) ? PORTB_TIMER2_OUT : 0;
    const v = this.value | refresh | out2;
    // One byte register; a wider read sees the open bus above it.
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    this.value = value & 0x0f;
    this.pit.setGate(2, (value & PORTB_TIMER2_GATE) !== 0);
  }
}
