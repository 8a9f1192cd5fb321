/**
 * The guest's view of its processor, as the debugger shows it: what the guest would see on
 * bare hardware, whatever runs it.
 *
 * Most of it comes from `GuestVm.guestState()` (VMCS guest-state field names, SDM Vol. 3C
 * §25.4): on the bare machine the processor's state, under a VMM the host's with the
 * virtualized registers overlaid. The general registers, CR2 and DR0–DR7 come from the
 * processor (the VMCS has no field for them). A few things the `GuestVm` interface does not
 * give are taken here from the VMM mode itself, through a `ModeAdapter`:
 *
 *  - trap-and-emulate: the guest's virtual LDTR and TR (the host's hold the VMM's shadow LDT
 *    and TSS, and `guestState()` reports those), the virtual CR2, the virtual EFLAGS.IF for
 *    writes, the guest CPL under ring compression, what the VMM's loads do to a segment cache
 *    (DPL 0 raised to the kernel ring, limit truncated below the VMM's area) so that a cache
 *    is compared with what a load of today's descriptor would give, and which guest pages the
 *    VMM write-protects as guest paging structures. (The VMM's own `shadowCache` is not
 *    called: its signature is changing under the ring-model work; the rule is restated in
 *    `compressedCache` and judged from the cache the host holds.)
 *
 * A cleaner API (reported, not built: emulator/vmm is not ours to change here): `guestState()`
 * overlaying the virtual LDTR/TR and reporting the guest CPL, and a `VmmMonitor` method
 * `expectedSegmentCache(descriptor)` and `isGuestPagingStructure(gpa)`, so that this file needs
 * no knowledge of a particular mode and later modes appear by themselves.
 */
import { EFLAGS_AC, EFLAGS_DF, EFLAGS_ID, EFLAGS_IF, EFLAGS_IOPL, EFLAGS_NT, EFLAGS_RF, EFLAGS_STATUS, EFLAGS_TF } from '../arch/eflags';
import { AR_DPL_MASK, AR_DPL_SHIFT, AR_P, AR_S, AR_UNUSABLE, arDpl, decodeDescriptor, SystemType } from '../arch/segments';
import { VMCS } from '../arch/vmcs';
import { getEflags } from '../cpu/flags';
import type { GuestVm } from '../vmm/guest-vm';
import { TrapAndEmulateVm } from '../vmm/trap-and-emulate/vm';
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
   * machine); `cache` is the cache the register holds, from which a VMM's adjustments are judged.
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
 * Where address-space compression can end a guest segment: below the VMM's area at the top
 * 4 MiB of the linear space (docs/vmm-design.md), or — before the area moved there — below
 * the reserved area at the top of guest RAM. A truncated limit ends within a page of one.
 */
const TOP_4MIB = 0xffc00000;

/**
 * The cache a deprivileging VMM's load of `d` gives, judged from the cache it did give: a
 * DPL of 0 raised to the kernel ring, a limit truncated to end just below a VMM boundary, P
 * cleared for a segment based inside the VMM's area. Anything else in the cache that does not
 * match `d` is left as a difference.
 */
function compressedCache(d: CacheValue, cache: CacheValue, kernelRing: number, boundaries: readonly number[]): CacheValue {
  let ar = d.ar;
  if (ar & AR_S && arDpl(ar) === 0 && arDpl(cache.ar) === kernelRing) ar = (ar & ~AR_DPL_MASK) | (kernelRing << AR_DPL_SHIFT);
  let limit = d.limit >>> 0;
  const end = (cache.base >>> 0) + (cache.limit >>> 0) + 1;
  if (ar & AR_S && cache.limit >>> 0 < limit && boundaries.some((b) => end <= b && end > b - 0x1000)) limit = cache.limit >>> 0;
  if (ar & AR_S && !(cache.ar & AR_P) && boundaries.some((b) => d.base >>> 0 >= b)) ar &= ~AR_P;
  return { base: d.base, limit, ar };
}

function trapAndEmulateAdapter(vm: TrapAndEmulateVm): ModeAdapter {
  const rb = vm.state.reservedBase;
  const kernelRing = vm.ringModel === '0/3/3' ? 3 : 1;
  const boundaries = [rb, TOP_4MIB];
  return {
    expectedCache(seg, d, cache) {
      if (seg === 'LDTR' || seg === 'TR') return d;
      return compressedCache(d, cache, kernelRing, boundaries);
    },
    cacheNote: `as the host holds it under ring compression (${vm.ringModel}): DPL 0 raised to ${kernelRing}, limit truncated below the VMM's area`,
    writeRefusal(gpa) {
      if (gpa >= rb) return `guest-physical 0x${gpa.toString(16)} lies in the VMM's reserved area (guest RAM ends at 0x${rb.toString(16)})`;
      if (vm.state.paging.isTablePage(gpa >>> 12)) {
        return `guest-physical page 0x${(gpa & -4096).toString(16)} holds a guest paging structure the VMM write-protects (a debugger write would bypass the shadow page tables)`;
      }
      return null;
    },
    // IF is the virtual IF; IOPL, NT, RF, ID stay the VMM's (the host's IOPL 0 is what makes CLI/STI exit).
    writableEflags: EFLAGS_STATUS | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_AC,
    writeEflags(v, value) {
      const cpu = v.cpu;
      vm.state.vif = (value & EFLAGS_IF) !== 0;
      const keep = ~(EFLAGS_STATUS | EFLAGS_TF | EFLAGS_DF | EFLAGS_AC);
      cpu.flags = ((getEflags(cpu) & keep) | (value & ~keep) | 2) >>> 0;
      cpu.lazyMask = 0;
      cpu.breakBlock = true;
    },
    guestCpl(hostCpl) {
      // The VMM tracks the guest's CPL itself where the host CPL cannot tell (0/3/3).
      const tracked = (vm.state as { guestCpl?: number }).guestCpl;
      if (typeof tracked === 'number') return tracked;
      return vm.ringModel === '0/1/3' && hostCpl === 1 ? 0 : hostCpl;
    },
    shadowUserBitCompared() {
      return !(vm.ringModel === '0/3/3' && this.guestCpl(vm.cpu.cpl) === 0);
    },
  };
}

/** The mode adapter for `vm` (see the file header). */
export function modeAdapter(vm: GuestVm): ModeAdapter {
  return vm instanceof TrapAndEmulateVm ? trapAndEmulateAdapter(vm) : NATIVE;
}

/**
 * Snapshot the guest's view of `vm` (see the file header). Cheap: one `guestState()` and a
 * few reads; take a new one after the guest ran or a value was written.
 */
export function guestView(vm: GuestVm): GuestView {
  const r = vm.guestState();
  const mode = modeAdapter(vm);
  const segments: SegmentState[] = SEGMENT_NAMES.map((name, n) => ({
    name,
    selector: r.read(VMCS.GUEST_ES_SELECTOR + 2 * n),
    base: u(r.read(VMCS.GUEST_ES_BASE + 2 * n)),
    limit: u(r.read(VMCS.GUEST_ES_LIMIT + 2 * n)),
    ar: r.read(VMCS.GUEST_ES_AR_BYTES + 2 * n),
  }));
  const cpu = vm.cpu;
  let cr2 = u(cpu.cr2);
  let ramLimit = vm.monitor ? vm.monitor.reservedBase : vm.memory.size;
  if (vm instanceof TrapAndEmulateVm) {
    const s = vm.state;
    cr2 = u(s.cr2);
    ramLimit = s.reservedBase;
    segments[6] = {
      name: 'LDTR',
      selector: s.ldtr.selector,
      base: u(s.ldtr.base),
      limit: u(s.ldtr.limit),
      ar: (s.ldtr.selector & 0xfffc) === 0 ? AR_UNUSABLE : AR_P | SystemType.LDT,
    };
    segments[7] = virtualTr(vm);
  }
  const hostCpl = cpu.cpl;
  return {
    vm,
    record: r,
    mode,
    eip: u(r.read(VMCS.GUEST_RIP)),
    eflags: u(r.read(VMCS.GUEST_RFLAGS)),
    cr0: u(r.read(VMCS.GUEST_CR0)),
    cr2,
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
    ramLimit,
  };
}

/**
 * The guest's TR under trap-and-emulate: the virtual selector, with base, limit and rights
 * decoded from the guest's GDT entry now (the VMM keeps only the selector; so this TR never
 * shows a stale cache — said plainly). Unusable while the guest has not run LTR.
 */
function virtualTr(vm: TrapAndEmulateVm): SegmentState {
  const s = vm.state;
  const sel = s.tr;
  const none: SegmentState = { name: 'TR', selector: sel, base: 0, limit: 0, ar: AR_UNUSABLE };
  if ((sel & 0xfffc) === 0) return none;
  const at = s.gdtr.base + (sel >>> 3) * 8;
  if ((sel >>> 3) * 8 + 7 > s.gdtr.limit || at + 8 > s.reservedBase) return none;
  const d = decodeDescriptor(vm.memory.read32(at), vm.memory.read32(at + 4));
  return { name: 'TR', selector: sel, base: d.base, limit: d.limit, ar: d.ar };
}
