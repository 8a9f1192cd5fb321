/**
 * The guest's view of its processor, as the debugger shows it: what the guest would see on
 * bare hardware, whatever runs it.
 *
 * It comes from the `GuestVm` interface only (emulator/vmm/guest-vm.ts), so a VMM mode added
 * later appears here by itself: `guestState(record, regs)` gives the VMCS guest-state fields
 * (SDM Vol. 3C §25.4) as the guest believes them — under a VMM the virtual CRs, GDTR, IDTR,
 * LDTR, TR, EFLAGS.IF and the guest's CPL as SS.DPL — and the registers the VMCS lacks (CR2,
 * the virtual one under a VMM); the general registers and DR0–DR7 come from the processor.
 * What a debugger needs beyond the state — what a VMM's segment loads do to a cache, which
 * guest pages it write-protects, which EFLAGS bits a write may change — comes from
 * `GuestVm.monitor` (`VmmMonitor`), through a `ModeAdapter`.
 */
import { EFLAGS_AC, EFLAGS_DF, EFLAGS_ID, EFLAGS_IF, EFLAGS_IOPL, EFLAGS_NT, EFLAGS_RF, EFLAGS_STATUS, EFLAGS_TF } from '../arch/eflags';
import { arDpl } from '../arch/segments';
import { VMCS } from '../arch/vmcs';
import { GuestRegisters } from '../vmm/guest-state';
import type { GuestVm, VmmMonitor } from '../vmm/guest-vm';
import type { VmcsRecord } from '../vmm/vmcs-record';

/** The eight registers with a selector and a hidden cache, in VMCS encoding order. */
export const SEGMENT_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** A segment register as the guest holds it: selector and hidden cache (access rights in the VMCS layout, arch/segments.ts). */
export interface SegmentState {
  name: SegmentName;
  selector: number;
  base: number;
  /** Byte-granular limit (uint32). */
  limit: number;
  ar: number;
}

/** What a segment load leaves in the cache, for comparison with the cache (base, byte limit, access rights). */
export interface CacheValue {
  base: number;
  limit: number;
  ar: number;
}

/** What the debugger needs from a VMM mode beyond `GuestVm` (see the file header). */
export interface ModeAdapter {
  /**
   * The cache a load of descriptor `d` into `seg` gives in this mode (`d` itself on the bare
   * machine; under a VMM, `VmmMonitor.expectedSegmentCache`); `cache` is the cache the register
   * holds (unused by the modes built so far).
   */
  expectedCache(seg: SegmentName, d: CacheValue, cache: CacheValue): CacheValue;
  /** Why the mode changes caches ('' on the bare machine), shown next to the cache. */
  readonly cacheNote: string;
  /** Why a debugger write to guest-physical `gpa` is refused, or null when it may be written. */
  writeRefusal(gpa: number): string | null;
  /** EFLAGS bits a debugger write may change. */
  readonly writableEflags: number;
  /** Write EFLAGS (only `writableEflags` bits differ from the current value). */
  writeEflags(vm: GuestVm, value: number): void;
  /** The guest's CPL for the host CPL `hostCpl`. */
  guestCpl(hostCpl: number): number;
  /**
   * Whether a shadow PTE's U/S should match the guest's now: false under 0/3/3 while the guest
   * kernel runs (at host CPL 3, its shadow view maps supervisor pages user-accessible).
   */
  shadowUserBitCompared(): boolean;
}

/** The guest's processor state at one moment (see the file header). Numbers are uint32. */
export interface GuestView {
  readonly vm: GuestVm;
  readonly record: VmcsRecord;
  readonly mode: ModeAdapter;
  eip: number;
  eflags: number;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  /** DR0..DR7. */
  dr: number[];
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
  /** ES, CS, SS, DS, FS, GS, LDTR, TR. */
  segments: SegmentState[];
  cpl: number;
  /** The host CPL (equal to `cpl` on the bare machine). */
  hostCpl: number;
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
  /** Bytes of guest RAM: guest-physical addresses below this are the guest's (the VMM's reserved area starts here). */
  ramLimit: number;
}

const u = (v: number): number => v >>> 0;

/** EFLAGS bits a debugger may write on the bare machine: not VM (a mode switch needs segment reloads) nor VIF/VIP (no CR4.VME/PVI on this model). */
const NATIVE_WRITABLE_EFLAGS = EFLAGS_STATUS | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_IOPL | EFLAGS_NT | EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;

const NATIVE: ModeAdapter = {
  expectedCache: (_seg, d) => d,
  cacheNote: '',
  writeRefusal: () => null,
  writableEflags: NATIVE_WRITABLE_EFLAGS,
  writeEflags(vm, value) {
    const cpu = vm.cpu;
    cpu.flags = (value | 2) >>> 0;
    cpu.lazyMask = 0;
    cpu.breakBlock = true;
  },
  guestCpl: (c) => c,
  shadowUserBitCompared: () => true,
};

/**
 * The adapter for a guest under a VMM, from its `VmmMonitor` alone (guest-vm.ts). `guestCpl`
 * is the CPL `guestState()` reports as SS.DPL (`cpl`, taken by `guestView`).
 */
function monitorAdapter(vm: GuestVm, m: VmmMonitor, cpl: number): ModeAdapter {
  const rb = m.reservedBase;
  const model = vm.ringModel === null ? vm.vmm : `${vm.vmm}, ${vm.ringModel}`;
  return {
    expectedCache: (seg, d) => m.expectedSegmentCache(seg, d),
    cacheNote: vm.ringModel === null ? '' : `as the host holds it under ring compression (${vm.ringModel}): DPL 0 raised to the kernel ring, limit truncated below the VMM's area`,
    writeRefusal(gpa) {
      if (gpa >= rb) return `guest-physical 0x${gpa.toString(16)} lies in the VMM's reserved area (guest RAM ends at 0x${rb.toString(16)})`;
      if (m.isGuestPagingStructure(gpa)) {
        return `guest-physical page 0x${(gpa & -4096).toString(16)} holds a guest paging structure the VMM write-protects (a debugger write would bypass the shadow page tables; ${model})`;
      }
      return null;
    },
    writableEflags: m.writableGuestEflags,
    writeEflags: (_vm, value) => m.writeGuestEflags(value),
    guestCpl: () => cpl,
    // Under 0/3/3 the guest kernel runs at host CPL 3: its shadow view maps supervisor pages user-accessible.
    shadowUserBitCompared: () => !(vm.ringModel === '0/3/3' && cpl === 0),
  };
}

/**
 * The mode adapter for `vm` (see the file header): the bare machine's, or one built from the
 * VMM's monitor. `cpl`: the guest's CPL (default: SS.DPL of `vm.guestState()`).
 */
export function modeAdapter(vm: GuestVm, cpl?: number): ModeAdapter {
  if (vm.monitor === null) return NATIVE;
  return monitorAdapter(vm, vm.monitor, cpl ?? arDpl(vm.guestState().read(VMCS.GUEST_SS_AR_BYTES)));
}

/**
 * Snapshot the guest's view of `vm` (see the file header). Cheap: one `guestState()` and a
 * few reads; take a new one after the guest ran or a value was written.
 */
export function guestView(vm: GuestVm): GuestView {
  const regs = new GuestRegisters();
  const r = vm.guestState(undefined, regs);
  const segments: SegmentState[] = SEGMENT_NAMES.map((name, n) => ({
    name,
    selector: r.read(VMCS.GUEST_ES_SELECTOR + 2 * n),
    base: u(r.read(VMCS.GUEST_ES_BASE + 2 * n)),
    limit: u(r.read(VMCS.GUEST_ES_LIMIT + 2 * n)),
    ar: r.read(VMCS.GUEST_ES_AR_BYTES + 2 * n),
  }));
  const cpu = vm.cpu;
  const hostCpl = cpu.cpl;
  // Under a VMM the guest's CPL is SS.DPL of its state (SDM Vol. 3C §25.4.1); on the bare machine the processor's.
  const cpl = vm.monitor === null ? hostCpl : arDpl(r.read(VMCS.GUEST_SS_AR_BYTES));
  const mode = modeAdapter(vm, cpl);
  return {
    vm,
    record: r,
    mode,
    eip: u(r.read(VMCS.GUEST_RIP)),
    eflags: u(r.read(VMCS.GUEST_RFLAGS)),
    cr0: u(r.read(VMCS.GUEST_CR0)),
    cr2: u(regs.cr2),
    cr3: u(r.read(VMCS.GUEST_CR3)),
    cr4: u(r.read(VMCS.GUEST_CR4)),
    dr: Array.from(cpu.dr, u),
    gdtr: { base: u(r.read(VMCS.GUEST_GDTR_BASE)), limit: r.read(VMCS.GUEST_GDTR_LIMIT) & 0xffff },
    idtr: { base: u(r.read(VMCS.GUEST_IDTR_BASE)), limit: r.read(VMCS.GUEST_IDTR_LIMIT) & 0xffff },
    segments,
    cpl: mode.guestCpl(hostCpl),
    hostCpl,
    sysenterCs: u(r.read(VMCS.GUEST_SYSENTER_CS)),
    sysenterEsp: u(r.read(VMCS.GUEST_SYSENTER_ESP)),
    sysenterEip: u(r.read(VMCS.GUEST_SYSENTER_EIP)),
    ramLimit: vm.monitor ? vm.monitor.reservedBase : vm.memory.size,
  };
}
