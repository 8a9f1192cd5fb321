import { describe, expect, it } from 'vitest';
import { makeTest, SCRATCH_ADDR, VectorCpu } from './vector-cpu';
import { checkOutcome } from './vector-run';
import type { VectorTest } from './vectors';

const vcpu = new VectorCpu();

describe('VectorCpu', () => {
  it('executes exactly one instruction and reports the state after it', () => {
    // 40 = INC EAX; the NOPs after it must not run (EIP is not part of the state, EAX is).
    const out = vcpu.run(makeTest('40', { eax: 41 }));
    expect(out.error).toBeUndefined();
    expect(out.exception).toBeNull();
    expect(out.eax).toBe(42);
  });

  it('loads the scratch bytes at 0x6A30 and reports them after the instruction', () => {
    // 01 05 30 6A 00 00 = ADD [0x6A30], EAX
    const out = vcpu.run(makeTest('0105306a0000', { eax: 0x01020304, mem: '10000000' + '00'.repeat(12) }));
    expect(Buffer.from(out.mem as Uint8Array).toString('hex')).toBe('14030201' + '00'.repeat(12));
  });

  it('reports an exception with the state at the fault, not the state after delivery', () => {
    // F7 F1 = DIV ECX with ECX = 0: #DE; ESP, EFLAGS and registers stay as they were.
    const test = makeTest('f7f1', { eax: 5, edx: 0, ecx: 0, eflags: 0x8d7 });
    const out = vcpu.run(test);
    expect(out.exception).toBe(0);
    expect(out.esp).toBe(0x7000);
    expect(out.eflags).toBe(0x8d7);
    expect(out.eax).toBe(5);
  });

  it('without the onEvent hook, still identifies the exception by its IDT handler and rebuilds the state from the frame', () => {
    const bare = new VectorCpu();
    bare.cpu.hooks.onEvent = undefined;
    const out = bare.run(makeTest('f7f1', { eax: 5, edx: 0, ecx: 0, eflags: 0x8d7 }));
    expect(out.error).toBeUndefined();
    expect(out.exception).toBe(0);
    expect(out.esp).toBe(0x7000);
    expect(out.eflags).toBe(0x8d7);
  });

  it('reports #UD for UD2', () => {
    expect(vcpu.run(makeTest('0f0b')).exception).toBe(6);
  });

  it('keeps decoding correctly after the code ring wraps', () => {
    const small = new VectorCpu(3);
    const results: number[] = [];
    for (let k = 0; k < 8; k++) {
      // Alternate INC EAX (40) and DEC EAX (48) at slots that get reused after the wrap.
      results.push(small.run(makeTest(k % 2 === 0 ? '40' : '48', { eax: 10 })).eax);
    }
    expect(results).toEqual([11, 9, 11, 9, 11, 9, 11, 9]);
  });

  it('starts every test from the test state, not from what the previous test left', () => {
    vcpu.run(makeTest('c705306a0000ffffffff')); // MOV dword [0x6A30], -1
    const out = vcpu.run(makeTest('8b05306a0000')); // MOV EAX, [0x6A30]
    expect(out.eax).toBe(0);
    expect(vcpu.memory.ram[SCRATCH_ADDR]).toBe(0);
  });

  it('lets checkOutcome fail a test whose result differs, and pass the same test with the right result', () => {
    const test: VectorTest = makeTest('40', { eax: 1 });
    expect(checkOutcome(test, vcpu.run(test))).toEqual(['eax: expected 0x00000001, got 0x00000002']);
    test.final.eax = 2;
    expect(checkOutcome(test, vcpu.run(test))).toEqual([]);
  });
});
