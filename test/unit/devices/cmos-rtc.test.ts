import { describe, expect, it } from 'vitest';
import {
  civilFromDays,
  CmosRtc,
  daysFromCivil,
  FloppyType,
  periodicIntervalNs,
  REG_A_UIP,
  REG_B_24H,
  REG_B_AIE,
  REG_B_DM_BINARY,
  REG_B_PIE,
  REG_B_SET,
  REG_B_UIE,
  REG_C_AF,
  REG_C_IRQF,
  REG_C_PF,
  REG_C_UF,
  type CmosRtcOptions,
} from '../../../emulator/devices/cmos-rtc';
import { IoBus } from '../../../emulator/memory/io-bus';
import { FakeClock } from './fake-clock';
import { RecordingIrq } from './recording-irq';

const S = 1e9;
const MIB = 1024 * 1024;
const unix = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

/** An RTC on a fresh clock; `quiet` sets RS = 0 first so that PF stays out of register C. */
function setup(options: Partial<CmosRtcOptions> = {}, quiet = false) {
  const clock = new FakeClock();
  const irq = new RecordingIrq();
  const nmi: boolean[] = [];
  const rtc = new CmosRtc(irq, clock, { memoryBytes: 32 * MIB, onNmiMask: (d) => nmi.push(d), ...options });
  const bus = new IoBus();
  rtc.attach(bus);
  const read = (index: number) => {
    bus.out(0x70, 1, index);
    return bus.in(0x71, 1);
  };
  const write = (index: number, v: number) => {
    bus.out(0x70, 1, index);
    bus.out(0x71, 1, v);
  };
  /** [sec, min, hour, dow, day, month, year, century] as stored. */
  const time = () => [0, 2, 4, 6, 7, 8, 9, 0x32].map(read);
  if (quiet) write(0x0a, 0x20);
  return { clock, irq, rtc, bus, read, write, time, nmi };
}

describe('MC146818A time and calendar', () => {
  it('starts by default at 2000-01-01 00:00:00, a Saturday, in BCD 24-hour mode (register B = 02h)', () => {
    const { time, read } = setup();
    expect(time()).toEqual([0x00, 0x00, 0x00, 7, 0x01, 0x01, 0x00, 0x20]);
    expect(read(0x0a)).toBe(0x26);
    expect(read(0x0b)).toBe(REG_B_24H);
    expect(read(0x0d)).toBe(0x80);
  });

  it('takes the injected start time and encodes it in BCD or binary per register B DM', () => {
    const { time, write } = setup({ startTime: unix(2024, 2, 29, 23, 59, 58) });
    expect(time()).toEqual([0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20]); // a Thursday
    write(0x0b, REG_B_24H | REG_B_DM_BINARY);
    expect(time()).toEqual([58, 59, 23, 5, 29, 2, 24, 20]);
  });

  it('advances one second per virtual second, at the update cycle', () => {
    const { clock, read } = setup();
    clock.advanceBy(S - 1);
    expect(read(0)).toBe(0x00);
    clock.advanceBy(1);
    expect(read(0)).toBe(0x01);
    clock.advanceBy(59 * S);
    expect([read(0), read(2)]).toEqual([0x00, 0x01]);
  });

  it('rolls over midnight, a leap day, the year and the century, counting the day of week', () => {
    const a = setup({ startTime: unix(2024, 2, 28, 23, 59, 59) });
    a.clock.advanceBy(S);
    expect(a.time()).toEqual([0, 0, 0, 5, 0x29, 0x02, 0x24, 0x20]);
    const b = setup({ startTime: unix(2023, 2, 28, 23, 59, 59) });
    b.clock.advanceBy(S);
    expect(b.time().slice(3, 6)).toEqual([4, 0x01, 0x03]); // Wednesday 1 March
    const c = setup({ startTime: unix(2099, 12, 31, 23, 59, 59) });
    c.clock.advanceBy(S);
    expect(c.time()).toEqual([0, 0, 0, 6, 0x01, 0x01, 0x00, 0x21]); // Friday 2100-01-01
  });

  it('jumps correctly over a long idle period (3 days and 1 hour)', () => {
    const { clock, time, rtc } = setup();
    clock.advanceBy((3 * 86400 + 3600) * S);
    expect(time()).toEqual([0, 0, 0x01, 3, 0x04, 0x01, 0x00, 0x20]); // Tuesday 2000-01-04 01:00
    expect(rtc.unixTime()).toBe(unix(2000, 1, 4, 1));
  });

  it('honours a fractional start time: the first update comes after the rest of that second', () => {
    const { clock, read } = setup({ startTime: unix(2000, 1, 1) + 0.75 });
    clock.advanceBy(0.25 * S - 1);
    expect(read(0)).toBe(0);
    clock.advanceBy(1);
    expect(read(0)).toBe(1);
  });

  it('reads hours in 12-hour format with bit 7 = PM, in BCD and binary', () => {
    const cases: [number, number, number][] = [
      [0, 0x12, 12],
      [1, 0x01, 1],
      [11, 0x11, 11],
      [12, 0x92, 0x8c],
      [13, 0x81, 0x81],
      [23, 0x91, 0x8b],
    ];
    for (const [h, bcd, bin] of cases) {
      const { write, read } = setup({ startTime: unix(2000, 1, 1, h) });
      write(0x0b, 0);
      expect(read(4)).toBe(bcd);
      write(0x0b, REG_B_DM_BINARY);
      expect(read(4)).toBe(bin);
    }
  });

  it('decodes a 12-hour PM write into the 24-hour value', () => {
    const { write, read } = setup();
    write(0x0b, REG_B_SET);
    write(4, 0x87); // 7 PM
    write(0x0b, REG_B_24H);
    expect(read(4)).toBe(0x19);
  });

  it('lets a guest set the time under SET = 1, field by field, even through invalid intermediate dates', () => {
    const { clock, write, time } = setup({ startTime: unix(2021, 1, 31, 10) });
    write(0x0b, REG_B_SET | REG_B_24H);
    write(8, 0x02); // February 31 for a moment
    write(7, 0x14);
    write(9, 0x22);
    write(4, 0x08);
    write(2, 0x30);
    write(0, 0x15);
    write(6, 2);
    clock.advanceBy(5 * S); // frozen while SET = 1
    expect(time()).toEqual([0x15, 0x30, 0x08, 2, 0x14, 0x02, 0x22, 0x20]);
    write(0x0b, REG_B_24H);
    clock.advanceBy(S);
    expect(time()).toEqual([0x16, 0x30, 0x08, 2, 0x14, 0x02, 0x22, 0x20]);
  });

  it('writes the century byte (32h) as part of the year', () => {
    const { write, read } = setup();
    write(0x32, 0x19);
    write(9, 0x99);
    expect([read(9), read(0x32)]).toEqual([0x99, 0x19]);
  });

  it('normalises an out-of-range value at the next update (seconds = 75 → +1 min 16 s)', () => {
    const { clock, write, time } = setup();
    write(0x0b, REG_B_24H | REG_B_DM_BINARY);
    write(0, 75);
    clock.advanceBy(S);
    expect(time().slice(0, 3)).toEqual([16, 1, 0]);
  });
});

describe('MC146818A register A (UIP, divider)', () => {
  it('sets UIP during the 244 µs before each update and clears it after', () => {
    const { clock, read } = setup();
    clock.advanceTo(S - 244_141);
    expect(read(0x0a) & REG_A_UIP).toBe(0);
    clock.advanceTo(S - 244_140);
    expect(read(0x0a) & REG_A_UIP).toBe(REG_A_UIP);
    expect(read(0)).toBe(0x00); // still the old second: the update is atomic at the boundary
    clock.advanceTo(S);
    expect(read(0x0a) & REG_A_UIP).toBe(0);
    expect(read(0)).toBe(0x01);
  });

  it('never shows UIP while SET = 1', () => {
    const { clock, read, write } = setup();
    write(0x0b, REG_B_SET | REG_B_24H);
    clock.advanceTo(S - 1000);
    expect(read(0x0a) & REG_A_UIP).toBe(0);
  });

  it('ignores writes to UIP', () => {
    const { read, write } = setup();
    write(0x0a, 0xa6);
    expect(read(0x0a)).toBe(0x26);
  });

  it('stops the clock while the divider is held in reset (DV = 11x) and makes the first update 500 ms after release', () => {
    const { clock, read, write } = setup();
    clock.advanceBy(0.3 * S);
    write(0x0a, 0x76);
    clock.advanceBy(10 * S);
    expect(read(0)).toBe(0x00);
    write(0x0a, 0x26);
    clock.advanceBy(0.5 * S - 1);
    expect(read(0)).toBe(0x00);
    clock.advanceBy(1);
    expect(read(0)).toBe(0x01);
  });
});

describe('MC146818A register C flags and IRQ 8', () => {
  it('sets UF at each update whether or not UIE is set; reading C returns and clears the flags', () => {
    const { clock, read, irq } = setup({}, true);
    expect(read(0x0c)).toBe(0);
    clock.advanceBy(S);
    expect(read(0x0c)).toBe(REG_C_UF);
    expect(read(0x0c)).toBe(0);
    expect(irq.rising[8]).toBe(0);
  });

  it('raises IRQ 8 at the update with UIE = 1 and holds it (IRQF) until register C is read', () => {
    const { clock, read, write, irq } = setup({}, true);
    write(0x0b, REG_B_24H | REG_B_UIE);
    clock.advanceBy(S - 1);
    expect(irq.level[8]).toBe(false);
    clock.advanceBy(1);
    expect(irq.level[8]).toBe(true);
    clock.advanceBy(3 * S);
    expect(irq.rising[8]).toBe(1);
    expect(read(0x0c)).toBe(REG_C_IRQF | REG_C_UF);
    expect(irq.level[8]).toBe(false);
    clock.advanceBy(S);
    expect(irq.rising[8]).toBe(2);
  });

  it('raises IRQ 8 at once when an interrupt is enabled while its flag is already set', () => {
    const { clock, write, irq, read } = setup({}, true);
    clock.advanceBy(S);
    write(0x0b, REG_B_24H | REG_B_UIE);
    expect(irq.level[8]).toBe(true);
    expect(read(0x0c)).toBe(REG_C_IRQF | REG_C_UF);
  });

  it('SET = 1 clears UIE and stops update-ended flags', () => {
    const { clock, write, read } = setup({}, true);
    write(0x0b, REG_B_24H | REG_B_UIE | REG_B_SET);
    expect(read(0x0b)).toBe(REG_B_24H | REG_B_SET);
    clock.advanceBy(3 * S);
    expect(read(0x0c) & REG_C_UF).toBe(0);
  });

  it.each([
    [1, 3_906_250],
    [2, 7_812_500],
    [3, 122_070.3125],
    [6, 976_562.5],
    [15, 500_000_000],
  ])('rate select %i gives a periodic interval of %f ns', (rs, ns) => {
    expect(periodicIntervalNs(rs)).toBe(ns);
  });

  it('delivers 1024 periodic interrupts per second at RS = 6 when the handler reads register C', () => {
    const { clock, write, read, irq } = setup();
    write(0x0b, REG_B_24H | REG_B_PIE);
    let handled = 0;
    for (let t = 0; t < S; t += 100_000) {
      clock.advanceBy(100_000);
      if (irq.level[8]) {
        expect(read(0x0c) & (REG_C_IRQF | REG_C_PF)).toBe(REG_C_IRQF | REG_C_PF);
        handled++;
      }
    }
    expect(handled).toBe(1024);
    expect(irq.rising[8]).toBe(1024);
  });

  it('sets PF without PIE and without raising IRQ 8; RS = 0 sets no PF', () => {
    const { clock, write, read, irq } = setup();
    clock.advanceBy(0.001 * S);
    expect(read(0x0c) & REG_C_PF).toBe(REG_C_PF);
    write(0x0a, 0x20);
    clock.advanceBy(0.5 * S);
    expect(read(0x0c) & REG_C_PF).toBe(0);
    expect(irq.rising[8]).toBe(0);
  });

  it('sets AF when the alarm matches at an update and interrupts with AIE', () => {
    const { clock, write, read, irq } = setup({}, true);
    write(1, 0x05);
    write(3, 0x00);
    write(5, 0x00);
    write(0x0b, REG_B_24H | REG_B_AIE);
    clock.advanceBy(4 * S);
    expect(irq.level[8]).toBe(false);
    expect(read(0x0c) & REG_C_AF).toBe(0);
    clock.advanceBy(S);
    expect(irq.level[8]).toBe(true);
    expect(read(0x0c)).toBe(REG_C_IRQF | REG_C_AF | REG_C_UF);
    clock.advanceBy(S);
    expect(read(0x0c) & REG_C_AF).toBe(0);
  });

  it('treats alarm bytes 11xxxxxx as "don\'t care": seconds = C0h matches at every update of the alarm minute', () => {
    const { clock, write, read } = setup();
    write(1, 0xc0);
    write(3, 0x01);
    write(5, 0xff);
    clock.advanceBy(59 * S);
    expect(read(0x0c) & REG_C_AF).toBe(0);
    for (let s = 0; s < 60; s++) {
      clock.advanceBy(S); // 00:01:00 … 00:01:59
      expect(read(0x0c) & REG_C_AF).toBe(REG_C_AF);
    }
    clock.advanceBy(S); // 00:02:00
    expect(read(0x0c) & REG_C_AF).toBe(0);
  });

  it('finds an alarm match inside a long idle period', () => {
    const { clock, write, read } = setup();
    write(1, 0x00);
    write(3, 0x30);
    write(5, 0x13);
    clock.advanceBy(2 * 86400 * S);
    expect(read(0x0c) & REG_C_AF).toBe(REG_C_AF);
  });

  it('ignores writes to registers C and D', () => {
    const { clock, write, read } = setup({}, true);
    clock.advanceBy(S);
    write(0x0c, 0);
    write(0x0d, 0);
    expect(read(0x0c)).toBe(REG_C_UF);
    expect(read(0x0d)).toBe(0x80);
  });

  it('reset() clears PIE, AIE, UIE and the flags and releases IRQ 8, keeping the time', () => {
    const { clock, write, read, irq, rtc } = setup();
    write(0x0b, REG_B_24H | REG_B_UIE | REG_B_PIE | REG_B_AIE);
    clock.advanceBy(S);
    expect(irq.level[8]).toBe(true);
    rtc.reset();
    expect(irq.level[8]).toBe(false);
    expect(read(0x0b)).toBe(REG_B_24H);
    expect(read(0x0c)).toBe(0);
    expect(read(0)).toBe(0x01);
  });
});

describe('CMOS RAM and the PC configuration bytes', () => {
  it('fills base (640 KiB), extended (KiB above 1 MiB, twice) and above-16-MiB (64-KiB units) memory sizes', () => {
    const { read } = setup({ memoryBytes: 32 * MIB });
    expect(read(0x15) | (read(0x16) << 8)).toBe(640);
    expect(read(0x17) | (read(0x18) << 8)).toBe(31 * 1024);
    expect(read(0x30) | (read(0x31) << 8)).toBe(31 * 1024);
    expect(read(0x34) | (read(0x35) << 8)).toBe(256);
  });

  it('caps extended memory at FFFFh KiB and reports small machines exactly', () => {
    const big = setup({ memoryBytes: 128 * MIB });
    expect(big.read(0x17) | (big.read(0x18) << 8)).toBe(0xffff);
    expect(big.read(0x34) | (big.read(0x35) << 8)).toBe(112 * 16);
    const small = setup({ memoryBytes: 512 * 1024 });
    expect(small.read(0x15) | (small.read(0x16) << 8)).toBe(512);
    expect([small.read(0x17), small.read(0x18), small.read(0x34), small.read(0x35)]).toEqual([0, 0, 0, 0]);
  });

  it('describes floppy drives in 10h and the equipment byte 14h', () => {
    expect(setup().read(0x10)).toBe(0);
    expect(setup().read(0x14)).toBe(0);
    const one = setup({ floppyA: FloppyType.Mb1_44 });
    expect([one.read(0x10), one.read(0x14)]).toEqual([0x40, 0x01]);
    const two = setup({ floppyA: FloppyType.Mb1_44, floppyB: FloppyType.Mb1_2, fpu: true });
    expect([two.read(0x10), two.read(0x14)]).toEqual([0x42, 0x43]);
  });

  it('keeps the checksum of bytes 10h–2Dh in 2Eh (high) and 2Fh (low)', () => {
    const { read } = setup({ memoryBytes: 64 * MIB, floppyA: FloppyType.Mb1_44 });
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += read(i);
    expect((read(0x2e) << 8) | read(0x2f)).toBe(sum);
  });

  it('stores general-purpose bytes (0Eh, 0Fh, 40h–7Fh); the index wraps at 128', () => {
    const { read, write } = setup();
    write(0x0f, 0x0a);
    write(0x7f, 0x5a);
    expect(read(0x0f)).toBe(0x0a);
    expect(read(0xff & 0x7f)).toBe(0x5a);
  });

  it('exposes port 70h bit 7 as the NMI disable, without changing the selected index', () => {
    const { bus, nmi, rtc } = setup();
    bus.out(0x70, 1, 0x80 | 0x0d);
    expect(rtc.nmiDisabled).toBe(true);
    expect(bus.in(0x71, 1)).toBe(0x80); // register D
    bus.out(0x70, 1, 0x8d);
    bus.out(0x70, 1, 0x0d);
    expect(rtc.nmiDisabled).toBe(false);
    expect(nmi).toEqual([true, false]);
  });

  it('reads FFh from the write-only index port', () => {
    expect(setup().bus.in(0x70, 1)).toBe(0xff);
  });
});

describe('calendar arithmetic', () => {
  it('round-trips days since 1970 across four centuries', () => {
    for (let z = -200_000; z <= 200_000; z += 997) {
      const [y, m, d] = civilFromDays(z);
      expect(daysFromCivil(y, m, d)).toBe(z);
      expect(Date.UTC(y, m - 1, d) / 86_400_000).toBe(z);
    }
  });
});
