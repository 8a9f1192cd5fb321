/**
 * The block tier: compiles a hot run of decoded instructions into one JavaScript function.
 *
 * The interpreter (executor.ts) calls each instruction's handler through one shared call
 * site, which V8 sees as megamorphic, and pays the loop's bookkeeping per instruction.
 * A compiled block calls the same handlers, with the same decoded `Insn` records, but from
 * a function generated for that block alone: each call site there sees exactly one handler,
 * so V8 inlines it, and the bookkeeping (EIP, instruction count) is done with constants.
 * Semantics stay in the handlers: nothing about an instruction is re-implemented here.
 *
 * A block is straight-line code inside one physical page: it ends after a control transfer
 * (BRANCH/FAR), after a REP string instruction (which may re-execute itself), at the page
 * end, before an invalid encoding, before a breakpoint, or after MAX_BLOCK instructions.
 *
 * Contract with the handlers, as for the interpreter: `cpu.eip` holds the next
 * instruction's EIP when a handler runs (except for "pure" register-only instructions,
 * which neither fault nor read EIP, so the block skips that store); a handler that faults changes nothing (so the
 * executor finds the faulting instruction from `cpu.eip`); a handler that changes
 * something the executor must re-examine sets `cpu.breakBlock`, after which the block
 * returns at once. Instructions that read the instruction count see it exact: the block
 * brings `cpu.icount` up to date before them (READS_ICOUNT). Not covered: a memory operand
 * that reaches an MMIO device inside a block, whose handler would see the count as of the
 * block's last update (no MMIO device of this machine reads the count).
 */
import { Attr } from './decoder/types';
import type { Insn } from './decoder/insn';
import { PFX_REP, PFX_REPNE } from './decoder/insn';
import { hasModrm } from './decoder/decoder';
import type { Cpu } from './cpu';

/** Longest block, in instructions. */
export const MAX_BLOCK = 48;

/** Executions of a block head before it is compiled. */
export const HOT_THRESHOLD = 64;

/**
 * A compiled block: runs from `entryEip`; a self-looping block (one whose last instruction
 * jumps back to its entry) iterates while `budget` (instructions still allowed) covers
 * another pass and nothing set cpu.breakBlock.
 */
export type BlockFn = (cpu: Cpu, entryEip: number, budget: number) => void;

/** A compiled block and what the executor needs to run it and to recover from a fault inside it. */
export class CompiledBlock {
  /** Instructions, in order. */
  readonly n: number;
  /** Bytes covered (for the CS-limit check at entry). */
  readonly bytes: number;
  /** Start offset of instruction k from the entry EIP. */
  readonly starts: Int32Array;
  /** End offset (offset of the next instruction) of instruction k. */
  readonly ends: Int32Array;
  /** Instructions already added to cpu.icount when instruction k starts. */
  readonly synced: Int32Array;
  /** Links to what follows the block, as for Insn (valid while the generation is current). */
  next: Insn | null = null;
  nextEip = -1;
  nextGen = 0;
  target: Insn | null = null;
  targetEip = -1;
  targetGen = 0;

  constructor(
    readonly fn: BlockFn,
    insns: readonly Insn[],
    synced: number[],
  ) {
    this.n = insns.length;
    this.starts = new Int32Array(this.n);
    this.ends = new Int32Array(this.n);
    let off = 0;
    insns.forEach((i, k) => {
      this.starts[k] = off;
      off += i.len;
      this.ends[k] = off;
    });
    this.bytes = off;
    this.synced = Int32Array.from(synced);
  }
}

/**
 * Opcodes whose handlers read cpu.icount, themselves or through what they call (see the
 * file header): RDTSC, RDMSR and WRMSR (the TSC is icount + tscOffset, msr.ts), STI / MOV SS
 * / POP SS (they start an interrupt shadow), IN / OUT / INS / OUTS (the device or the I/O
 * bus observer may time itself by the count), and INT n / INT3 / INTO / INT1 (delivery calls
 * the event hooks, which may read it).
 */
const READS_ICOUNT = new Set([
  0x0f31, 0x0f32, 0x0f30, // RDTSC, RDMSR, WRMSR
  0xfb, 0x8e, 0x17, // STI, MOV Sreg, POP SS
  0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f, // IN, OUT, INS, OUTS
  0xcc, 0xcd, 0xce, 0xf1, // INT3, INT n, INTO, INT1
]);

/**
 * Opcodes without ModRM that touch nothing but registers and flags, so they can neither
 * write memory (and so invalidate code) nor set cpu.breakBlock.
 */
function registerOnlyNoModrm(op: number): boolean {
  return (
    (op >= 0x40 && op <= 0x4f) || // INC/DEC r
    (op >= 0x90 && op <= 0x99) || // NOP, XCHG r,eAX, CBW, CWD
    (op >= 0xb0 && op <= 0xbf) || // MOV r, imm
    (op & 0xc7) === 0x04 || (op & 0xc7) === 0x05 || // ALU AL/eAX, imm
    op === 0xa8 || op === 0xa9 || // TEST AL/eAX, imm
    op === 0x9e || op === 0x9f || op === 0xd6 || // SAHF, LAHF, SALC
    op === 0xf5 || op === 0xf8 || op === 0xf9 || op === 0xfc || op === 0xfd || // CMC CLC STC CLD STD
    op === 0x27 || op === 0x2f || op === 0x37 || op === 0x3f || // DAA DAS AAA AAS
    (op >= 0x0fc8 && op <= 0x0fcf) // BSWAP
  );
}

const UNSAFE = Attr.FAR | Attr.CPL0 | Attr.IOPL | Attr.SENSITIVE | Attr.BRANCH | Attr.REP | Attr.X87 | Attr.PM_ONLY;

/** Whether the instruction can neither fault-free write memory nor set cpu.breakBlock. */
function registerOnly(i: Insn): boolean {
  const e = i.entry;
  if (!e || (e.attrs ?? 0) & UNSAFE || e.mn === 'PUSH') return false;
  if (hasModrm(e)) return i.mod === 3 && i.opcode !== 0x0fc7;
  return registerOnlyNoModrm(i.opcode);
}

/**
 * Whether the instruction touches only registers and flags AND can never fault: then it
 * does not need `cpu.eip` (nothing reads it, no fault must be located), so the block
 * skips the EIP update before it. Register forms of DIV/IDIV (#DE), POP (a stack read)
 * and UD0/UD1 (#UD) are excluded.
 */
function pure(i: Insn): boolean {
  if (!registerOnly(i)) return false;
  const mn = i.entry!.mn;
  return mn !== 'DIV' && mn !== 'IDIV' && mn !== 'POP' && !mn.startsWith('UD');
}

/** Whether a block must end after this instruction (it may leave the straight line). */
export function endsBlock(i: Insn): boolean {
  const e = i.entry;
  if (!e) return true;
  const attrs = e.attrs ?? 0;
  if (attrs & (Attr.BRANCH | Attr.FAR)) return true;
  if (attrs & Attr.REP && i.prefixes & (PFX_REP | PFX_REPNE)) return true;
  return false;
}

/** Whether the block's last instruction is a relative jump (Jcc, JMP) back to the block's first. */
function loopsToItself(insns: readonly Insn[]): boolean {
  const last = insns[insns.length - 1];
  const op = last.opcode;
  const relJump = (op >= 0x70 && op <= 0x7f) || (op >= 0x0f80 && op <= 0x0f8f) || op === 0xeb || op === 0xe9;
  if (!relJump) return false;
  const bytes = insns.reduce((n, i) => n + i.len, 0);
  return ((bytes + last.imm) & (last.o32 ? -1 : 0xffff)) === 0;
}

/**
 * Generate the function for a block.
 * @param insns the block's instructions, contiguous, all valid
 * @param code32 the code segment is 32-bit (EIP wraps at 4 GiB, else at 64 KiB)
 */
export function compileBlock(insns: readonly Insn[], code32: boolean): CompiledBlock {
  const names: string[] = [];
  const values: unknown[] = [];
  const lines: string[] = [];
  const synced: number[] = [];
  let added = 0;
  let off = 0;
  const wrap = (expr: string) => (code32 ? `(${expr}) >>> 0` : `(${expr}) & 0xffff`);
  insns.forEach((i, k) => {
    names.push(`h${k}`, `i${k}`);
    values.push(i.exec, i);
    if (READS_ICOUNT.has(i.opcode) && k > added) {
      lines.push(`cpu.icount += ${k - added};`);
      added = k;
    }
    synced.push(added);
    off += i.len;
    const last = k === insns.length - 1;
    if (!pure(i)) lines.push(`cpu.eip = ${wrap(`e + ${off}`)};`);
    lines.push(`h${k}(cpu, i${k});`);
    if (!last && !registerOnly(i)) lines.push(`if (cpu.breakBlock) { cpu.icount += ${k + 1 - added}; return; }`);
    if (last && pure(i)) lines.push(`cpu.eip = ${wrap(`e + ${off}`)};`);
  });
  lines.push(`cpu.icount += ${insns.length - added};`);
  const n = insns.length;
  const body =
    n > 0 && loopsToItself(insns)
      ? `return function block(cpu, e, budget) {\nfor (;;) {\n${lines.join('\n')}\nbudget -= ${n};\nif (cpu.eip !== e || budget < ${n} || cpu.breakBlock) return;\n}\n};`
      : `return function block(cpu, e) {\n${lines.join('\n')}\n};`;
  const make = new Function(...names, body) as (...args: unknown[]) => BlockFn;
  return new CompiledBlock(make(...values), insns, synced);
}
