// Runs one IA-32 test vector (../shared/x86-vectors, format in its README.md) on a Vanderpool
// Cpu and reports the outcome in the shape compareVector expects.
//
// One Cpu is built and reused: constructing a Cpu allocates multi-MB TLB arrays, so every
// test only resets the state the vectors define. The machine is the one the vectors assume:
// 32-bit protected mode, CPL 0, paging off, CR0 = 0x11, flat CS = 0x08 (32-bit code) and
// DS = ES = SS = FS = GS = 0x10 (32-bit data, B = 1), IF = 0, and a GDT / IDT of 32-bit
// interrupt gates so exceptions are delivered as on the reference guest.
//
// Exceptions are observed through cpu.hooks.onEvent, which runs before delivery changes any
// state: the hook snapshots registers, EFLAGS and the scratch bytes there (the vectors'
// `final` for a faulting test is the state at the fault) and stops the run. If delivery
// happens without the hook being called, the IDT handlers (a HLT each, one per vector)
// still identify the vector, and the state is rebuilt from the interrupt frame.
//
// Each test's instruction is written to a fresh 16-byte slot of a code ring, so the
// executor's decoded-instruction cache never holds stale bytes; when the ring wraps, the
// cache is flushed once.
import { Cpu } from '../../emulator/cpu/cpu';
import { codeCache, step } from '../../emulator/cpu/executor';
import { getEflags } from '../../emulator/cpu/flags';
import { loadSegmentCache } from '../../emulator/cpu/segmentation';
import { PhysicalMemory } from '../../emulator/memory/physical-memory';
import { IoBus } from '../../emulator/memory/io-bus';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, encodeDescriptor, SegReg, SystemType } from '../../emulator/arch/segments';
import { CR0_ET, CR0_PE } from '../../emulator/arch/control-registers';
import { EFLAGS_FIXED1, EFLAGS_RF, EFLAGS_VM } from '../../emulator/arch/eflags';
import { pushesErrorCode } from '../../emulator/arch/exceptions';
import { VECTOR_REGS, type VectorResult, type VectorState, type VectorTest } from './vectors';

/** Physical layout of the test machine (all below 1 MiB; paging is off, so linear = physical). */
const RAM_BYTES = 1 << 20;
/** The scratch area every vector's memory operands use (README: always 0x6A30). */
export const SCRATCH_ADDR = 0x6a30;
export const SCRATCH_BYTES = 16;
const GDT_BASE = 0x8000;
const IDT_BASE = 0x8800;
const IDT_VECTORS = 32;
/** Handler of vector v: a HLT at HANDLER_BASE + v * HANDLER_STRIDE. */
const HANDLER_BASE = 0x9000;
const HANDLER_STRIDE = 8;
/** The code ring: one 16-byte slot per test (an instruction is at most 15 bytes). */
const CODE_BASE = 0x10000;
const CODE_END = 0xf0000;
const CODE_SLOT = 16;

const CODE_SELECTOR = 0x08;
const DATA_SELECTOR = 0x10;
const CODE_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const FLAT_LIMIT = 0xffffffff;
/** CR0 of the reference guest: PE | ET. */
const VECTOR_CR0 = CR0_PE | CR0_ET;
/** Bits PUSHFD clears in its image (the vectors' final.eflags is a PUSHFD image). */
const PUSHFD_HIDDEN = EFLAGS_RF | EFLAGS_VM;

/** A vector run's outcome: the compared state, plus what went wrong outside the compared state, if anything. */
export interface VectorOutcome extends VectorResult {
  /**
   * Set when the run went wrong in a way the state comparison may not show: a host error
   * thrown by the emulator, a shutdown, a HLT outside the IDT handlers. The test fails.
   */
  error?: string;
}

function hexInto(hex: string, out: Uint8Array, at: number): number {
  const n = hex.length >> 1;
  for (let k = 0; k < n; k++) out[at + k] = parseInt(hex.substr(2 * k, 2), 16);
  return n;
}

/**
 * A test of the vectors' shape for one instruction, for hand-written unit tests: registers
 * default to 0, ESP to 0x7000, EFLAGS to 0x2 and the scratch bytes to zeros. Only `initial`
 * is meaningful; `final` is a copy of it.
 */
export function makeTest(bytes: string, initial: Partial<VectorState> = {}): VectorTest {
  const state: VectorState = {
    eax: 0, ecx: 0, edx: 0, ebx: 0, esp: 0x7000, ebp: 0, esi: 0, edi: 0,
    eflags: EFLAGS_FIXED1, mem: '00'.repeat(SCRATCH_BYTES), mem_addr: SCRATCH_ADDR,
    ...initial,
  };
  return { name: `bytes ${bytes}`, bytes, initial: state, final: { ...state }, exception: null, undefined_flags: 0, undefined_regs: [] };
}

/** One reusable CPU set up as the vectors assume. */
export class VectorCpu {
  readonly memory = new PhysicalMemory(RAM_BYTES);
  readonly cpu = new Cpu(this.memory, new IoBus());
  private slot = CODE_BASE;
  private readonly codeEnd: number;
  // Exception snapshot taken by the onEvent hook.
  private eventVector = -1;
  private readonly snapRegs = new Int32Array(8);
  private snapFlags = 0;
  private readonly snapMem = new Uint8Array(SCRATCH_BYTES);

  /** @param codeSlots size of the code ring in instructions (tests use a small ring to exercise the wrap). */
  constructor(codeSlots = (CODE_END - CODE_BASE) / CODE_SLOT) {
    this.codeEnd = CODE_BASE + Math.min(codeSlots, (CODE_END - CODE_BASE) / CODE_SLOT) * CODE_SLOT;
    const ram = this.memory.ram;
    const view = this.memory.view;
    // GDT: null, flat 32-bit code (0x08), flat 32-bit data (0x10).
    const code = encodeDescriptor(0, 0xfffff, CODE_AR);
    const data = encodeDescriptor(0, 0xfffff, DATA_AR);
    view.setInt32(GDT_BASE + 8, code[0], true);
    view.setInt32(GDT_BASE + 12, code[1], true);
    view.setInt32(GDT_BASE + 16, data[0], true);
    view.setInt32(GDT_BASE + 20, data[1], true);
    // IDT: 32-bit interrupt gates (P = 1, DPL = 0) to one HLT per vector.
    for (let v = 0; v < IDT_VECTORS; v++) {
      const handler = HANDLER_BASE + v * HANDLER_STRIDE;
      ram[handler] = 0xf4; // HLT
      view.setInt32(IDT_BASE + v * 8, (CODE_SELECTOR << 16) | (handler & 0xffff), true);
      view.setInt32(IDT_BASE + v * 8 + 4, (handler & 0xffff0000) | ((AR_P | SystemType.INTERRUPT_GATE32) << 8), true);
    }
    this.cpu.hooks.onEvent = (vector, _errorCode, kind) => {
      if (kind !== 'exception' || this.eventVector >= 0) return;
      this.eventVector = vector;
      this.snapRegs.set(this.cpu.regs.subarray(0, 8));
      this.snapFlags = getEflags(this.cpu);
      this.snapMem.set(this.cpu.ram8.subarray(SCRATCH_ADDR, SCRATCH_ADDR + SCRATCH_BYTES));
      this.cpu.requestStop('vector test: exception raised');
    };
  }

  /** Put the machine in the state the vectors assume, with `test.initial` loaded and the instruction at CS:EIP. */
  private load(test: VectorTest): void {
    const cpu = this.cpu;
    const init = test.initial;
    cpu.cr0 = VECTOR_CR0;
    cpu.cr3 = 0;
    cpu.cr4 = 0;
    cpu.gdtr.base = GDT_BASE;
    cpu.gdtr.limit = 3 * 8 - 1;
    cpu.idtr.base = IDT_BASE;
    cpu.idtr.limit = IDT_VECTORS * 8 - 1;
    loadSegmentCache(cpu, SegReg.CS, CODE_SELECTOR, 0, FLAT_LIMIT, CODE_AR);
    for (const seg of [SegReg.ES, SegReg.SS, SegReg.DS, SegReg.FS, SegReg.GS]) {
      loadSegmentCache(cpu, seg, DATA_SELECTOR, 0, FLAT_LIMIT, DATA_AR);
    }
    cpu.halted = false;
    cpu.shutdown = false;
    cpu.nmiPending = false;
    cpu.nmiBlocked = false;
    cpu.shadowUntil = -1;
    cpu.stopReason = null;
    cpu.intr = null;
    for (let r = 0; r < 8; r++) cpu.regs[r] = init[VECTOR_REGS[r]];
    cpu.flags = (init.eflags | EFLAGS_FIXED1) >>> 0;
    cpu.lazyMask = 0;
    hexInto(init.mem, cpu.ram8, SCRATCH_ADDR);

    if (this.slot + CODE_SLOT > this.codeEnd) {
      this.slot = CODE_BASE;
      codeCache(cpu).flush();
    }
    const at = this.slot;
    this.slot += CODE_SLOT;
    const len = hexInto(test.bytes, cpu.ram8, at);
    if (len === 0 || len > 15) throw new Error(`${test.name}: instruction of ${len} bytes`);
    cpu.ram8.fill(0x90, at + len, at + CODE_SLOT); // NOPs after it: what the executor may look ahead at
    cpu.eip = at;
    this.eventVector = -1;
  }

  /**
   * Run `test`'s instruction once and return the resulting state (or the exception and the
   * state at the fault). `prepare`, when given, may adjust the machine after the test's
   * state is loaded (unit tests use it, e.g. to shrink a segment limit).
   */
  run(test: VectorTest, prepare?: (cpu: Cpu) => void): VectorOutcome {
    const cpu = this.cpu;
    this.load(test);
    prepare?.(cpu);
    let error: string | undefined;
    try {
      const stop = step(cpu);
      if (this.eventVector < 0 && stop.kind !== 'limit' && stop.kind !== 'hlt') error = `run stopped: ${JSON.stringify(stop)}`;
    } catch (e) {
      error = `host error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    if (this.eventVector >= 0) return this.snapshotOutcome(error);
    const handler = cpu.eip - 1 - HANDLER_BASE; // EIP after the handler's HLT
    if (cpu.halted && handler >= 0 && handler < IDT_VECTORS * HANDLER_STRIDE && handler % HANDLER_STRIDE === 0) {
      return this.frameOutcome(handler / HANDLER_STRIDE, error);
    }
    if (cpu.halted) error ??= 'the CPU halted outside the IDT handlers';
    return this.currentOutcome(error, null);
  }

  private currentOutcome(error: string | undefined, exception: number | null): VectorOutcome {
    const cpu = this.cpu;
    const r = cpu.regs;
    return {
      eax: r[0], ecx: r[1], edx: r[2], ebx: r[3], esp: r[4], ebp: r[5], esi: r[6], edi: r[7],
      eflags: (getEflags(cpu) & ~PUSHFD_HIDDEN) >>> 0,
      mem: cpu.ram8.slice(SCRATCH_ADDR, SCRATCH_ADDR + SCRATCH_BYTES),
      exception,
      ...(error !== undefined ? { error } : {}),
    };
  }

  private snapshotOutcome(error: string | undefined): VectorOutcome {
    const r = this.snapRegs;
    return {
      eax: r[0], ecx: r[1], edx: r[2], ebx: r[3], esp: r[4], ebp: r[5], esi: r[6], edi: r[7],
      eflags: (this.snapFlags & ~PUSHFD_HIDDEN) >>> 0,
      mem: this.snapMem.slice(),
      exception: this.eventVector,
      ...(error !== undefined ? { error } : {}),
    };
  }

  /** The state at the fault rebuilt from the interrupt frame [error code,] EIP, CS, EFLAGS (no hook call seen). */
  private frameOutcome(vector: number, error: string | undefined): VectorOutcome {
    const cpu = this.cpu;
    const out = this.currentOutcome(error, vector);
    const frame = (cpu.regs[4] + (pushesErrorCode(vector) ? 4 : 0)) >>> 0;
    out.esp = (frame + 12) | 0;
    out.eflags = (this.memory.view.getUint32(frame + 8, true) & ~PUSHFD_HIDDEN) >>> 0;
    return out;
  }
}
