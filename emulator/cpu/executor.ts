/**
 * The run loop and the decoded-instruction cache.
 *
 * Decoded instructions are cached per physical 4-KiB page of RAM and per default operand
 * size (CS.D), indexed by page offset. Each `Insn` links lazily to its fall-through
 * successor and to its last branch target, so straight-line code and loops run without a
 * lookup: the loop follows a link only while the link's generation equals the cache's.
 * The generation is bumped whenever anything the links assumed may have changed: a write
 * to a code page (self-modifying code, detected per 64-byte line), a TLB flush, a CS load,
 * a mode change, a breakpoint change. All of those set `cpu.breakBlock`, which sends the
 * loop through its slow path before the next instruction; the slow path also recognises
 * NMI and INTR (honouring EFLAGS.IF and the STI / MOV SS interrupt shadow), the TF
 * single-step trap, HLT and stop requests.
 *
 * Two tiers execute instructions. The interpreter calls one handler per loop iteration.
 * When execution has arrived at the same block head (a branch target or lookup point)
 * HOT_THRESHOLD times, the straight-line run from there is compiled into one function
 * (block-compiler.ts) that calls the same handlers; a compiled block runs only when the
 * instruction budget covers all of it, so `run(cpu, n)` still stops after exactly n
 * instructions and single-stepping (TF, the debugger) uses the interpreter.
 *
 * A `CpuFault` thrown by a handler (or by instruction fetch) is caught here, at the
 * instruction boundary: EIP is restored to the faulting instruction, the instructions
 * retired before it are counted, and the fault is delivered (interrupts.ts). Host errors
 * are not caught.
 *
 * @see Intel SDM Vol. 3A §6.8.3 (interrupt shadow), §6.9 (priority among events),
 *      §11.6 "Self-Modifying Code".
 */
import { EFLAGS_IF, EFLAGS_TF } from '../arch/eflags';
import { SegReg } from '../arch/segments';
import { Vector } from '../arch/exceptions';
import { DR6_BS } from '../arch/control-registers';
import type { Cpu, StopReason } from './cpu';
import { CpuFault, gp } from './fault';
import { decode, type ByteSource } from './decoder/decoder';
import { Insn } from './decoder/insn';
import { ACCESS_FETCH, translate } from './paging';
import { readLinear } from './memory-access';
import { WATCH_CODE } from '../memory/physical-memory';
import { deliverException, deliverExternalInterrupt, deliverNmi } from './interrupts';
import { compileBlock, endsBlock, HOT_THRESHOLD, MAX_BLOCK, type CompiledBlock } from './block-compiler';

/** Decoded instructions of one physical page, for one default operand size each. */
class DecodedPage {
  insns16: (Insn | undefined)[] | null = null;
  insns32: (Insn | undefined)[] | null = null;
  /** Bit n set: some decoded instruction overlaps bytes 64n..64n+63 (two 32-bit halves). */
  linesLo = 0;
  linesHi = 0;
}

/** Thrown by a breakpoint stub to leave the loop (never escapes `run`). */
const BREAKPOINT_HIT = { breakpoint: true };
/** Thrown by a block-building byte source at the page end (never escapes `buildBlock`). */
const PAGE_END = { pageEnd: true };

/** The per-CPU decoded-instruction cache, block tier and breakpoint set. */
export class CodeCache {
  readonly pages: (DecodedPage | undefined)[];
  /** Link generation (see the file header). */
  gen = 1;
  /** Linear addresses where execution stops before the instruction runs. */
  readonly breakpoints = new Set<number>();
  /** Execute the instruction at this linear address even though a breakpoint is set there (resume). */
  resumeAt = -1;
  /** Compile hot blocks (the block tier); off, everything is interpreted. */
  blocksEnabled = true;
  /** Statistics: decodes, code-page invalidations by writes, blocks compiled. */
  decodes = 0;
  invalidations = 0;
  blocksCompiled = 0;

  constructor(private readonly cpu: Cpu) {
    this.pages = new Array(cpu.memory.size >>> 12);
    cpu.memory.codeWriteListener = (pa, len) => this.onCodeWrite(pa, len);
  }

  private onCodeWrite(pa: number, len: number): void {
    const end = pa + len - 1;
    for (let ppn = pa >>> 12; ppn <= end >>> 12; ppn++) {
      const page = this.pages[ppn];
      if (!page) continue;
      const from = ppn === pa >>> 12 ? (pa & 0xfff) >> 6 : 0;
      const to = ppn === end >>> 12 ? (end & 0xfff) >> 6 : 63;
      let hit = false;
      for (let line = from; line <= to && !hit; line++) {
        hit = line < 32 ? (page.linesLo & (1 << line)) !== 0 : (page.linesHi & (1 << (line - 32))) !== 0;
      }
      if (!hit) continue;
      this.pages[ppn] = undefined;
      this.cpu.memory.unwatch(ppn, WATCH_CODE);
      this.invalidations++;
      this.gen++;
      this.cpu.breakBlock = true;
    }
  }

  /** Drop every decoded instruction and compiled block (e.g. after loading a new program image). */
  flush(): void {
    this.pages.fill(undefined);
    const mem = this.cpu.memory;
    for (let p = 0; p < mem.watchedPages.length; p++) if (mem.watchedPages[p] & WATCH_CODE) mem.unwatch(p, WATCH_CODE);
    this.gen++;
    this.cpu.breakBlock = true;
  }

  /** Replace the breakpoint set (linear addresses). Compiled blocks are dropped, as they may span a new breakpoint. */
  setBreakpoints(linear: Iterable<number>): void {
    this.breakpoints.clear();
    for (const a of linear) this.breakpoints.add(a >>> 0);
    this.flush();
  }

  /** The decoded-instruction array of a page for one code size, created on demand. */
  private pageArray(ppn: number, code32: boolean): { page: DecodedPage; arr: (Insn | undefined)[] } {
    let page = this.pages[ppn];
    if (!page) {
      page = new DecodedPage();
      this.pages[ppn] = page;
    }
    let arr = code32 ? page.insns32 : page.insns16;
    if (!arr) {
      arr = new Array(4096);
      if (code32) page.insns32 = arr;
      else page.insns16 = arr;
    }
    return { page, arr };
  }

  private remember(page: DecodedPage, arr: (Insn | undefined)[], ppn: number, off: number, insn: Insn): void {
    arr[off] = insn;
    this.cpu.memory.watch(ppn, WATCH_CODE);
    for (let line = off >> 6; line <= (off + insn.len - 1) >> 6; line++) {
      if (line < 32) page.linesLo |= 1 << line;
      else page.linesHi |= 1 << (line - 32);
    }
  }

  /**
   * The instruction at CS:EIP, decoded or from the cache.
   * @throws CpuFault #GP(0) when the instruction lies beyond the CS limit, #PF on fetch
   */
  lookup(): Insn {
    const cpu = this.cpu;
    const cs = cpu.segs[SegReg.CS];
    const eip = cpu.eip;
    if (eip > cs.limit) throw gp(0, `EIP 0x${eip.toString(16)} beyond the CS limit 0x${cs.limit.toString(16)}`);
    const lin = (cs.base + eip) | 0;
    const code32 = cs.big;
    const user = cpu.cpl === 3;
    const e = cpu.tlb[lin >>> 12];
    const m = cpu.tlbReadMask;
    const pa = (e & m) === m ? ((e & -4096) | (lin & 0xfff)) >>> 0 : translate(cpu, lin, ACCESS_FETCH, user);
    let insn: Insn | undefined;
    const off = pa & 0xfff;
    const ppn = pa >>> 12;
    if (cpu.memory.isRamPage(pa)) {
      const { page, arr } = this.pageArray(ppn, code32);
      insn = arr[off];
      if (!insn) {
        insn = this.decodeAt(lin, code32, user);
        this.decodes++;
        if (off + insn.len <= 4096) this.remember(page, arr, ppn, off, insn);
      }
    } else {
      insn = this.decodeAt(lin, code32, user);
      this.decodes++;
    }
    if (eip + insn.len - 1 > cs.limit) throw gp(0, `instruction at 0x${eip.toString(16)} crosses the CS limit`);
    if (this.breakpoints.size !== 0 && this.breakpoints.has(lin >>> 0)) return this.breakpointStub(insn, lin >>> 0);
    return insn;
  }

  private decodeAt(lin: number, code32: boolean, user: boolean): Insn {
    const cpu = this.cpu;
    // Fetch byte by byte through the TLB so that only the bytes the instruction really has
    // are fetched: a short instruction at the end of a page must not fault on the next page.
    const src: ByteSource = { byte: (k: number) => fetchByte(cpu, (lin + k) | 0, user) };
    return decode(src, code32);
  }

  private breakpointStub(real: Insn, lin: number): Insn {
    const stub = new Insn((c) => {
      if (this.resumeAt === lin) {
        this.resumeAt = -1;
        real.exec(c, real);
        return;
      }
      throw BREAKPOINT_HIT;
    });
    Object.assign(stub, real, { exec: stub.exec, next: null, target: null, block: null });
    return stub;
  }

  /**
   * Compile the block that starts with `head` (the instruction at CS:EIP, in RAM), or
   * return null when no block of two or more instructions can be formed there.
   */
  buildBlock(head: Insn): CompiledBlock | null {
    const cpu = this.cpu;
    const cs = cpu.segs[SegReg.CS];
    const code32 = cs.big;
    const user = cpu.cpl === 3;
    let lin = (cs.base + cpu.eip) | 0;
    const e = cpu.tlb[lin >>> 12];
    if ((e & cpu.tlbReadMask) !== cpu.tlbReadMask) return null;
    const pa = ((e & -4096) | (lin & 0xfff)) >>> 0;
    const ppn = pa >>> 12;
    const { page, arr } = this.pageArray(ppn, code32);
    if (arr[pa & 0xfff] !== head) return null;
    // In 16-bit code, keep out of blocks any instruction that ends at IP 10000h or beyond:
    // the interpreter's next IP there depends on the instruction's operand size (see `run`),
    // while a block wraps every IP to 16 bits.
    if (!code32 && cpu.eip + head.len > 0xffff) return null;
    const insns: Insn[] = [head];
    let off = (pa & 0xfff) + head.len;
    lin = (lin + head.len) | 0;
    let eip = cpu.eip + head.len;
    while (insns.length < MAX_BLOCK && !endsBlock(insns[insns.length - 1]) && off < 4096) {
      if (this.breakpoints.size !== 0 && this.breakpoints.has(lin >>> 0)) break;
      let insn = arr[off];
      if (!insn) {
        const base = lin;
        const pageEnd = 4096 - off;
        const src: ByteSource = {
          byte: (k: number) => {
            if (k >= pageEnd) throw PAGE_END;
            return fetchByte(cpu, (base + k) | 0, user);
          },
        };
        try {
          insn = decode(src, code32);
        } catch (x) {
          if (x === PAGE_END) break;
          throw x;
        }
        this.decodes++;
        this.remember(page, arr, ppn, off, insn);
      }
      if (!insn.entry || eip + insn.len - 1 > cs.limit || (!code32 && eip + insn.len > 0xffff)) break;
      insns.push(insn);
      off += insn.len;
      lin = (lin + insn.len) | 0;
      eip += insn.len;
    }
    if (insns.length < 2) return null;
    this.blocksCompiled++;
    return compileBlock(insns, code32);
  }
}

function fetchByte(cpu: Cpu, lin: number, user: boolean): number {
  const e = cpu.tlb[lin >>> 12];
  const m = cpu.tlbReadMask;
  if ((e & m) === m) return cpu.ram8[(e & -4096) + (lin & 0xfff)];
  return readLinear(cpu, lin, 1, user);
}

const caches = new WeakMap<Cpu, CodeCache>();

/** The code cache of `cpu`, created on first use. */
export function codeCache(cpu: Cpu): CodeCache {
  let c = caches.get(cpu);
  if (!c) {
    c = new CodeCache(cpu);
    caches.set(cpu, c);
  }
  return c;
}

/** Whether a maskable interrupt may be recognised now (EFLAGS.IF and no interrupt shadow). */
function intrWindowOpen(cpu: Cpu): boolean {
  return (cpu.flags & EFLAGS_IF) !== 0 && cpu.icount > cpu.shadowUntil;
}

/**
 * The instruction at CS:EIP, or null after delivering the fault that fetching it raised
 * (#GP beyond the CS limit, #PF); host errors propagate.
 */
function lookupOrDeliver(cpu: Cpu, cache: CodeCache): Insn | null {
  try {
    return cache.lookup();
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    deliverException(cpu, e, false);
    return null;
  }
}

/** A block that no execution will reach: marks heads that cannot form a block. */
const NO_BLOCK = compileBlock([], true);

/**
 * After a fault inside a compiled block: point EIP at the faulting instruction and count
 * the instructions that retired before it. The faulting handler changed nothing, so
 * `cpu.eip` still holds that instruction's end.
 */
function unwindBlock(cpu: Cpu, blk: CompiledBlock, entryEip: number, code32: boolean): void {
  const at = cpu.eip;
  for (let k = 0; k < blk.n; k++) {
    const end = code32 ? (entryEip + blk.ends[k]) >>> 0 : (entryEip + blk.ends[k]) & 0xffff;
    if (end === at) {
      cpu.eip = code32 ? (entryEip + blk.starts[k]) >>> 0 : (entryEip + blk.starts[k]) & 0xffff;
      cpu.icount += k - blk.synced[k];
      return;
    }
  }
  throw new Error(`internal: fault inside a compiled block at EIP 0x${at.toString(16)} matches none of its instructions`);
}

/**
 * Run until `maxInstructions` instructions have retired or something stops the CPU:
 * HLT with no deliverable interrupt, shutdown (triple fault), a breakpoint, a watched I/O
 * port, or `cpu.requestStop`. Exceptions and interrupts are delivered along the way.
 * @param options.resume execute the instruction at the current CS:EIP even if a breakpoint is set there
 * @returns why it stopped; `cpu.icount` tells how far it got
 */
export function run(cpu: Cpu, maxInstructions: number, options: { resume?: boolean } = {}): StopReason {
  const cache = codeCache(cpu);
  const end = cpu.icount + maxInstructions;
  if (options.resume) cache.resumeAt = (cpu.segs[SegReg.CS].base + cpu.eip) >>> 0;
  let insn: Insn | null = null;
  let stepTrap = false;
  /** Whether `insn` was reached by a branch or a lookup (a possible block head). */
  let head = true;
  cpu.breakBlock = true;
  for (;;) {
    if (cpu.breakBlock || insn === null) {
      cpu.breakBlock = false;
      cache.gen++;
      head = true;
      if (stepTrap) {
        stepTrap = false;
        cpu.dr[6] |= DR6_BS;
        deliverException(cpu, new CpuFault(Vector.DB, -1, 'single-step trap (EFLAGS.TF)'), true);
      }
      const stop = cpu.stopReason;
      if (stop !== null) {
        cpu.stopReason = null;
        cache.resumeAt = -1;
        return stop;
      }
      if (cpu.shutdown) return { kind: 'shutdown', reason: 'processor is in the shutdown state' };
      if (cpu.nmiPending && !cpu.nmiBlocked && cpu.icount > cpu.shadowUntil) {
        cpu.nmiPending = false;
        cpu.halted = false;
        deliverNmi(cpu);
      } else if (cpu.intr !== null && intrWindowOpen(cpu) && cpu.intr.pending()) {
        cpu.halted = false;
        deliverExternalInterrupt(cpu, cpu.intr.acknowledge());
      }
      if (cpu.shutdown) continue;
      if (cpu.halted) return { kind: 'hlt' };
      if (cpu.icount >= end) {
        cache.resumeAt = -1;
        return { kind: 'limit' };
      }
      // Keep coming back here while an interrupt shadow or single-stepping is in force.
      if (cpu.shadowUntil >= cpu.icount) cpu.breakBlock = true;
      if (cpu.flags & EFLAGS_TF) {
        stepTrap = true;
        cpu.breakBlock = true;
      }
      insn = lookupOrDeliver(cpu, cache);
      if (insn === null) {
        stepTrap = false;
        continue;
      }
    }

    // Block tier: run a compiled block when the budget covers it and nothing forces stepping.
    if (head) {
      let blk: CompiledBlock | null = insn.block;
      if (blk === null && ++insn.hits >= HOT_THRESHOLD && cache.blocksEnabled && !cpu.breakBlock) {
        blk = insn.block = cache.buildBlock(insn) ?? NO_BLOCK;
      }
      if (blk !== null && blk !== NO_BLOCK && !cpu.breakBlock && end - cpu.icount >= blk.n) {
        const cs = cpu.segs[SegReg.CS];
        const entryEip = cpu.eip;
        if (entryEip + blk.bytes - 1 <= cs.limit) {
          try {
            blk.fn(cpu, entryEip, end - cpu.icount);
          } catch (e) {
            if (!(e instanceof CpuFault)) throw e;
            unwindBlock(cpu, blk, entryEip, cs.big);
            deliverException(cpu, e, false);
            insn = null;
            continue;
          }
          if (cpu.breakBlock) {
            insn = null;
            continue;
          }
          const eip = cpu.eip;
          const gen = cache.gen;
          let nx: Insn | null;
          if (eip === blk.nextEip && blk.nextGen === gen) nx = blk.next;
          else if (eip === blk.targetEip && blk.targetGen === gen) nx = blk.target;
          else {
            nx = lookupOrDeliver(cpu, cache);
            if (nx === null) {
              insn = null;
              continue;
            }
            // Keep two exits: the fall-through one (entry + bytes) and the last other one.
            if (eip === ((entryEip + blk.bytes) >>> 0)) {
              blk.next = nx;
              blk.nextEip = eip;
              blk.nextGen = gen;
            } else {
              blk.target = nx;
              blk.targetEip = eip;
              blk.targetGen = gen;
            }
          }
          insn = nx;
          continue;
        }
      }
    }

    // Interpreter tier: one instruction.
    if (cpu.icount >= end) {
      cache.resumeAt = -1;
      return { kind: 'limit' };
    }
    const start = cpu.eip;
    const fall = start + insn.len;
    // The fall-through EIP is never truncated, even in 16-bit code: past the end of a 64-KiB
    // segment the next fetch lies beyond the CS limit and raises #GP(0), as on a 386 and
    // later (only the 8086 wrapped IP) and as Bochs does. Branches truncate their targets.
    cpu.eip = fall >>> 0;
    try {
      insn.exec(cpu, insn);
    } catch (e) {
      cpu.eip = start;
      if (e === BREAKPOINT_HIT) {
        return { kind: 'breakpoint', linear: (cpu.segs[SegReg.CS].base + start) >>> 0 };
      }
      if (!(e instanceof CpuFault)) throw e;
      deliverException(cpu, e, false);
      insn = null;
      stepTrap = false;
      continue;
    }
    cpu.icount++;
    if (cpu.breakBlock) continue;
    const eip = cpu.eip;
    const gen = cache.gen;
    if (eip === fall) {
      head = false;
      const nx: Insn | null = insn.next;
      if (nx !== null && insn.nextGen === gen) {
        insn = nx;
        continue;
      }
      const from = insn;
      insn = lookupOrDeliver(cpu, cache);
      if (insn === null) continue;
      from.next = insn;
      from.nextGen = gen;
    } else {
      head = true;
      const tg: Insn | null = insn.target;
      if (tg !== null && insn.targetEip === eip && insn.targetGen === gen) {
        insn = tg;
        continue;
      }
      const from = insn;
      insn = lookupOrDeliver(cpu, cache);
      if (insn === null) continue;
      from.target = insn;
      from.targetEip = eip;
      from.targetGen = gen;
    }
  }
}

/** Execute exactly one instruction (or deliver one pending event). */
export function step(cpu: Cpu, options: { resume?: boolean } = {}): StopReason {
  return run(cpu, 1, options);
}
