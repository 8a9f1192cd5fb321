import { describe, expect, it } from 'vitest';
import type { SensitiveEvent } from '../../../emulator/cpu/sensitive';
import { HoleLog } from '../../../emulator/vmm/hole-log';

const ev = (eip: number): SensitiveEvent => ({ kind: 'privileged-state-read', mnemonic: 'SGDT', eip, linearEip: eip, details: { base: 0, limit: 0 } });

describe('HoleLog', () => {
  it('keeps the most recent `capacity` holes oldest first while the counters count them all', () => {
    const log = new HoleLog(3);
    for (let k = 0; k < 5; k++) log.record(ev(0x100 + k), 10 * k);
    expect(log.recent().map((h) => [h.seq, h.eip, h.icount])).toEqual([
      [2, 0x102, 20],
      [3, 0x103, 30],
      [4, 0x104, 40],
    ]);
    expect(log.total).toBe(5);
    expect(log.countsByKind()['privileged-state-read']).toBe(5);
    expect(log.countsByKind()['ring-aliasing']).toBe(0);
  });

  it('reset forgets holes and counters but keeps listeners', () => {
    const log = new HoleLog();
    const heard: number[] = [];
    log.onHole((h) => heard.push(h.seq));
    log.record(ev(1), 0);
    log.reset();
    log.record(ev(2), 0);
    expect([log.total, log.recent().length, heard]).toEqual([1, 1, [0, 0]]);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new HoleLog(0)).toThrow(RangeError);
  });
});
