// The 8254 against the Intel 8254 data sheet (order 231164): control words, access modes,
// counter latch and read-back, modes 0-5 with their OUT waveforms and GATE rules, count 0,
// reprogramming, and IRQ 0 timing in virtual nanoseconds from a fake Clock.
import { beforeEach, describe, expect, it } from 'vitest';
import { Pit8254, pitPulseAt, pitPulseTime } from '../../../emulator/devices/pit-8254';
import type { Clock } from '../../../emulator/machine/clock';
import { IoBus } from '../../../emulator/memory/io-bus';
import { FakeClock } from './fake-clock';

/** Time of input clock pulse k, computed exactly: ceil(k * 1e9 / 1193182) ns. */
const T = (k: number): number => Number((BigInt(k) * 1_000_000_000n + 1_193_181n) / 1_193_182n);

let clock: FakeClock;
let io: IoBus;
let pit: Pit8254;
/** IRQ 0 changes as [time ns, level]. */
let irq: [number, boolean][];

const out = (port: number, v: number): void => io.out(port, 1, v);
const inb = (port: number): number => io.in(port, 1);
const at = (pulse: number): void => clock.advanceTo(T(pulse));
/** Program counter `n`: control word then the count in the access mode's bytes. */
function program(n: number, control: number, count?: number): void {
  out(0x43, (n << 6) | control);
  if (count === undefined) return;
  const access = (control >> 4) & 3;
  if (access === 1 || access === 3) out(0x40 + n, count & 0xff);
  if (access === 2 || access === 3) out(0x40 + n, (count >> 8) & 0xff);
}
/** Counter latch command, then the two bytes (counter in LSB-then-MSB access). */
function latched(n: number): number {
  out(0x43, n << 6);
  const lo = inb(0x40 + n);
  return lo | (inb(0x40 + n) << 8);
}
/** Read-back of counter n's status byte. */
function status(n: number): number {
  out(0x43, 0xe0 | (2 << n));
  return inb(0x40 + n);
}
/** Rising edges of IRQ 0 at or after `from` ns. */
const rises = (from = 0): number[] => irq.filter(([t, l]) => l && t >= from).map(([t]) => t);

beforeEach(() => {
  clock = new FakeClock();
  io = new IoBus();
  irq = [];
  pit = new Pit8254(clock, { setIrq: (n, level) => (expect(n).toBe(0), irq.push([clock.now(), level])) }).attach(io);
});

describe('virtual time to input clock pulses', () => {
  it('numbers pulses from 0 ns at 1.193182 MHz and inverts exactly', () => {
    expect(pitPulseAt(0)).toBe(0);
    expect(pitPulseAt(838)).toBe(0);
    expect(pitPulseAt(839)).toBe(1);
    expect(pitPulseTime(1)).toBe(839);
    expect(pitPulseTime(1193182)).toBe(1e9);
    expect(pitPulseAt(1e9 - 1)).toBe(1193181);
    for (const k of [2, 1193, 65536, 1193183, 4_295_000_000, 1193182 * 3600 * 24 + 12345]) {
      const ns = Number((BigInt(k) * 1_000_000_000n + 1_193_181n) / 1_193_182n);
      expect(pitPulseTime(k)).toBe(ns);
      expect(pitPulseAt(ns)).toBe(k);
      expect(pitPulseAt(ns - 1)).toBe(k - 1);
    }
  });
});

describe('power-on state and control words', () => {
  it('starts with OUT high and no count (IRQ 0 driven high once, nothing scheduled)', () => {
    expect(irq).toEqual([[0, true]]);
    expect(clock.pendingCount).toBe(0);
    expect(status(0)).toBe(0x80 | 0x40 | 0x36);
  });

  it('sets OUT to the mode\'s initial state as soon as the control word is written', () => {
    clock.advanceTo(500);
    program(0, 0x30); // mode 0: OUT low
    expect(irq.at(-1)).toEqual([500, false]);
    program(0, 0x34); // mode 2: OUT high
    expect(irq.at(-1)).toEqual([500, true]);
    program(0, 0x32); // mode 1: OUT high (no change)
    expect(irq.length).toBe(3);
  });

  it('reads 0xFF from the control word port', () => {
    expect(inb(0x43)).toBe(0xff);
  });

  it('takes modes 6 and 7 as 2 and 3 and reports the bits as written', () => {
    program(1, 0x3c, 4); // M = 110
    at(2);
    expect(status(1) & 0x3f).toBe(0x3c);
    expect(latched(1)).toBe(3); // counts like mode 2: 4 at pulse 1, 3 at pulse 2
  });
});

describe('mode 0: interrupt on terminal count', () => {
  it('raises OUT (IRQ 0) N+1 pulses after the count is written and keeps counting past 0', () => {
    program(0, 0x30, 100);
    expect(irq.at(-1)).toEqual([0, false]);
    at(1);
    expect(latched(0)).toBe(100); // loaded on the first pulse, not decremented
    at(51);
    expect(latched(0)).toBe(50);
    clock.advanceTo(T(101) - 1);
    expect(rises(1)).toEqual([]);
    at(101);
    expect(rises(1)).toEqual([T(101)]);
    at(106);
    expect(latched(0)).toBe(0xfffb); // wraps and continues
    expect(clock.pendingCount).toBe(0); // OUT stays high: nothing more to schedule
    expect(pit.outputLevel(0)).toBe(true);
  });

  it('counts 0 as 65536', () => {
    program(0, 0x30, 0);
    at(1);
    expect(latched(0)).toBe(0);
    at(2);
    expect(latched(0)).toBe(0xffff);
    at(65536);
    expect(rises(1)).toEqual([]);
    at(65537);
    expect(rises(1)).toEqual([T(65537)]);
  });

  it('stops on the first byte of a new count (OUT low at once) and restarts from the new count', () => {
    program(0, 0x30, 10);
    at(20); // terminal count at pulse 11
    expect(pit.outputLevel(0)).toBe(true);
    const frozen = latched(0);
    out(0x40, 5); // LSB: counting disabled, OUT low
    expect(irq.at(-1)).toEqual([T(20), false]);
    at(30);
    expect(latched(0)).toBe(frozen);
    out(0x40, 0); // MSB: count 5 loaded on pulse 31
    at(31);
    expect(latched(0)).toBe(5);
    at(36);
    expect(rises(T(21))).toEqual([T(36)]);
  });

  it('suspends counting while GATE is low without touching OUT', () => {
    program(2, 0xb0, 10);
    at(4);
    expect(latched(2)).toBe(7);
    pit.setGate(2, false);
    at(100);
    expect(latched(2)).toBe(7);
    expect(pit.outputLevel(2)).toBe(false);
    pit.setGate(2, true);
    at(107);
    expect(pit.outputLevel(2)).toBe(true);
    expect(latched(2)).toBe(0);
    pit.setGate(2, false);
    at(200);
    expect(pit.outputLevel(2)).toBe(true);
  });
});

describe('mode 2: rate generator', () => {
  it('pulses OUT low for one clock every N pulses, IRQ 0 rising at the end of each period', () => {
    program(0, 0x34, 10);
    at(9);
    expect(latched(0)).toBe(2);
    at(10);
    expect(latched(0)).toBe(1);
    expect(irq.at(-1)).toEqual([T(10), false]); // low N pulses after the write
    at(11);
    expect(latched(0)).toBe(10); // reloaded
    at(45);
    expect(rises(1)).toEqual([T(11), T(21), T(31), T(41)]);
    expect(irq.filter(([, l]) => !l).map(([t]) => t)).toEqual([T(10), T(20), T(30), T(40)]);
  });

  it('keeps the current period when a new count is written, and uses it from the next one', () => {
    program(0, 0x34, 10);
    at(14); // period 2 runs from pulse 11 to 20
    out(0x40, 4);
    out(0x40, 0);
    expect(status(0) & 0x40).toBe(0x40); // null count until the reload
    at(20);
    expect(latched(0)).toBe(1);
    at(21);
    expect(latched(0)).toBe(4);
    expect(status(0) & 0x40).toBe(0);
    at(40);
    expect(rises(1)).toEqual([T(11), T(21), T(25), T(29), T(33), T(37)]);
  });

  it('keeps OUT high and stops counting while GATE is low; a rising GATE reloads on the next pulse', () => {
    const outs: [number, boolean][] = [];
    pit.onOutputChange(2, (l) => outs.push([clock.now(), l]));
    program(2, 0xb4, 10);
    at(10);
    expect(pit.outputLevel(2)).toBe(false);
    clock.advanceTo(T(10) + 100);
    pit.setGate(2, false);
    expect(pit.outputLevel(2)).toBe(true); // forced high at once
    expect(outs).toEqual([
      [T(10), false],
      [T(10) + 100, true],
    ]);
    at(50);
    expect(latched(2)).toBe(1);
    pit.setGate(2, true);
    at(51);
    expect(latched(2)).toBe(10);
    at(60);
    expect(outs.at(-1)).toEqual([T(60), false]);
    expect(irq).toEqual([[0, true]]); // counter 2 is not IRQ 0
  });

  it('counts 0 as 65536: one IRQ 0 every 65536 pulses (18.2 Hz)', () => {
    program(0, 0x34, 0);
    at(1);
    expect(latched(0)).toBe(0);
    at(2);
    expect(latched(0)).toBe(0xffff);
    at(3 * 65536 + 10);
    expect(rises(1)).toEqual([T(65537), T(2 * 65536 + 1), T(3 * 65536 + 1)]);
  });

  it('stops and holds OUT high when a new control word arrives mid-count, until a count is written', () => {
    program(0, 0x34, 10);
    at(15);
    program(0, 0x34);
    at(100);
    expect(rises(1)).toEqual([T(11)]);
    expect(clock.pendingCount).toBe(0);
    out(0x40, 20);
    out(0x40, 0);
    at(130);
    expect(rises(1)).toEqual([T(11), T(121)]);
  });
});

describe('mode 3: square wave', () => {
  it('even N: OUT high N/2 pulses and low N/2, the count stepping by 2', () => {
    program(0, 0x36, 10);
    const values: number[] = [];
    for (let k = 1; k <= 11; k++) {
      at(k);
      values.push(latched(0));
    }
    expect(values).toEqual([10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10]);
    at(40);
    expect(irq.slice(1)).toEqual([
      [T(6), false],
      [T(11), true],
      [T(16), false],
      [T(21), true],
      [T(26), false],
      [T(31), true],
      [T(36), false],
    ]);
  });

  it('odd N: OUT high (N+1)/2 pulses and low (N-1)/2, the CE loaded with N-1', () => {
    program(0, 0x36, 5);
    const values: number[] = [];
    for (let k = 1; k <= 6; k++) {
      at(k);
      values.push(latched(0));
    }
    expect(values).toEqual([4, 2, 0, 4, 2, 4]);
    at(12);
    expect(irq.slice(1)).toEqual([
      [T(4), false],
      [T(6), true],
      [T(9), false],
      [T(11), true],
    ]);
  });

  it('loads a new count at the end of the current half-cycle', () => {
    program(0, 0x36, 10);
    at(7); // low half from pulse 6 to 10
    out(0x40, 4);
    out(0x40, 0);
    at(10);
    expect(pit.outputLevel(0)).toBe(false);
    at(11);
    expect(latched(0)).toBe(4);
    expect(pit.outputLevel(0)).toBe(true);
    at(20);
    expect(rises(1)).toEqual([T(11), T(15), T(19)]);
  });

  it('counts 0 as 65536 (a 65536-pulse period)', () => {
    program(0, 0x36, 0);
    at(65536 * 2 + 5);
    expect(rises(1)).toEqual([T(65537), T(2 * 65536 + 1)]);
  });
});

describe('modes 1, 4 and 5', () => {
  it('mode 1: a GATE trigger drives OUT low on the next pulse for N pulses; retriggering restarts', () => {
    program(2, 0xb2, 5);
    at(10);
    expect(pit.outputLevel(2)).toBe(true); // armed, not triggered (GATE 2 is high from power-on)
    pit.setGate(2, false);
    pit.setGate(2, true); // trigger at pulse 10
    expect(pit.outputLevel(2)).toBe(true);
    at(11);
    expect(pit.outputLevel(2)).toBe(false);
    expect(latched(2)).toBe(5);
    at(13);
    pit.setGate(2, false);
    pit.setGate(2, true); // retrigger: loads on pulse 14
    at(18);
    expect(pit.outputLevel(2)).toBe(false);
    at(19);
    expect(pit.outputLevel(2)).toBe(true);
  });

  it('mode 4: OUT strobes low for one pulse N+1 pulses after the count is written, once', () => {
    const outs: [number, boolean][] = [];
    pit.onOutputChange(1, (l) => outs.push([clock.now(), l]));
    program(1, 0x78, 3);
    at(100);
    expect(outs).toEqual([
      [T(4), false],
      [T(5), true],
    ]);
  });

  it('mode 5: OUT strobes low N+1 pulses after a GATE trigger', () => {
    program(2, 0xba, 3);
    pit.setGate(2, false);
    at(7);
    pit.setGate(2, true);
    at(10);
    expect(pit.outputLevel(2)).toBe(true);
    at(11);
    expect(pit.outputLevel(2)).toBe(false);
    at(12);
    expect(pit.outputLevel(2)).toBe(true);
  });
});

describe('reading and writing counts', () => {
  it('holds a latched count until it is read, ignoring further latch commands', () => {
    program(0, 0x34, 1000);
    at(101);
    out(0x43, 0x00);
    at(201);
    out(0x43, 0x00); // ignored: the first latch is unread
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(900);
    expect(latched(0)).toBe(800);
  });

  it('reads the live count without a latch, byte by byte', () => {
    program(0, 0x34, 0x1234);
    at(1);
    expect(inb(0x40)).toBe(0x34);
    expect(inb(0x40)).toBe(0x12);
  });

  it('uses LSB-only and MSB-only access for writes and reads', () => {
    program(1, 0x14, 0x80); // LSB only: count 0x0080
    at(1);
    expect(inb(0x41)).toBe(0x80);
    expect(inb(0x41)).toBe(0x80);
    program(1, 0x24, 0x0200); // MSB only: count 0x0200
    at(2);
    expect(inb(0x41)).toBe(0x02);
    at(3);
    out(0x43, 0x40);
    expect(inb(0x41)).toBe(0x01); // 0x01FF latched, MSB only
  });

  it('keeps separate byte pointers for reads and writes (data sheet sequence)', () => {
    program(0, 0x30, 0x0500);
    at(1);
    out(0x43, 0x00);
    const lsb = inb(0x40); // 1. read LSB
    out(0x40, 0x00); // 2. write new LSB
    const msb = inb(0x40); // 3. read MSB
    out(0x40, 0x02); // 4. write new MSB
    expect(lsb | (msb << 8)).toBe(0x0500);
    at(2);
    expect(latched(0)).toBe(0x0200);
  });

  it('counts in BCD when the control word says so, 0 meaning 10000', () => {
    program(0, 0x35, 0x1000); // mode 2, BCD, count 1000
    at(2);
    expect(latched(0)).toBe(0x0999);
    at(1000);
    expect(latched(0)).toBe(0x0001);
    at(1001);
    expect(latched(0)).toBe(0x1000);
    program(0, 0x35, 0x0000);
    at(1003);
    expect(latched(0)).toBe(0x9999);
    at(20000);
    expect(rises(T(1002))).toEqual([T(11002)]);
  });
});

describe('read-back command', () => {
  it('latches the status: OUT, null count and the programmed mode', () => {
    program(0, 0x30);
    expect(status(0)).toBe(0x40 | 0x30);
    out(0x40, 3);
    out(0x40, 0);
    expect(status(0)).toBe(0x40 | 0x30); // count written, not yet loaded
    at(1);
    expect(status(0)).toBe(0x30);
    at(4);
    expect(status(0)).toBe(0x80 | 0x30);
  });

  it('returns status before count when both are latched, and ignores repeated latches until read', () => {
    program(2, 0xb6, 100);
    at(11);
    out(0x43, 0xc8); // count and status of counter 2
    at(21);
    out(0x43, 0xc8); // ignored
    expect(inb(0x42)).toBe(0x80 | 0x36);
    expect(inb(0x42) | (inb(0x42) << 8)).toBe(80);
    expect(latched(2)).toBe(60);
  });

  it('latches several counters at once', () => {
    program(0, 0x34, 100);
    program(1, 0x74, 200);
    program(2, 0xb4, 300);
    at(51);
    out(0x43, 0xde); // count of counters 0, 1 and 2
    at(61);
    expect([0, 1, 2].map((n) => inb(0x40 + n) | (inb(0x40 + n) << 8))).toEqual([50, 150, 250]);
  });
});

describe('scheduling on the Clock', () => {
  it('keeps one callback per counter and replaces it on reprogramming', () => {
    program(0, 0x34, 1000);
    expect(clock.pendingCount).toBe(1);
    program(0, 0x34, 500);
    expect(clock.pendingCount).toBe(1);
    program(1, 0x74, 100); // no consumer on counter 1: nothing scheduled
    expect(clock.pendingCount).toBe(1);
  });

  it('replays a short OUT pulse the Clock called back late for, so IRQ 0 still rises', () => {
    // A Clock that only runs callbacks when advanced, with now() already at the target.
    let now = 0;
    let handles = 0;
    let queue: { at: number; cb: () => void; h: number }[] = [];
    const late: Clock = {
      now: () => now,
      schedule: (atNs, cb) => {
        queue.push({ at: atNs, cb, h: ++handles });
        return handles;
      },
      cancel: (h) => {
        queue = queue.filter((q) => q.h !== h);
      },
    };
    const seen: [number, boolean][] = [];
    const p = new Pit8254(late, { setIrq: (_n, l) => seen.push([now, l]) });
    p.out(0x43, 1, 0x34);
    p.out(0x40, 1, 10);
    p.out(0x40, 1, 0);
    now = T(13); // well past the low pulse at 10 and the rise at 11
    queue.shift()!.cb();
    expect(seen.slice(1)).toEqual([
      [T(13), false],
      [T(13), true],
    ]);
  });
});
