import { describe, expect, it } from 'vitest';
import { Pit8254, pitPulseTime } from '../../../emulator/devices/pit-8254';
import { SystemControlPortB } from '../../../emulator/devices/system-control-port-b';
import { FakeClock } from './fake-clock';

function setup(): { clock: FakeClock; pit: Pit8254; port: SystemControlPortB } {
  const clock = new FakeClock();
  const pit = new Pit8254(clock, null);
  return { clock, pit, port: new SystemControlPortB(pit, clock) };
}

/** Counter 2, mode 0 (interrupt on terminal count), LSB then MSB, count `n`. */
function programCounter2(pit: Pit8254, n: number): void {
  pit.out(0x43, 1, 0xb0);
  pit.out(0x42, 1, n & 0xff);
  pit.out(0x42, 1, n >> 8);
}

describe('system control port B (61h)', () => {
  it('readsBackBits0To3AsWritten_andBits6And7AsZero', () => {
    const { port } = setup();
    port.out(0x61, 1, 0xff);
    expect(port.in(0x61, 1) & 0xcf).toBe(0x0f);
    port.out(0x61, 1, 0x0a);
    expect(port.in(0x61, 1) & 0xcf).toBe(0x0a);
  });

  it('bit4TogglesEvery18PitClocks_theAtsRefreshRequestRate', () => {
    const { clock, port } = setup();
    expect(port.in(0x61, 1) & 0x10).toBe(0);
    clock.advanceTo(pitPulseTime(17));
    expect(port.in(0x61, 1) & 0x10).toBe(0);
    clock.advanceTo(pitPulseTime(18));
    expect(port.in(0x61, 1) & 0x10).toBe(0x10);
    clock.advanceTo(pitPulseTime(36));
    expect(port.in(0x61, 1) & 0x10).toBe(0);
  });

  it('bit0GatesPitCounter2_andBit5ReadsItsOutput', () => {
    const { clock, pit, port } = setup();
    programCounter2(pit, 10);
    // Gate low (power-on value 0): the count is loaded but does not run.
    clock.advanceTo(pitPulseTime(50));
    expect(port.in(0x61, 1) & 0x20).toBe(0);
    port.out(0x61, 1, 0x01);
    clock.advanceTo(pitPulseTime(56));
    expect(port.in(0x61, 1) & 0x20).toBe(0);
    clock.advanceTo(pitPulseTime(70));
    expect(port.in(0x61, 1) & 0x20).toBe(0x20);
    expect(pit.outputLevel(2)).toBe(true);
  });

  it('resetClearsTheBits_andGatesCounter2Off', () => {
    const { clock, pit, port } = setup();
    port.out(0x61, 1, 0x03);
    port.reset();
    expect(port.in(0x61, 1) & 0x0f).toBe(0);
    programCounter2(pit, 5);
    clock.advanceTo(pitPulseTime(100));
    expect(port.in(0x61, 1) & 0x20).toBe(0);
  });

  it('aWiderReadSeesTheOpenBusAboveTheByte', () => {
    const { port } = setup();
    expect(port.in(0x61, 2) >> 8).toBe(0xff);
  });
});
