import { describe, expect, it } from 'vitest';
import { Cpu } from '../../../emulator/cpu/cpu';
import { Scheduler } from '../../../emulator/machine/scheduler';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';

function setup(ips?: number): { cpu: Cpu; clock: Scheduler } {
  const cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
  return { cpu, clock: new Scheduler(cpu, ips) };
}

describe('Scheduler (the machine Clock)', () => {
  it('derivesVirtualTimeFromRetiredInstructions_tenNsEachAtTheDefault100Mips', () => {
    const { cpu, clock } = setup();
    expect(clock.now()).toBe(0);
    cpu.icount += 12345;
    expect(clock.now()).toBe(123450);
  });

  it('countsFromTheIcountAtConstruction_soACpuThatAlreadyRanStartsAtTimeZero', () => {
    const cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
    cpu.icount = 500;
    const clock = new Scheduler(cpu);
    expect(clock.now()).toBe(0);
    cpu.icount = 510;
    expect(clock.now()).toBe(100);
  });

  it('rejectsAZeroOrNegativeSpeed', () => {
    const cpu = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
    expect(() => new Scheduler(cpu, 0)).toThrow(RangeError);
    expect(() => new Scheduler(cpu, -5)).toThrow(RangeError);
    expect(() => new Scheduler(cpu, Infinity)).toThrow(RangeError);
  });

  it('runsDueEventsInTimeOrder_andEqualTimesInSchedulingOrder', () => {
    const { cpu, clock } = setup();
    const order: string[] = [];
    clock.schedule(300, () => order.push('c'));
    clock.schedule(100, () => order.push('a1'));
    clock.schedule(100, () => order.push('a2'));
    clock.schedule(200, () => order.push('b'));
    cpu.icount = 20; // 200 ns
    expect(clock.runDue()).toBe(3);
    expect(order).toEqual(['a1', 'a2', 'b']);
    cpu.icount = 30;
    clock.runDue();
    expect(order).toEqual(['a1', 'a2', 'b', 'c']);
    expect(clock.eventsRun).toBe(4);
  });

  it('runsEventsACallbackSchedulesForNow_inTheSamePass', () => {
    const { clock } = setup();
    const order: string[] = [];
    clock.schedule(0, () => {
      order.push('first');
      clock.schedule(0, () => order.push('chained'));
    });
    clock.runDue();
    expect(order).toEqual(['first', 'chained']);
  });

  it('cancelledEventsNeverRun_andDoNotCountAsPending', () => {
    const { cpu, clock } = setup();
    let ran = false;
    const h = clock.schedule(50, () => (ran = true));
    clock.schedule(80, () => undefined);
    expect(clock.pendingCount).toBe(2);
    clock.cancel(h);
    expect(clock.pendingCount).toBe(1);
    expect(clock.nextEventAt()).toBe(80);
    cpu.icount = 100;
    clock.runDue();
    expect(ran).toBe(false);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('instructionsUntilNextEvent_isTheExactCountThatReachesTheEventTime', () => {
    const { cpu, clock } = setup();
    expect(clock.instructionsUntilNextEvent()).toBe(Infinity);
    clock.schedule(95, () => undefined);
    expect(clock.instructionsUntilNextEvent()).toBe(10); // 9 instructions reach 90 ns, 10 reach 100 ns
    cpu.icount = 10;
    expect(clock.instructionsUntilNextEvent()).toBe(0);
  });

  it('instructionsUntilNextEvent_isExactWithFractionalNanosecondsPerInstruction', () => {
    // 333.33… ns per instruction at 3 MIPS.
    for (const at of [1, 333, 334, 1000, 1001, 999_999, 12_345_678]) {
      const c = setup(3e6);
      c.clock.schedule(at, () => undefined);
      const n = c.clock.instructionsUntilNextEvent();
      c.cpu.icount = n - 1;
      expect(c.clock.now()).toBeLessThan(at);
      c.cpu.icount = n;
      expect(c.clock.now()).toBeGreaterThanOrEqual(at);
    }
  });

  it('skipToAdvancesTimeWithoutInstructions_andNeverGoesBackwards', () => {
    const { cpu, clock } = setup();
    cpu.icount = 10;
    clock.skipTo(1000);
    expect(clock.now()).toBe(1000);
    clock.skipTo(500);
    expect(clock.now()).toBe(1000);
    cpu.icount = 11;
    expect(clock.now()).toBe(1010);
  });

  it('throwsWhenCallbacksKeepSchedulingDueEventsWithoutEnd', () => {
    const { clock } = setup();
    const again = (): void => {
      clock.schedule(0, again);
    };
    clock.schedule(0, again);
    expect(() => clock.runDue()).toThrow(/without end/);
  });
});
