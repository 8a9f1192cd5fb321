import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../../emulator/arch/vmx-exit-reasons';
import {
  causeKey,
  causeOfKey,
  exitCauseDescription,
  exitCauseLabel,
  exitCauseName,
  sdmCause,
  VMM_EXIT_REASON_BASE,
  vmmCause,
  VmmExitReason,
} from '../../../emulator/vmm/exit-cause';
import { ExitStats, formatExitTable } from '../../../emulator/vmm/exit-stats';

const numericValues = (e: object): number[] => Object.values(e).filter((v): v is number => typeof v === 'number');

describe('exit causes: SDM and software-VMM namespaces', () => {
  it('keeps the namespaces disjoint: every VMM reason lies above every 16-bit basic exit reason', () => {
    const sdm = numericValues(ExitReason);
    const vmm = numericValues(VmmExitReason);
    expect(Math.max(...sdm)).toBeLessThan(0x10000);
    expect(Math.min(...vmm)).toBe(VMM_EXIT_REASON_BASE);
    for (const v of vmm) expect(sdm).not.toContain(v);
  });

  it('gives one shared cause object per reason, and keys that map back to it', () => {
    expect(sdmCause(ExitReason.CPUID)).toBe(sdmCause(ExitReason.CPUID));
    expect(sdmCause(ExitReason.CPUID)).toEqual({ kind: 'sdm', reason: 10 });
    expect(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT)).toEqual({ kind: 'vmm', reason: VmmExitReason.HIDDEN_PAGE_FAULT });
    for (const c of [sdmCause(ExitReason.TRIPLE_FAULT), vmmCause(VmmExitReason.SOFTWARE_INTERRUPT), sdmCause(35 as ExitReason)]) expect(causeOfKey(causeKey(c))).toBe(c);
    expect(() => sdmCause(0x10000 as ExitReason)).toThrow(RangeError);
    expect(() => vmmCause(5 as VmmExitReason)).toThrow(RangeError);
  });

  it('names causes for the table and for error messages', () => {
    expect(exitCauseName(sdmCause(ExitReason.CR_ACCESS))).toBe('CR_ACCESS');
    expect(exitCauseLabel(sdmCause(ExitReason.CR_ACCESS))).toBe('CR_ACCESS (28)');
    expect(exitCauseLabel(vmmCause(VmmExitReason.GUEST_PAGE_TABLE_WRITE))).toBe('GUEST_PAGE_TABLE_WRITE (VMM)');
    expect(exitCauseDescription(sdmCause(ExitReason.CR_ACCESS))).toBe('0x1c EXIT_REASON_CR_ACCESS');
    expect(exitCauseDescription(sdmCause(35 as ExitReason))).toBe('0x23 EXIT_REASON_UNKNOWN_35');
    expect(exitCauseDescription(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT))).toBe('0x10000 VMM HIDDEN_PAGE_FAULT');
  });
});

describe('ExitStats', () => {
  const CR = sdmCause(ExitReason.CR_ACCESS);
  const IO = sdmCause(ExitReason.IO_INSTRUCTION);
  const HPF = vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT);

  it('counts exits and work units per cause and in total', () => {
    const s = new ExitStats();
    s.record(CR, 0x08, 0x1000, 0x1000, 1);
    s.record(CR, 0x08, 0x1000, 0x1000, 1);
    s.charge(5);
    s.record(HPF, 0x08, 0x2000, 0x2000, 1);
    expect(s.total).toBe(3);
    expect(s.totalCost).toBe(8);
    expect(s.count(CR)).toBe(2);
    expect(s.cost(CR)).toBe(7);
    expect(s.count(HPF)).toBe(1);
    expect(s.count(IO)).toBe(0);
    expect(s.causes()).toEqual([
      { cause: CR, count: 2, cost: 7 },
      { cause: HPF, count: 1, cost: 1 },
    ]);
  });

  it('counts per guest linear EIP with the causes seen there, in address order, for the editor', () => {
    const s = new ExitStats();
    s.record(IO, 0x1b, 0x30, 0x10030, 1);
    s.record(CR, 0x08, 0x1000, 0x1000, 1);
    s.record(IO, 0x1b, 0x30, 0x10030, 1);
    s.record(HPF, 0x1b, 0x30, 0x10030, 1);
    s.charge(3);
    expect(s.eips().map((e) => e.linear)).toEqual([0x1000, 0x10030]);
    expect(s.atEip(0x10030)).toEqual({
      linear: 0x10030,
      cs: 0x1b,
      eip: 0x30,
      count: 3,
      cost: 6,
      causes: [
        { cause: IO, count: 2, cost: 2 },
        { cause: HPF, count: 1, cost: 4 },
      ],
    });
    expect(s.atEip(0x5000)).toBeUndefined();
  });

  it('keeps the last N exits in a ring buffer, oldest first, with the charges of the latest', () => {
    const s = new ExitStats(4);
    for (let n = 0; n < 6; n++) s.record(n % 2 ? IO : CR, 0x08, 0x100 + n, 0x100 + n, 1);
    s.charge(2);
    const recent = s.recent();
    expect(recent.map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(recent.map((e) => e.eip)).toEqual([0x102, 0x103, 0x104, 0x105]);
    expect(recent.map((e) => e.cause)).toEqual([CR, IO, CR, IO]);
    expect(recent.map((e) => e.cost)).toEqual([1, 1, 1, 3]);
    const few = new ExitStats(4);
    few.record(HPF, 0x08, 1, 1);
    expect(few.recent()).toEqual([{ seq: 0, cause: HPF, cs: 8, eip: 1, linear: 1, cost: 0 }]);
  });

  it('reset forgets everything; charging before any exit, a negative amount or a bad capacity are errors', () => {
    const s = new ExitStats(2);
    s.record(CR, 0x08, 0x1000, 0x1000, 1);
    s.reset();
    expect([s.total, s.totalCost, s.causes().length, s.eips().length, s.recent().length]).toEqual([0, 0, 0, 0, 0]);
    expect(() => s.charge(1)).toThrow(/no exit recorded/);
    s.record(CR, 0x08, 0x1000, 0x1000, 1);
    expect(() => s.charge(-1)).toThrow(RangeError);
    expect(() => s.charge(NaN)).toThrow(RangeError);
    expect(() => new ExitStats(0)).toThrow(RangeError);
  });
});

describe('formatExitTable (--stats)', () => {
  it('prints reason, count and share, most frequent first, with a total row', () => {
    const s = new ExitStats();
    for (let n = 0; n < 3; n++) s.record(sdmCause(ExitReason.CR_ACCESS), 8, 0, 0, 1);
    s.record(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT), 8, 0, 0, 1);
    s.record(sdmCause(ExitReason.IO_INSTRUCTION), 8, 0, 0, 1);
    s.record(sdmCause(ExitReason.HLT), 8, 0, 0, 1);
    expect(formatExitTable(s)).toBe(
      [
        'reason                    count    share',
        'CR_ACCESS (28)                3    50.0%',
        'HLT (12)                      1    16.7%',
        'IO_INSTRUCTION (30)           1    16.7%',
        'HIDDEN_PAGE_FAULT (VMM)       1    16.7%',
        'total                         6   100.0%',
      ].join('\n'),
    );
  });

  it('adds work units and units per exit on request, and says so when there were no exits', () => {
    const s = new ExitStats();
    s.record(sdmCause(ExitReason.CPUID), 8, 0, 0, 1);
    s.charge(2);
    s.record(sdmCause(ExitReason.CPUID), 8, 0, 0, 1);
    expect(formatExitTable(s, { cost: true })).toBe(
      ['reason       count    share   cost (wu)   wu/exit', 'CPUID (10)       2   100.0%           4       2.0', 'total            2   100.0%           4       2.0'].join('\n'),
    );
    expect(formatExitTable(new ExitStats())).toBe('no VM exits');
  });
});
