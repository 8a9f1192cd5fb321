// The executor's block tier against its interpreter.
//
// The test vectors run single instructions, so they never reach a compiled block. Here every
// guest is a hot loop (its head reached far more than HOT_THRESHOLD times) run twice on
// fresh machines, with the block tier on and off; the complete final state (GPRs, EIP,
// EFLAGS, selectors, CR2, the instruction count and a hash of all RAM) and everything the
// driver observed along the way (stop reasons, instruction counts and return addresses
// seen by hooks, devices and guest handlers) must be identical, and the blocks-on run must
// really have compiled blocks. Where the outcome can be worked out independently (the
// instruction count at an exception, the value an SMC patch produces, the EIP of a
// breakpoint), the test checks that too, so both tiers cannot agree on a wrong answer.
import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { codeCache, run } from '../../../emulator/cpu/executor';
import type { StopReason } from '../../../emulator/cpu/cpu';
import { HOT_THRESHOLD, MAX_BLOCK } from '../../../emulator/cpu/block-compiler';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_P, AR_RW, AR_S, encodeDescriptor } from '../../../emulator/arch/segments';
import { differential, finalState, flatGuest, pteAddress, realGuest, TimerLine, type Guest, type TierRun } from '../../helpers/block-diff';

/** Both tiers reached the same state and saw the same things; the block tier was really used. */
function expectSameRuns<T>(r: { on: TierRun<T>; off: TierRun<T> }): void {
  expect(codeCache(r.on.guest.cpu).blocksCompiled, 'the blocks-on run compiled no block').toBeGreaterThan(0);
  expect(codeCache(r.off.guest.cpu).blocksCompiled).toBe(0);
  expect(r.on.trace).toEqual(r.off.trace);
  expect(r.on.state).toEqual(r.off.state);
}

/** Run until HLT (or anything but the limit), in one call with a budget far beyond the guest's needs. */
function runToEnd(g: Guest): StopReason {
  return run(g.cpu, 50_000_000);
}

// ---------------------------------------------------------------------------------------------
// 1. Instruction budgets.

/**
 * Two hot loops: a 7-instruction self-looping block with a store, then a 63-instruction
 * body, longer than MAX_BLOCK, so that it is split into a block that falls through into
 * another one.
 */
const BUDGET_GUEST = `
start:
  mov ecx, 3000
  mov edi, 0x20000
  xor eax, eax
  xor ebx, ebx
hot:
  add eax, ecx
  xor ebx, eax
  mov [edi], eax
  add edi, 4
  and edi, 0x20ffc
  dec ecx
  jnz hot
  mov ecx, 400
long:
%rep 30
  add eax, 7
  rol ebx, 3
%endrep
  adc esi, ebx
  dec ecx
  jnz long
  hlt
`;
const BUDGET_PROLOGUE = 4;
const HOT_BODY = 7;
const LONG_BODY = 63;
const BUDGET_TOTAL = BUDGET_PROLOGUE + 3000 * HOT_BODY + 1 + 400 * LONG_BODY + 1; // through the HLT

describe('run(cpu, n) with the block tier', () => {
  it('stops after exactly n instructions for every chunk size 1..50, in both tiers, at the same states', () => {
    // The guest is what this section needs: both loops get hot, and the long body needs two blocks.
    expect(3000).toBeGreaterThan(HOT_THRESHOLD * 4);
    expect(LONG_BODY).toBeGreaterThan(MAX_BLOCK);
    const r = differential(
      (blocks) => flatGuest(BUDGET_GUEST, { blocks }),
      (g) => {
        const cpu = g.cpu;
        const trace: number[][] = [];
        for (let k = 1; ; k = (k % 50) + 1) {
          const before = cpu.icount;
          const stop = run(cpu, k);
          if (stop.kind !== 'limit') {
            expect(stop.kind).toBe('hlt');
            break;
          }
          expect(cpu.icount - before).toBe(k);
          trace.push([cpu.icount, cpu.eip, cpu.regs[0], cpu.regs[1], cpu.regs[3], cpu.regs[7]]);
        }
        return trace;
      },
    );
    expectSameRuns(r);
    expect(r.on.state.icount).toBe(BUDGET_TOTAL);
    // Cutting the run into chunks changes nothing: the same end state as one uninterrupted run.
    const whole = flatGuest(BUDGET_GUEST, { blocks: true });
    expect(runToEnd(whole)).toEqual({ kind: 'hlt' });
    expect(finalState(whole.cpu)).toEqual(r.on.state);
  });

  // Budgets around block boundaries once both loops are hot: every phase of the hot loop's
  // pass after 100 passes, the end of its last passes, the long loop after 200 passes around
  // its split at MAX_BLOCK and its end, one short of the whole program, and the whole program.
  const afterHot = BUDGET_PROLOGUE + 3000 * HOT_BODY + 1;
  const budgets = [
    ...Array.from({ length: HOT_BODY + 1 }, (_, j) => BUDGET_PROLOGUE + 100 * HOT_BODY + j),
    ...Array.from({ length: 3 }, (_, j) => BUDGET_PROLOGUE + 2999 * HOT_BODY + j + 5),
    ...[MAX_BLOCK - 1, MAX_BLOCK, MAX_BLOCK + 1, LONG_BODY - 1, LONG_BODY].map((j) => afterHot + 200 * LONG_BODY + j),
    BUDGET_TOTAL - 1,
    BUDGET_TOTAL,
  ];
  it.each(budgets)('a fresh machine given n = %i stops after exactly n, with the same state in both tiers', (n) => {
    const r = differential(
      (blocks) => flatGuest(BUDGET_GUEST, { blocks }),
      (g) => run(g.cpu, n),
    );
    expectSameRuns(r);
    expect(r.on.trace).toEqual(n === BUDGET_TOTAL ? { kind: 'hlt' } : { kind: 'limit' });
    expect(r.on.state.icount).toBe(n);
  });

  it('a budget far beyond the program ends at its HLT with the count of the whole program', () => {
    const r = differential((blocks) => flatGuest(BUDGET_GUEST, { blocks }), runToEnd);
    expectSameRuns(r);
    expect(r.on.trace).toEqual({ kind: 'hlt' });
    expect(r.on.state.icount).toBe(BUDGET_TOTAL);
  });
});

/** One delivered event as the onEvent hook saw it: vector, error code, kind, cpu.icount, cpu.eip (the return address). */
type SeenEvent = [number, number, string, number, number];

/** Record every event the CPU delivers, with the instruction count and EIP at that moment. */
function recordEvents(g: Guest): SeenEvent[] {
  const seen: SeenEvent[] = [];
  g.cpu.hooks.onEvent = (vector, errorCode, kind) => seen.push([vector, errorCode, kind, g.cpu.icount, g.cpu.eip]);
  return seen;
}

// ---------------------------------------------------------------------------------------------
// 2. Faults inside compiled blocks.

describe('a fault in the middle of a compiled block', () => {
  /**
   * Stores through an increasing pointer into 8 not-present pages; the #PF handler logs CR2,
   * the error code and the faulting EIP, maps the page by writing its PTE, and returns to
   * retry the store. Faults 1..7 each come after 1 024 iterations of the hot loop.
   */
  const PF_GUEST = `
LOG equ 0x30000
PT equ ${pteAddress(0)}
start:
  mov edi, 0x400000
  mov ecx, 8 * 1024
  mov ebp, LOG
  xor eax, eax
fill:
  add eax, 3
fault_at:
  mov [edi], eax
  add edi, 4
  dec ecx
  jnz fill
  hlt
pf:
  push eax
  push ebx
  mov eax, cr2
  mov [ebp], eax
  mov ebx, [esp + 8]
  mov [ebp + 4], ebx
  mov ebx, [esp + 12]
  mov [ebp + 8], ebx
  add ebp, 12
  mov ebx, eax
  shr ebx, 12
  and eax, 0xfffff000
  or eax, 3
  mov [PT + ebx*4], eax
  pop ebx
  pop eax
  add esp, 4
  iretd
`;
  const PF_HANDLER = 18;

  it('#PF: the handler sees the faulting store, CR2 and error code; the count is exact; both tiers agree', () => {
    const r = differential(
      (blocks) => {
        const g = flatGuest(PF_GUEST, { blocks, paging: true, gates: { [Vector.PF]: 'pf' } });
        for (let p = 0; p < 8; p++) g.cpu.memory.write32(pteAddress(0x400000 + p * 4096), 0);
        return g;
      },
      (g) => {
        const seen = recordEvents(g);
        return { stop: runToEnd(g), seen };
      },
    );
    expectSameRuns(r);
    const g = r.on.guest;
    const faultAt = g.sym('fault_at');
    expect(r.on.trace.stop).toEqual({ kind: 'hlt' });
    // Fault k comes in iteration 1024k, after its ADD, with k handlers run before it.
    expect(r.on.trace.seen).toEqual(
      Array.from({ length: 8 }, (_, k): SeenEvent => [Vector.PF, 2, 'exception', 4 + 1024 * k * 5 + 1 + k * PF_HANDLER, faultAt]),
    );
    for (let k = 0; k < 8; k++) {
      const log = 0x30000 + 12 * k;
      expect([g.cpu.memory.read32(log) >>> 0, g.cpu.memory.read32(log + 4), g.cpu.memory.read32(log + 8) >>> 0]).toEqual([0x400000 + k * 4096, 2, faultAt]);
    }
    expect(g.cpu.memory.read32(0x400000 + 4 * 8191) >>> 0).toBe(3 * 8192);
    expect(r.on.state.icount).toBe(4 + 8192 * 5 + 1 + 8 * PF_HANDLER);
    expect(r.on.state.cr2).toBe(0x407000);
  });

  /**
   * Divides by a counter that runs down to 0; the #DE handler logs the faulting EIP, sets the
   * divisor to 200 and returns to retry the DIV. Three faults, each after hundreds of passes.
   */
  const DE_GUEST = `
LOG equ 0x30000
DE_COUNT equ 0x30100
TSC equ 0x30200
start:
  mov ecx, 300
  mov ebx, 1000003
  xor esi, esi
  mov ebp, LOG
divloop:
  add edi, 1
  rdtsc
  mov [TSC], eax
  mov eax, ebx
  xor edx, edx
div_at:
  div ecx
  add esi, eax
  add esi, edx
  dec ecx
  cmp dword [DE_COUNT], 3
  jb divloop
  hlt
de:
  inc dword [DE_COUNT]
  push eax
  mov eax, [esp + 4]
  mov [ebp], eax
  add ebp, 4
  pop eax
  mov ecx, 200
  iretd
`;

  it('#DE: the handler sees the DIV as the faulting instruction; the count is exact; both tiers agree', () => {
    const r = differential(
      (blocks) => flatGuest(DE_GUEST, { blocks, gates: { [Vector.DE]: 'de' } }),
      (g) => {
        const seen = recordEvents(g);
        return { stop: runToEnd(g), seen };
      },
    );
    expectSameRuns(r);
    const g = r.on.guest;
    const divAt = g.sym('div_at');
    // A pass is 11 instructions, 5 before the DIV (the RDTSC among them: the block brings the
    // count up to date there, which unwinding after the fault must take into account).
    // 300 passes, then every fault is followed by the handler (8), the rest of the retried
    // pass (6) and 199 passes.
    const PASS = 11, BEFORE_DIV = 5, HANDLER = 8, REST = PASS - BEFORE_DIV;
    const at = (k: number): number => 4 + 300 * PASS + BEFORE_DIV + k * (HANDLER + REST + 199 * PASS + BEFORE_DIV);
    expect(r.on.trace.seen).toEqual([0, 1, 2].map((k): SeenEvent => [Vector.DE, -1, 'exception', at(k), divAt]));
    expect([0, 4, 8].map((o) => g.cpu.memory.read32(0x30000 + o) >>> 0)).toEqual([divAt, divAt, divAt]);
    expect(r.on.state.icount).toBe(at(2) + HANDLER + REST + 1);
    // The last RDTSC is the second instruction of the pass whose DIV faulted last.
    expect(g.cpu.memory.read32(0x30200)).toBe(at(2) - BEFORE_DIV + 1);
    // ESI = sum of quotient + remainder over the divisors 300..1, 200..1, 200..1, 200.
    const divisors = [...range(300, 1), ...range(200, 1), ...range(200, 1), 200];
    const esi = divisors.reduce((s, d) => (s + Math.floor(1000003 / d) + (1000003 % d)) >>> 0, 0);
    expect(r.on.state.regs[6]).toBe(esi);
  });
});

/** from, from-1, ..., to */
function range(from: number, to: number): number[] {
  return Array.from({ length: from - to + 1 }, (_, k) => from - k);
}

// ---------------------------------------------------------------------------------------------
// 3. Self-modifying code.

describe('self-modifying code in a hot loop (SDM Vol. 3A §11.6)', () => {
  /**
   * Each pass stores through EDI, which CMOVZ points at scratch memory except on chosen
   * passes, where it points at an instruction's immediate instead (so the stores happen
   * from inside the compiled block):
   *   P1's immediate, an instruction earlier in the same block and 64-byte line: the new
   *     value counts from the next pass;
   *   P2's immediate, the instruction right after the store: counts in this very pass;
   *   P3's immediate, in a subroutine on the next page (another block): counts at the call
   *     that follows in this pass.
   * The passes are spaced so the code is hot (blocks recompiled) again before each patch.
   */
  const SMC_GUEST = `
SCRATCH equ 0x30000
start:
  mov ecx, 2000
  mov esi, p1_end - 4
  mov ebp, p2_end - 4
  mov ebx, p3_end - 4
  xor eax, eax
  xor edx, edx
smc:
p1:
  add eax, strict dword 1
p1_end:
  mov edi, ecx
  and edi, 127
  mov edi, SCRATCH
  cmovz edi, esi
  mov [edi], ecx
  mov edi, ecx
  and edi, 127
  cmp edi, 64
  mov edi, SCRATCH
  cmovz edi, ebp
  mov [edi], ecx
p2:
  add edx, strict dword 1
p2_end:
  mov edi, ecx
  and edi, 255
  cmp edi, 32
  mov edi, SCRATCH
  cmovz edi, ebx
  mov [edi], ecx
  call sub_
  dec ecx
  jnz smc
  hlt
  times 0x1000 - ($ - $$) db 0xcc
sub_:
p3:
  mov edi, strict dword 1
p3_end:
  add [SCRATCH + 8], edi
  ret
`;

  it('a patched immediate takes effect at the next execution, the same in both tiers', () => {
    const r = differential(
      (blocks) => flatGuest(SMC_GUEST, { blocks }),
      (g) => ({ stop: runToEnd(g), invalidated: codeCache(g.cpu).invalidations > 0 }),
    );
    expectSameRuns(r);
    expect(r.on.trace).toEqual({ stop: { kind: 'hlt' }, invalidated: true });
    expect(r.on.guest.sym('sub_') >>> 12).not.toBe(r.on.guest.sym('p2') >>> 12);
    // The architectural result, worked out independently.
    let i1 = 1, i2 = 1, i3 = 1, eax = 0, edx = 0, sum = 0;
    for (let c = 2000; c > 0; c--) {
      eax += i1;
      if ((c & 127) === 0) i1 = c;
      if ((c & 127) === 64) i2 = c;
      edx += i2;
      if ((c & 255) === 32) i3 = c;
      sum += i3;
    }
    expect([r.on.state.regs[0], r.on.state.regs[2], r.on.guest.cpu.memory.read32(0x30008)]).toEqual([eax, edx, sum]);
    expect(eax).not.toBe(2000); // the patches did change something
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Instructions that read or set the instruction count.

describe('the instruction count as instructions, devices and hooks see it inside blocks', () => {
  const TSC_OFFSET = 123_456;
  /**
   * RDTSC twice per pass of a hot loop (the values and their difference are stored), then
   * a loop that sets the TSC with WRMSR and reads it back two instructions later.
   */
  const TSC_GUEST = `
start:
  mov ebp, 500
  mov edi, 0x30000
tsc:
  add ebx, 1
  rdtsc
  mov [edi], eax
  mov [edi + 4], edx
  add ebx, eax
  imul esi, ebx, 3
  rdtsc
  sub eax, [edi]
  mov [edi + 8], eax
  add edi, 12
  dec ebp
  jnz tsc
  mov ebp, 300
wr:
  mov ecx, 0x10
  mov eax, ebp
  shl eax, 8
  xor edx, edx
  add ebx, 1
  wrmsr
  add ebx, 1
  rdtsc
  mov [edi], eax
  add edi, 4
  dec ebp
  jnz wr
  hlt
`;

  it('RDTSC returns the count of instructions retired before it; WRMSR to the TSC sets it at that instruction', () => {
    const r = differential(
      (blocks) => {
        const g = flatGuest(TSC_GUEST, { blocks });
        g.cpu.tscOffset = TSC_OFFSET;
        return g;
      },
      runToEnd,
    );
    expectSameRuns(r);
    const mem = r.on.guest.cpu.memory;
    for (let i = 0; i < 500; i++) {
      const at = 0x30000 + 12 * i;
      expect([mem.read32(at), mem.read32(at + 4), mem.read32(at + 8)]).toEqual([TSC_OFFSET + 2 + 12 * i + 1, 0, 5]);
    }
    for (let j = 0; j < 300; j++) expect(mem.read32(0x30000 + 6000 + 4 * j)).toBe(((300 - j) << 8) + 2);
  });

  /**
   * A hot loop with an IN from a device whose value depends on the instruction count, and
   * an OUT to a port that varies with the counter (0x80..0x8F); port 0x80 is watched.
   */
  const IO_GUEST = `
start:
  mov ecx, 1000
io:
  add ebx, ecx
  in al, 0x90
  add esi, eax
  mov edx, ecx
  and edx, 15
  add edx, 0x80
  out dx, al
after_out:
  add ebx, eax
  dec ecx
  jnz io
done:
  hlt
`;

  it('an OUT to a watched port stops the run just past it with the exact count; devices see the exact count; resuming continues', () => {
    const r = differential(
      (blocks) => flatGuest(IO_GUEST, { blocks }),
      (g) => {
        const cpu = g.cpu;
        const accesses: number[][] = [];
        cpu.io.register(0x80, 0x11, 'icount probe', {
          in: (port) => {
            accesses.push([port, cpu.icount]);
            return (cpu.icount * 7) & 0xff;
          },
          out: (port, _size, value) => void accesses.push([port, cpu.icount, value]),
        });
        cpu.watchedPorts.add(0x80);
        const stops: unknown[] = [];
        for (;;) {
          const stop = run(cpu, 1_000_000);
          stops.push([stop, cpu.icount, cpu.eip]);
          if (stop.kind !== 'io') break;
        }
        return { stops, accesses };
      },
    );
    expectSameRuns(r);
    const afterOut = r.on.guest.sym('after_out');
    // Pass i (ECX = 1000 - i) starts at count 1 + 10i; its IN is its 2nd instruction, its OUT its 7th.
    const watched = range(999, 0).filter((i) => (1000 - i) % 16 === 0).reverse();
    expect(r.on.trace.stops).toEqual([
      ...watched.map((i) => [{ kind: 'io', port: 0x80, write: true }, 1 + 10 * i + 7, afterOut]),
      [{ kind: 'hlt' }, 1 + 10 * 1000 + 1, r.on.guest.sym('done') + 1],
    ]);
    const expected: number[][] = [];
    for (let i = 0; i < 1000; i++) {
      expected.push([0x90, 1 + 10 * i + 1]);
      expected.push([0x80 + ((1000 - i) & 15), 1 + 10 * i + 6, ((1 + 10 * i + 1) * 7) & 0xff]);
    }
    expect(r.on.trace.accesses).toEqual(expected);
  });

  /** INT n, INT3, INTO and INT1 in a hot loop: each ends a block; the hooks see them. */
  const INT_GUEST = `
start:
  mov ecx, 500
l:
  add eax, 1
  add ebx, eax
  int 0x30
after_int30:
  add eax, 2
  int3
after_int3:
  mov edx, 0x7fffffff
  add edx, 1
  into
after_into:
  xor edx, edx
  int1
after_int1:
  dec ecx
  jnz l
  hlt
h:
  iretd
`;

  it('software interrupts: the hooks see the exact count and the return address', () => {
    const r = differential(
      (blocks) => flatGuest(INT_GUEST, { blocks, gates: { 0x30: 'h', [Vector.BP]: 'h', [Vector.OF]: 'h', [Vector.DB]: 'h' } }),
      (g) => {
        const seen = recordEvents(g);
        return { stop: runToEnd(g), seen };
      },
    );
    expectSameRuns(r);
    const g = r.on.guest;
    // Per pass: 12 instructions of the loop and 4 IRETDs; the events come after 2, 5, 9 and 12 of them.
    const expected: SeenEvent[] = [];
    for (let i = 0; i < 500; i++) {
      const base = 1 + 16 * i;
      expected.push([0x30, -1, 'software', base + 2, g.sym('after_int30')]);
      expected.push([Vector.BP, -1, 'software', base + 5, g.sym('after_int3')]);
      expected.push([Vector.OF, -1, 'software', base + 9, g.sym('after_into')]);
      expected.push([Vector.DB, -1, 'exception', base + 12, g.sym('after_int1')]);
    }
    expect(r.on.trace.seen).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. HLT and interrupt shadows.

/**
 * Run in chunks of 1, 2, … 23 instructions (the machine polls its devices between runs),
 * or, with `chunked` false, with budgets far beyond the guest's needs, recording every
 * stop. On HLT the machine lets time pass until the timer is due. Ends at the HLT at
 * label `done`.
 */
function driveWithTimer(g: Guest, line: TimerLine, chunked = true): { stops: unknown[]; seen: SeenEvent[] } {
  const cpu = g.cpu;
  cpu.intr = line;
  const seen = recordEvents(g);
  const stops: unknown[] = [];
  const done = g.sym('done') + 1;
  for (let k = 1; ; k = (k % 23) + 1) {
    const stop = run(cpu, chunked ? k : 50_000_000);
    if (stop.kind === 'limit') continue;
    stops.push([stop.kind, cpu.icount, cpu.eip]);
    expect(stop.kind).toBe('hlt');
    if (cpu.eip === done) break;
    line.next = cpu.icount;
  }
  return { stops, seen };
}

describe('HLT and the STI / MOV SS / POP SS interrupt shadows in hot loops', () => {
  const IRQ = 0x20;

  const HLT_GUEST = `
start:
  sti
  mov ecx, 400
hl:
  add eax, ecx
  xor ebx, eax
  hlt
after_hlt:
  add esi, 1
  dec ecx
  jnz hl
  cli
done:
  hlt
irq:
  inc edi
  iretd
`;

  it('HLT inside a hot loop stops the run (or is woken by a due interrupt) at the same points in both tiers', () => {
    const r = differential(
      (blocks) => flatGuest(HLT_GUEST, { blocks, gates: { [IRQ]: 'irq' } }),
      (g) => {
        const line = new TimerLine(g.cpu, IRQ, [37, 2, 3, 150]);
        line.next = 50;
        return driveWithTimer(g, line);
      },
    );
    expectSameRuns(r);
    const g = r.on.guest;
    const stops = r.on.trace.stops as [string, number, number][];
    // Each stop is a HLT of the loop (EIP just past it), then the final one.
    const afterHlt = g.sym('after_hlt');
    expect(stops.slice(0, -1).every(([, , eip]) => eip === afterHlt)).toBe(true);
    expect(stops[stops.length - 1][2]).toBe(g.sym('done') + 1);
    // Both cases occurred: HLTs that stopped the run, and HLTs woken at once by a due interrupt.
    expect(stops.length).toBeGreaterThan(100);
    expect(stops.length).toBeLessThan(401);
    // Every interrupt reached the handler, and the loop ran all its passes.
    expect(r.on.state.regs[7]).toBe(r.on.trace.seen.length);
    expect([r.on.state.regs[1], r.on.state.regs[6]]).toEqual([0, 400]);
  });

  /** IF is 1 only from the STI to the CLI two instructions later. */
  const STI_GUEST = `
start:
  mov ecx, 2000
sh:
  add eax, ecx
  sti
sti_next:
  add ebx, 1
sti_after:
  cli
  add esi, eax
  dec ecx
  jnz sh
done:
  hlt
irq:
  inc edi
  iretd
`;

  it.each([
    ['in chunks of 1..23 instructions', true],
    ['in one run', false],
  ])('STI, run %s: a due interrupt is taken only after the instruction that follows STI', (_, chunked) => {
    const r = differential(
      (blocks) => flatGuest(STI_GUEST, { blocks, gates: { [IRQ]: 'irq' } }),
      (g) => {
        const line = new TimerLine(g.cpu, IRQ, [97]);
        line.next = 30;
        return driveWithTimer(g, line, chunked);
      },
    );
    expectSameRuns(r);
    const seen = r.on.trace.seen;
    expect(seen.length).toBeGreaterThan(50);
    const after = r.on.guest.sym('sti_after');
    for (const [vector, , kind, , eip] of seen) expect([vector, kind, eip]).toEqual([IRQ, 'hardware', after]);
  });

  /** IF = 1 throughout; SS is reloaded by MOV SS and by POP SS in every pass. */
  const SS_GUEST = `
start:
  sti
  mov ecx, 2000
  mov edx, ss
ms:
  add eax, ecx
  mov ss, dx
ss_next:
  add ebx, 1
ss_after:
  xor edi, ebx
  push ss
  pop ss
pop_next:
  add esi, eax
pop_after:
  dec ecx
  jnz ms
  cli
done:
  hlt
irq:
  add ebp, 1
  iretd
`;

  it('MOV SS and POP SS: no interrupt is taken between them and the next instruction, and both tiers take each at the same point', () => {
    const r = differential(
      (blocks) => flatGuest(SS_GUEST, { blocks, gates: { [IRQ]: 'irq' } }),
      (g) => {
        const line = new TimerLine(g.cpu, IRQ, [41, 5, 13]);
        line.next = 20;
        return driveWithTimer(g, line);
      },
    );
    expectSameRuns(r);
    const g = r.on.guest;
    const seen = r.on.trace.seen;
    expect(seen.length).toBeGreaterThan(50);
    const shadowed = [g.sym('ss_next'), g.sym('pop_next')];
    for (const [, , , , eip] of seen) expect(shadowed).not.toContain(eip);
  });

  it('MOV SS and POP SS, one run: with IF = 1 throughout, a due interrupt is taken right after the instruction each shadow covers', () => {
    const r = differential(
      (blocks) => flatGuest(SS_GUEST, { blocks, gates: { [IRQ]: 'irq' } }),
      (g) => {
        const line = new TimerLine(g.cpu, IRQ, [41, 5, 13]);
        line.next = 20;
        return driveWithTimer(g, line, false);
      },
    );
    expectSameRuns(r);
    const g = r.on.guest;
    const seen = r.on.trace.seen;
    expect(seen.length).toBeGreaterThan(50);
    // Nothing else in the loop makes the executor look at INTR, so each interrupt is taken
    // where a shadow ends, and both kinds of shadow occur.
    const ends = seen.map(([, , , , eip]) => eip);
    expect(new Set(ends)).toEqual(new Set([g.sym('ss_after'), g.sym('pop_after')]));
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Breakpoints.

describe('breakpoints in an already-compiled hot loop', () => {
  const BP_GUEST = `
start:
  mov ecx, 1000
bp_head:
  add eax, ecx
  xor ebx, eax
bp_mid:
  add esi, ebx
  rol edi, 1
  dec ecx
  jnz bp_head
  hlt
`;
  const BODY = 6;
  const RESUMES = 2 * HOT_THRESHOLD;

  it.each([
    ['bp_head', 0],
    ['bp_mid', 2],
  ])('a breakpoint at %s (offset %i in the pass) stops before it, resume runs one pass, clearing lets the loop finish', (label, offset) => {
    const r = differential(
      (blocks) => flatGuest(BP_GUEST, { blocks }),
      (g) => {
        const cpu = g.cpu;
        const cache = codeCache(cpu);
        const linear = g.sym(label);
        const log: unknown[] = [];
        expect(run(cpu, 500)).toEqual({ kind: 'limit' });
        // The loop is hot: in the blocks-on run, its blocks exist before the breakpoint is set.
        if (cache.blocksEnabled) expect(cache.blocksCompiled).toBeGreaterThan(0);
        cache.setBreakpoints([linear]);
        const compiledBefore = cache.blocksCompiled;
        let stop = run(cpu, 1_000_000);
        log.push([stop, cpu.icount, cpu.eip]);
        // Enough resumes for the loop to get hot again with the breakpoint in place.
        for (let k = 0; k < RESUMES; k++) {
          stop = run(cpu, 1_000_000, { resume: true });
          log.push([stop, cpu.icount, cpu.eip]);
        }
        // A breakpoint inside the loop: the new blocks end before it (the loop still stops there).
        if (cache.blocksEnabled && offset > 0) expect(cache.blocksCompiled).toBeGreaterThan(compiledBefore);
        cache.setBreakpoints([]);
        log.push(run(cpu, 1_000_000));
        return log;
      },
    );
    expectSameRuns(r);
    const linear = r.on.guest.sym(label);
    // The first arrival at the breakpoint at or after count 500, then one pass per resume.
    let first = 500;
    while ((first - 1 - offset) % BODY !== 0) first++;
    expect(r.on.trace).toEqual([
      ...Array.from({ length: RESUMES + 1 }, (_, k) => [{ kind: 'breakpoint', linear }, first + k * BODY, linear]),
      { kind: 'hlt' },
    ]);
    // The same final state as without any breakpoint.
    const plain = flatGuest(BP_GUEST, { blocks: true });
    expect(runToEnd(plain)).toEqual({ kind: 'hlt' });
    expect(r.on.state).toEqual(finalState(plain.cpu));
  });
});

// ---------------------------------------------------------------------------------------------
// 8. 16-bit code.

describe('blocks in 16-bit (real-address mode) code', () => {
  /** A hot loop of 16-bit code with memory through DS, CALL/RET, PUSH/POP, LOOP and a 66h-prefixed instruction. */
  const REAL_GUEST = `
start:
  mov ax, 0x2000
  mov ds, ax
  mov cx, 3000
  xor si, si
  xor di, di
  xor bx, bx
l16:
  add ax, cx
  mov [si], ax
  add si, 2
  and si, 0x0ffe
  adc di, ax
  call sub16
  o32 add ebx, eax
  lea bp, [bx + si + 3]
  push bp
  pop dx
  loop l16
  mov cx, 500
l16b:
  inc word [0x1000]
  add dx, [si]
  jnz near l16b_next
  nop
l16b_next:
  dec cx
  jnz near l16b
done:
  hlt
sub16:
  xor dx, ax
  ret
`;

  it('a 16-bit hot loop run in chunks of 1..40 instructions stops at the same IPs and ends in the same state in both tiers', () => {
    const r = differential(
      (blocks) => realGuest(REAL_GUEST, { blocks, cs: 0x1000 }),
      (g) => {
        const cpu = g.cpu;
        const trace: number[][] = [];
        for (let k = 1; ; k = (k % 40) + 1) {
          const before = cpu.icount;
          const stop = run(cpu, k);
          if (stop.kind !== 'limit') {
            expect(stop.kind).toBe('hlt');
            break;
          }
          expect(cpu.icount - before).toBe(k);
          trace.push([cpu.icount, cpu.eip, cpu.regs[0], cpu.regs[4], cpu.regs[6]]);
        }
        return trace;
      },
    );
    expectSameRuns(r);
    expect(r.on.state.eip).toBe(r.on.guest.sym('done') + 1);
    expect(r.on.guest.cpu.memory.read16(0x21000)).toBe(500);
    expect(r.on.state.icount).toBe(6 + 3000 * 13 + 1 + 500 * 5 + 1);
  });

  /**
   * A hot loop at the very top of the segment: INC BX, INC SI, then `last`, which ends at
   * IP 10000h. The fall-through IP is not truncated (a 386+ does not wrap it, only branch
   * targets are truncated), so the next fetch lies beyond the CS limit and raises #GP(0)
   * through the IVT (vector 13 → gp16, which counts it and continues at `wrapped`). The
   * block tier must do the same: it used to wrap IP to 0 once the loop was hot.
   */
  const wrapGuest = (last: string, lastLen: number): string => `
wrapped:
  dec cx
  jnz top
  hlt
gp16:
  inc word [0x600]
  add sp, 6
  jmp wrapped
start:
  mov cx, 300
  jmp top
  times 0x10000 - 2 - ${lastLen} - ($ - $$) db 0xf4
top:
  inc bx
  inc si
  ${last}
`;

  it.each([
    ['inc ax', 1],
    ['o32 inc eax', 2],
  ])('IP at the top of the segment: a hot loop whose straight line ends with %s at IP 10000h does what the interpreter does', (last, len) => {
    const r = differential(
      (blocks) => {
        const g = realGuest(wrapGuest(last, len), { blocks, cs: 0x1000 });
        g.cpu.memory.write16(Vector.GP * 4, g.sym('gp16'));
        g.cpu.memory.write16(Vector.GP * 4 + 2, 0x1000);
        return g;
      },
      (g) => {
        const seen = recordEvents(g);
        return { stop: runToEnd(g), seen: seen.length, gp: g.cpu.memory.read16(0x600) };
      },
    );
    expectSameRuns(r);
    expect(r.on.trace.stop).toEqual({ kind: 'hlt' });
    expect(r.on.state.regs[3] & 0xffff).toBe(300);
  });
});

// ---------------------------------------------------------------------------------------------
// 9. A CS limit inside a block.

describe('a CS limit smaller than a compiled block', () => {
  /** Selector of a ring-0 32-bit code segment, base 0, byte-granular limit set per test. */
  const LIMITED_CS = 0x28;
  const limitedCode = (g: Guest, limit: number): void => {
    const cpu = g.cpu;
    const [lo, hi] = encodeDescriptor(0, limit, AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB);
    cpu.memory.write32(cpu.gdtr.base + LIMITED_CS, lo);
    cpu.memory.write32(cpu.gdtr.base + LIMITED_CS + 4, hi);
    cpu.gdtr.limit = LIMITED_CS + 7;
  };

  /**
   * The inner loop runs hot in the flat segment (its block spans LIM_INSN), then is entered
   * again in the limited segment, whose limit ends inside LIM_INSN: #GP(0) there; the
   * handler resumes LIM_INSN in the flat segment.
   */
  const LIMIT_GUEST = `
start:
  mov ebp, 20
outer:
  mov ecx, 100
  jmp ${LIMITED_CS}:inner
inner:
  add eax, ecx
  xor ebx, eax
  rol esi, 3
lim_insn:
  add esi, 0x12345678
  dec ecx
  jnz inner
  jmp 0x08:back
back:
  dec ebp
  jnz outer
  hlt
gp:
  mov dword [esp + 8], 0x08
  add esp, 4
  iretd
`;

  it('a block compiled under a larger limit is not run past the limit: #GP(0) exactly where the interpreter raises it', () => {
    const r = differential(
      (blocks) => {
        const g = flatGuest(LIMIT_GUEST, { blocks, gates: { [Vector.GP]: 'gp' } });
        limitedCode(g, g.sym('lim_insn') + 2);
        return g;
      },
      (g) => {
        const seen = recordEvents(g);
        return { stop: runToEnd(g), seen };
      },
    );
    expectSameRuns(r);
    const lim = r.on.guest.sym('lim_insn');
    // Event k+1 comes 3 (handler) + 3 + 99 * 6 + 1 + 2 + 2 + 3 = 608 instructions after event k.
    expect(r.on.trace.seen).toEqual(Array.from({ length: 20 }, (_, k): SeenEvent => [Vector.GP, 0, 'exception', 6 + 608 * k, lim]));
    expect(r.on.state.icount).toBe(6 + 608 * 19 + 3 + 3 + 99 * 6 + 1 + 2 + 1);
  });

  /**
   * Now the head is hot while CS is the limited segment: the #GP handler returns to `inner`
   * in the same segment 200 times, so the block is built under the small limit.
   */
  const LIMIT_HOT_GUEST = `
start:
  xor edi, edi
  jmp ${LIMITED_CS}:inner
inner:
  add eax, 1
  xor ebx, eax
  rol esi, 3
lim_insn:
  add esi, 0x12345678
  hlt
gp:
  inc edi
  cmp edi, 200
  jae leave
  mov dword [esp + 4], inner
  add esp, 4
  iretd
leave:
  mov dword [esp + 8], 0x08
  add esp, 4
  iretd
`;

  it('a block built while CS has a small limit stops before it: #GP(0) at the instruction that crosses it, every time', () => {
    const r = differential(
      (blocks) => {
        const g = flatGuest(LIMIT_HOT_GUEST, { blocks, gates: { [Vector.GP]: 'gp' } });
        limitedCode(g, g.sym('lim_insn') + 2);
        return g;
      },
      (g) => {
        const seen = recordEvents(g);
        return { stop: runToEnd(g), seen };
      },
    );
    expectSameRuns(r);
    const lim = r.on.guest.sym('lim_insn');
    expect(r.on.trace.seen).toEqual(Array.from({ length: 200 }, (_, k): SeenEvent => [Vector.GP, 0, 'exception', 5 + 9 * k, lim]));
    expect(r.on.state.icount).toBe(5 + 9 * 199 + 6 + 2);
  });
});
