/**
 * The architectural state of one IA-32 logical processor, and its wiring to the machine.
 *
 * Hot state lives in typed arrays with named indices (GPRs in ModRM order); cold
 * structured state (segment caches, descriptor-table registers) in small classes.
 * Behaviour lives in the sibling modules, which take a `Cpu` as their first argument:
 * segmentation.ts (segment loads), memory-access.ts (linear and virtual memory access),
 * paging.ts (page walks and the TLB), flags.ts (EFLAGS), interrupts.ts (event delivery),
 * executor.ts (the run loop and the decoded-instruction cache), instructions/*.ts.
 *
 * @see Intel SDM Vol. 1 §3.4 "Basic Program Execution Registers"; Vol. 3A §2 "System Architecture Overview";
 *      Vol. 3A §9.1 "Initialization Overview" (reset state).
 */
import { CR0_RESET } from '../arch/control-registers';
import { EFLAGS_FIXED1 } from '../arch/eflags';
import { AR_P, AR_S, AR_RW, AR_CODE, AR_ACCESSED, SegReg, SystemType } from '../arch/segments';
import { DR6_FIXED1, DR7_FIXED1 } from '../arch/control-registers';
import type { PhysicalMemory } from '../memory/physical-memory';
import type { IoBus } from '../memory/io-bus';
import { SegmentRegister, TableRegister } from './segment-register';
import type { CpuFault } from './fault';
import type { SensitiveEvent } from './sensitive';
import { TLB_RAM, TLB_SR, TLB_SW, TLB_VALID } from './tlb-bits';
import { revokeFastWrites } from './paging';

/** GPR numbers in ModRM order. Index 8 is an always-zero pseudo-register used by EA computation. */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const REG_ZERO = 8;
export const GPR_NAMES = ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI'] as const;

/**
 * The source of maskable external interrupts (the INTR pin), e.g. an 8259A PIC.
 * `pending()` is polled at instruction boundaries when EFLAGS.IF = 1; `acknowledge()`
 * performs the INTA cycle and returns the vector.
 */
export interface InterruptLine {
  pending(): boolean;
  acknowledge(): number;
}

/** Why `run` returned (see executor.ts). */
export type StopReason =
  | { kind: 'limit' } // the instruction budget was used up
  | { kind: 'hlt' } // HLT with no interrupt that could wake it
  | { kind: 'shutdown'; reason: string } // triple fault or a shutdown cycle
  | { kind: 'breakpoint'; linear: number } // an instruction address in the stop set was reached
  | { kind: 'io'; port: number; write: boolean } // I/O to a watched port
  | { kind: 'request'; why: string }; // an external stop request (debugger pause, device)

/**
 * How an event came about, with the VMX interruption types' names (SDM Vol. 3C §24.8.3,
 * Table 24-16 "Format of the VM-Entry Interruption-Information Field"): an INTR-pin
 * interrupt, an NMI, an exception raised by the processor, INT n, INT1 (ICEBP), INT3/INTO.
 */
export type CpuEventType =
  | 'external-interrupt'
  | 'nmi'
  | 'hardware-exception'
  | 'software-interrupt'
  | 'privileged-software-exception'
  | 'software-exception';

/**
 * An event about to be delivered through the IDT/IVT, as offered to `CpuHooks.interceptEvent`.
 * When it is seen, CS:EIP is the return address the guest handler would get: the faulting
 * instruction for a fault, the next instruction for a trap, INT n or an interrupt.
 */
export interface CpuEvent {
  vector: number;
  /** Error code the delivery would push, or -1 when none. */
  errorCode: number;
  type: CpuEventType;
  /** The fault being delivered (hardware exceptions only). */
  fault?: CpuFault;
  /** Length in bytes of the INT n / INT3 / INTO / INT1 instruction (software events), else 0. */
  instructionLength: number;
}

/** Observer hooks for the machine, the VMM and the debugger. All optional and off the hot path. */
export interface CpuHooks {
  /**
   * Intercept point for a VMM (interrupts.ts): called for every exception, interrupt, NMI
   * and software interrupt before it reaches the guest's IDT/IVT (after `onEvent`), including
   * a #DF produced by a nested fault. Return true when the VMM has handled the event (e.g. as a
   * VM exit): nothing is delivered and no guest state changes. Return false to deliver it.
   * The hook may change CPU state (load host state); the CPU does not touch it afterwards.
   */
  interceptEvent?(cpu: Cpu, event: CpuEvent): boolean;
  /** Called when an exception or interrupt is about to be delivered through the IDT/IVT. */
  onEvent?(vector: number, errorCode: number, kind: 'exception' | 'hardware' | 'software' | 'nmi', fault?: CpuFault): void;
  /** Called on a triple fault or shutdown. */
  onShutdown?(reason: string): void;
  /**
   * Called after a sensitive but unprivileged instruction has executed (sensitive.ts): ring
   * aliasing (PUSH/MOV of CS or SS), a privileged-state read (SGDT, SIDT, SLDT, STR, SMSW), a
   * POPF or IRET at CPL > IOPL whose popped IF differed from the believed IF and was ignored,
   * a PUSHF at CPL > 0 whose pushed IF differs from the believed IF,
   * a descriptor query (LAR, LSL, VERR, VERW). Fires on the bare machine too; the observer
   * (a VMM) decides whether it is a virtualization hole. Called before the instruction
   * retires (`icount` not yet incremented); must not change CPU state.
   */
  onSensitive?(cpu: Cpu, event: SensitiveEvent): void;
  /**
   * The IF the running program believes it has (a VMM's virtual IF), against which the
   * 'popf-if-ignored' / 'iret-if-ignored' events are judged. When absent: EFLAGS.IF.
   */
  virtualIf?(cpu: Cpu): boolean;
}

export class Cpu {
  /** EAX..EDI (int32 storage, ModRM order) and the zero pseudo-register at index 8. */
  readonly regs = new Int32Array(9);
  /** 16-bit view of the GPRs: the low word of register r is regs16[r << 1]. */
  readonly regs16 = new Uint16Array(this.regs.buffer);
  /** 8-bit view of the GPRs: see REG8_INDEX for AL..BH. */
  readonly regs8 = new Uint8Array(this.regs.buffer);

  /** Instruction pointer: offset in CS (uint32). During execution it already points past the current instruction. */
  eip = 0xfff0;

  /**
   * EFLAGS. Bits listed in `lazyMask` are stale here and are computed on demand from the lazy
   * operands below (flags.ts); every other bit is current.
   */
  flags = EFLAGS_FIXED1;
  lazyMask = 0;
  /** Result of the last lazily flagged operation. */
  lzRes = 0;
  /** Its carry (or borrow) vector: bit n = carry out of bit n (flags.ts). */
  lzCv = 0;
  /** Operand size of the lazy operation as a left shift that moves its sign bit to bit 31: 24 (byte), 16 (word), 0 (dword). */
  lzShift = 0;

  /** ES, CS, SS, DS, FS, GS in SDM encoding order. */
  readonly segs: SegmentRegister[] = [0, 1, 2, 3, 4, 5].map((i) => new SegmentRegister(i));
  readonly gdtr = new TableRegister();
  readonly idtr = new TableRegister();
  readonly ldtr = new SegmentRegister(6);
  readonly tr = new SegmentRegister(7);

  cr0 = CR0_RESET;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  /** DR0..DR7; DR4/DR5 alias DR6/DR7 when CR4.DE = 0. */
  readonly dr = new Int32Array(8);

  /** IA32_SYSENTER_CS/ESP/EIP. */
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;

  /** Current privilege level (the DPL of the CS cache in protected mode, 0 in real mode). */
  cpl = 0;

  /** Retired-instruction count: exact and deterministic; the TSC derives from it. */
  icount = 0;
  /** TSC = icount + tscOffset (WRMSR to IA32_TIME_STAMP_COUNTER sets the offset). */
  tscOffset = 0;

  /** In the HLT state, waiting for an interrupt. */
  halted = false;
  /** In the shutdown state after a triple fault; only reset leaves it. */
  shutdown = false;
  /** NMI latched and not yet delivered. */
  nmiPending = false;
  /** NMI delivery blocked until the next IRET (SDM Vol. 3A §6.7.1). */
  nmiBlocked = false;
  /** icount value while the STI / MOV SS interrupt shadow is in force (SDM Vol. 3A §6.8.3), else -1. */
  shadowUntil = -1;

  /**
   * Set by anything that invalidates the executor's assumptions about the next instruction:
   * a write to a code page, a TLB flush, a CS or mode change, an interrupt becoming
   * deliverable, a stop request. The run loop then leaves the current decoded chain and
   * re-examines the machine state before the next instruction.
   */
  breakBlock = false;
  /** Why the run loop must return, when set (checked when breakBlock is set). */
  stopReason: StopReason | null = null;

  /** Maskable interrupt source; null when nothing is wired to INTR. */
  intr: InterruptLine | null = null;
  hooks: CpuHooks = {};

  /** I/O ports whose access stops the run loop after the instruction (kind 'io'). */
  readonly watchedPorts = new Set<number>();

  /**
   * The TLB: one entry per linear 4-KiB page (direct-mapped over the whole 4-GiB space, so
   * it never thrashes): the physical page base | TLB_* permission bits, or 0 when invalid.
   * See paging.ts for how entries are filled and flushed.
   */
  readonly tlb = new Int32Array(1 << 20);
  /** Linear page numbers of the valid TLB entries, so a flush touches only those. */
  readonly tlbList = new Int32Array(1 << 20);
  /** 1 for each linear page number present in tlbList. */
  readonly tlbListed = new Uint8Array(1 << 20);
  tlbCount = 0;
  /** Some valid entry came from a 4-MiB page (INVLPG then clears the whole 4-MiB range). */
  tlbHasLarge = false;
  /** TLB bits a read / write at the current CPL needs (memory-access.ts `updateAccessMasks`). */
  tlbReadMask = 0;
  tlbWriteMask = 0;
  /** Direct views of RAM for the fast paths. */
  readonly ram8: Uint8Array;
  /** RAM as dwords, for aligned 32-bit accesses (faster than DataView in V8). */
  readonly ram32: Int32Array;
  readonly ramView: DataView;
  /** PhysicalMemory.watchedPages: the fast write paths report writes to watched pages. */
  readonly watchedPages: Uint8Array;
  /** PhysicalMemory.pagingStamp when the TLB was last flushed (paging.ts). */
  tlbStamp = 0;
  /** Linear address of the last read-for-write (memory-access.ts `readRmw*`). */
  rmwLin = 0;

  constructor(
    readonly memory: PhysicalMemory,
    readonly io: IoBus,
  ) {
    this.ram8 = memory.ram;
    this.ram32 = new Int32Array(memory.ram.buffer, memory.ram.byteOffset, memory.ram.byteLength >>> 2);
    memory.watchStartListeners.push((ppn) => revokeFastWrites(this, ppn));
    this.ramView = memory.view;
    this.watchedPages = memory.watchedPages;
    this.reset();
  }

  /**
   * Processor RESET state (SDM Vol. 3A §9.1.1, Table 9-1): real mode, CS = F000 with base
   * FFFF0000, EIP = FFF0, EDX = processor signature, CR0 = 60000010.
   */
  reset(): void {
    this.regs.fill(0);
    this.regs[EDX] = 0x0633; // family 6, model 3, stepping 3 (CPUID.1:EAX)
    this.eip = 0xfff0;
    this.flags = EFLAGS_FIXED1;
    this.lazyMask = 0;
    const dataAr = AR_P | AR_S | AR_RW | AR_ACCESSED;
    for (const s of this.segs) s.setCache(0, 0, 0xffff, dataAr);
    this.segs[SegReg.CS].setCache(0xf000, 0xffff0000, 0xffff, dataAr | AR_CODE);
    this.gdtr.base = 0;
    this.gdtr.limit = 0xffff;
    this.idtr.base = 0;
    this.idtr.limit = 0xffff;
    this.ldtr.setCache(0, 0, 0xffff, AR_P | SystemType.LDT);
    this.tr.setCache(0, 0, 0xffff, AR_P | SystemType.TSS32_BUSY);
    this.cr0 = CR0_RESET;
    this.cr2 = 0;
    this.cr3 = 0;
    this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = DR6_FIXED1;
    this.dr[7] = DR7_FIXED1;
    this.sysenterCs = this.sysenterEsp = this.sysenterEip = 0;
    this.cpl = 0;
    this.tscOffset = -this.icount;
    this.halted = false;
    this.shutdown = false;
    this.nmiPending = false;
    this.nmiBlocked = false;
    this.shadowUntil = -1;
    this.stopReason = null;
    this.tlb.fill(0);
    this.tlbListed.fill(0);
    this.tlbCount = 0;
    this.tlbHasLarge = false;
    this.tlbReadMask = TLB_VALID | TLB_SR | TLB_RAM;
    this.tlbWriteMask = TLB_VALID | TLB_SW | TLB_RAM;
    this.breakBlock = true;
  }

  /** Ask the run loop to return before the next instruction, with reason 'request'. */
  requestStop(why: string): void {
    this.stopReason ??= { kind: 'request', why };
    this.breakBlock = true;
  }
}

/** Byte offsets of AL, CL, DL, BL, AH, CH, DH, BH in `regs8` (little-endian host). */
export const REG8_INDEX = [0, 4, 8, 12, 1, 5, 9, 13] as const;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('Vanderpool needs a little-endian host (the GPR byte views assume it)');
}
