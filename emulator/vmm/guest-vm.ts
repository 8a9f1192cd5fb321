/**
 * `GuestVm`: one guest as the debugger, the command line and the multi-VM host see it,
 * whatever runs it — the bare machine (`native`) or a VMM. Each VMM mode implements this
 * interface; what a debugger shows about the guest (its registers as the guest believes
 * them, its memory, the VMCS, the exits, the holes) comes from here, so a mode added later
 * appears in the debugger by itself.
 *
 * Address spaces (units are bytes throughout):
 *  - guest-physical: what the guest's paging (or, without paging, its linear addresses)
 *    produce. `memory` IS the guest's physical memory: a VM owns its own host frames, so
 *    guest-physical address P is `memory` offset P. Under a VMM the top of `memory` holds
 *    the VMM's reserved area (`reservedBase` and up), which the guest never reaches.
 *  - guest-linear (guest-virtual): translated by the guest's own page tables (the virtual
 *    CR3 under a VMM, never the shadow tables).
 *
 * The guest-state view (`guestState`) uses the VMCS guest-state area's field names (SDM
 * Vol. 3C §25.4) in every mode: on the bare machine it is simply the processor's state; under
 * a VMM it is the host processor's state with what the VMM virtualizes (EFLAGS.IF, CR0, CR3,
 * CR4, GDTR, IDTR, LDTR, TR, the SYSENTER MSRs, the guest's CPL) overlaid, i.e. what the
 * guest would see on bare hardware.
 */
import type { Cpu } from '../cpu/cpu';
import type { MachineStop } from '../machine/machine';
import type { PhysicalMemory } from '../memory/physical-memory';
import type { ExitStats } from './exit-stats';
import type { GuestRegisters, SegmentName } from './guest-state';
import type { HoleLog, HoleListener } from './hole-log';
import type { VmcsRecord } from './vmcs-record';

/** The VMM techniques a guest can run under (the modes not built yet are absent). */
export const VMM_KINDS = ['native', 'trap-and-emulate'] as const;
export type VmmKind = (typeof VMM_KINDS)[number];

/** Ring-deprivileging models (issue 5): where the guest kernel and guest user code run on the host. */
export const RING_MODELS = ['0/1/3', '0/3/3'] as const;
export type RingModel = (typeof RING_MODELS)[number];

/**
 * Why `GuestVm.run` returned: the bare machine's reasons (emulator/machine/machine.ts
 * `MachineStop`), plus `stopped` when a VMM stopped the VM for good (its message says why:
 * a guest triple fault, a HLT nothing can end, an unsupported guest situation, a VMM error).
 */
export type GuestStop = MachineStop | { kind: 'stopped'; message: string };

/** The eight registers with a selector and a hidden cache, by their VMCS names (ES, CS, SS, DS, FS, GS, LDTR, TR). */
export type GuestSegmentName = SegmentName;

/** A segment register's hidden cache: base (linear, uint32), byte-granular limit (uint32), access rights in the VMCS layout (arch/segments.ts). */
export interface SegmentCacheValue {
  base: number;
  limit: number;
  ar: number;
}

/** What a VMM adds to a guest: its exit record, exit accounting and holes. Null on the bare machine. */
export interface VmmMonitor {
  /** The VMCS-shaped record: guest-state area as of the last exit, VM-exit information fields of the last exit (SDM Vol. 3C §25.9). */
  readonly vmcs: VmcsRecord;
  /** Exits counted per reason and per guest EIP, with the VMM's cost. */
  readonly stats: ExitStats;
  /** Virtualization holes the guest stepped into (`virtualization-hole` events). */
  readonly holes: HoleLog;
  /** Call `listener` for each hole from now on; returns the function that removes it. */
  onHole(listener: HoleListener): () => void;
  /**
   * Host-physical address (an offset into the VM's `memory`) of the shadow page directory the
   * host CR3 points at now, or null when the host runs the guest without paging.
   */
  shadowPageDirectory(): number | null;
  /** First address of the VMM's reserved area in the VM's memory (the guest's RAM ends there). */
  readonly reservedBase: number;
  /**
   * Host-physical address (an offset into the VM's `memory`) of the page directory the VMM runs
   * on between time slices (world-switch.ts loads it as HOST_CR3): it maps the VMM's GDT, IDT,
   * TSS and LDT at their linear addresses (trap-and-emulate: VMM_AREA_LINEAR + offset) and no
   * guest page. It may move as the VMM recycles its page pool: read it at each switch-out.
   */
  hostDirectory(): number;
  /**
   * Whether guest-physical `gpa` (bytes) lies in a page the VMM write-protects as a guest paging
   * structure to keep its shadow page tables coherent (a debugger writing there would bypass
   * the shadows).
   */
  isGuestPagingStructure(gpa: number): boolean;
  /**
   * The hidden cache a guest load of descriptor `d` (as the guest's table holds it decoded:
   * base, byte limit, access rights) into `seg` leaves under this VMM — on bare hardware `d`
   * itself; a deprivileging VMM raises DPLs and truncates limits. For comparing a cache
   * `guestState()` shows with today's descriptor without mistaking the VMM's changes for stale state.
   */
  expectedSegmentCache(seg: GuestSegmentName, d: SegmentCacheValue): SegmentCacheValue;
  /** EFLAGS bits a debugger may change through `writeGuestEflags` (the others are the VMM's). */
  readonly writableGuestEflags: number;
  /** Write the guest's EFLAGS (only `writableGuestEflags` bits may differ from the current guest value): IF becomes the virtual IF. */
  writeGuestEflags(value: number): void;
}

export interface GuestVm {
  /** The technique running this guest. */
  readonly vmm: VmmKind;
  /** Under a deprivileging VMM, the ring model; null on the bare machine. */
  readonly ringModel: RingModel | null;
  /** The processor running the guest: the guest's own on the bare machine, the host's under a VMM (general registers, EIP and segment selectors are the guest's in both). */
  readonly cpu: Cpu;
  /** The VM's memory: guest-physical address P is offset P (see the file header). */
  readonly memory: PhysicalMemory;
  /** Null on the bare machine. */
  readonly monitor: VmmMonitor | null;
  /**
   * Run the guest for at most `maxInstructions` instructions (or, while it idles in HLT, the
   * virtual time they take).
   * @throws RangeError when `maxInstructions` is not a whole number ≥ 0
   */
  run(maxInstructions: number): GuestStop;
  /** Make `run` return `{ kind: 'request', why }` before the next instruction. */
  requestStop(why: string): void;
  /** Instruction breakpoints at these guest-linear addresses (replaces the set). */
  setBreakpoints(linear: Iterable<number>): void;
  /**
   * The guest's processor state as the guest believes it, in VMCS guest-state field names
   * (see the file header; under a VMM the virtual CRs, GDTR, IDTR, LDTR, TR, SYSENTER MSRs,
   * EFLAGS.IF and the guest's CPL as SS.DPL), written into `into` (a fresh record when omitted).
   * With `regs`, also the registers the VMCS has no field for (EAX..EDI, CR2 — the guest's, the
   * virtual CR2 under a VMM — DR0–DR3, DR6), as guest-state.ts `saveGuestState` saves them.
   */
  guestState(into?: VmcsRecord, regs?: GuestRegisters): VmcsRecord;
}
