/**
 * The guest's virtual privilege level and the ring model (docs/vmm-design.md, "Ring
 * deprivileging" and "Guest user mode").
 *
 * Ring models: 0/1/3 runs the guest kernel at host CPL 1, 0/3/3 at host CPL 3, and guest
 * user code at host CPL 3 in both. The shadow descriptor tables raise a guest DPL of 0 to the
 * model's kernel ring (shadow-gdt.ts), and guest ring-0 CS and SS selectors take that RPL.
 * Under 0/3/3 the host CPL no longer tells the guest kernel from guest user code, so the VMM
 * tracks the guest's CPL itself (`TrapAndEmulateState.guestCpl`), for both models alike.
 *
 * Every guest kernel ↔ user transition passes through the VMM:
 *   - user → kernel: every event (exception, interrupt, INT n) is a VM exit and is reflected
 *     by virtual delivery; SYSENTER faults (the host IA32_SYSENTER_CS is 0) and is emulated;
 *   - kernel → user: SYSEXIT faults at CPL 1 and 3 (it needs CPL 0); IRET would not fault —
 *     at CPL 1 an IRET to an outer ring succeeds natively (and ignores the popped IF, so the
 *     virtual IF would stay clear in user mode), at CPL 3 it would be a same-ring IRET that
 *     pops no SS:ESP. So while the guest kernel runs, the shadow descriptors of the guest's
 *     present DPL-3 code segments are made NOT PRESENT: the guest kernel's IRET to user code
 *     passes every check hardware makes before the presence check and then takes
 *     #NP(selector) (SDM Vol. 2A "IRET" Operation, RETURN-TO-OUTER-PRIVILEGE-LEVEL), which
 *     the VMM classifies as IRET and emulates. Entering guest user mode makes them present
 *     again. A far JMP/CALL/RET to them is not legal from guest ring 0 on hardware either
 *     (a nonconforming segment needs DPL = CPL), except RETF to an outer ring (see NOT YET).
 * Under 0/3/3 the guest's DPL-0 descriptors are shadowed with DPL 3 while the guest kernel
 * runs (it runs at CPL 3), and written back with DPL 0 while guest user code runs, so user
 * code can neither load them nor see them with LAR/LSL/VERR/VERW — as on hardware. The
 * transitions also switch the 0/3/3 shadow page-table view (shadow-paging.ts). The two sets
 * of shadow entries toggled are the "kernel form" (user code hidden, DPL 0 raised) and the
 * "user form" (user code present, DPL 0 as the guest wrote it under 0/3/3; DPL 1 under 0/1/3,
 * which ring 3 cannot use either).
 *
 * Visible differences this causes (holes of the model, listed in the design doc): LAR/LSL/
 * VERR on a guest user code selector from the guest kernel sees P = 0.
 * NOT YET: RETF from the guest kernel to guest user code (takes the #NP, which is reflected
 * to the guest as #NP); user code segments of DPL 1 or 2 (guest rings 1–2 are not emulated).
 */
import { AR_CODE, AR_P, AR_S, arDpl, decodeDescriptor } from '../../arch/segments';
import type { Cpu } from '../../cpu/cpu';
import type { PhysicalMemory } from '../../memory/physical-memory';
import type { RingModel } from '../guest-vm';

/** The P bit in the high dword of a descriptor (SDM Vol. 3A Figure 3-8). */
const DESC_P_HI = AR_P << 8;

/** A shadow descriptor-table entry of a guest user code segment: where it is (host-physical) and its selector (RPL 0). */
export interface UserCodeEntry {
  readonly at: number;
  readonly selector: number;
}

/**
 * How shadow descriptors are made for one VM: the DPL a guest DPL 0 is raised to, which
 * shadow entries were raised (under 0/3/3 a shadow DPL of 3 is either), and the guest user
 * code descriptors the shadow builders found (which `hideUserCode`/`showUserCode` toggle).
 */
export interface RingPolicy {
  readonly model: RingModel;
  /** Host CPL of the guest kernel: 1 (0/1/3) or 3 (0/3/3). */
  readonly kernelRing: 1 | 3;
  /** Per GDT / LDT index: 1 when the guest descriptor had DPL 0 (raised to `kernelRing`). */
  readonly raisedGdt: Uint8Array;
  readonly raisedLdt: Uint8Array;
  /** Shadow GDT entries of present guest DPL-3 code descriptors. */
  readonly userCodeGdt: UserCodeEntry[];
  /** The same in the shadow LDT. */
  readonly userCodeLdt: UserCodeEntry[];
  /** Shadow entries of guest DPL-0 code and data descriptors (GDT and LDT): their DPL is toggled under 0/3/3. */
  readonly raisedEntries: UserCodeEntry[];
  /** Whether the shadow tables are in the kernel form (user code not present, DPL 0 raised): the guest kernel runs. */
  hidden: boolean;
}

/** A fresh policy for `model`, with nothing shadowed yet and the guest in its kernel. */
export function ringPolicy(model: RingModel): RingPolicy {
  return { model, kernelRing: model === '0/3/3' ? 3 : 1, raisedGdt: new Uint8Array(8192), raisedLdt: new Uint8Array(8192), userCodeGdt: [], userCodeLdt: [], raisedEntries: [], hidden: true };
}

/**
 * The DPL the guest gave the descriptor named by `selector`, from the shadow's access rights
 * `shadowAr` (VMCS layout): 0 when the shadow raised it, else the shadow's DPL.
 */
export function guestDpl(ring: RingPolicy, selector: number, shadowAr: number): number {
  const raised = selector & 4 ? ring.raisedLdt : ring.raisedGdt;
  return raised[selector >>> 3] ? 0 : arDpl(shadowAr);
}

/** Whether `selector` names one of the guest's user code descriptors (present, DPL 3). */
export function isUserCodeSelector(ring: RingPolicy, selector: number): boolean {
  const list = selector & 4 ? ring.userCodeLdt : ring.userCodeGdt;
  const s = selector & 0xfffc;
  for (const e of list) if (e.selector === s) return true;
  return false;
}

/**
 * Whether a guest descriptor is one the policy toggles: a present code segment (S = 1) of
 * DPL 3. `shadowHi` is the shadow's high dword (not toggled when the shadow made it not present).
 */
export function isGuestUserCode(lo: number, hi: number, shadowHi: number): boolean {
  const ar = decodeDescriptor(lo, hi).ar;
  return (ar & (AR_S | AR_CODE | AR_P)) === (AR_S | AR_CODE | AR_P) && arDpl(ar) === 3 && (shadowHi & DESC_P_HI) !== 0;
}

function setPresent(mem: PhysicalMemory, entries: readonly UserCodeEntry[], present: boolean): void {
  for (const { at } of entries) {
    const hi = mem.read32(at + 4);
    mem.write32(at + 4, present ? hi | DESC_P_HI : hi & ~DESC_P_HI);
  }
}

/** Set the DPL of each entry (0/3/3 raised entries) in the high dword. */
function setDpl(mem: PhysicalMemory, entries: readonly UserCodeEntry[], dpl: number): void {
  for (const { at } of entries) {
    const hi = mem.read32(at + 4);
    mem.write32(at + 4, (hi & ~(3 << 13)) | (dpl << 13));
  }
}

/** The shadow entry's high dword `hi` in the current form, for a builder that just made it in kernel form. */
export function inCurrentForm(ring: RingPolicy, userCode: boolean, raised: boolean, hi: number): number {
  if (ring.hidden) return userCode ? hi & ~DESC_P_HI : hi;
  return raised && ring.kernelRing === 3 ? hi & ~(3 << 13) : hi;
}

/** Kernel form: the guest's user code descriptors not present, (0/3/3) DPL 0 raised to 3 — the guest kernel is about to run. */
export function hideUserCode(mem: PhysicalMemory, ring: RingPolicy): void {
  setPresent(mem, ring.userCodeGdt, false);
  setPresent(mem, ring.userCodeLdt, false);
  if (ring.kernelRing === 3) setDpl(mem, ring.raisedEntries, 3);
  ring.hidden = true;
}

/** User form: user code present again, (0/3/3) DPL 0 as the guest wrote it — guest user code is about to run. */
export function showUserCode(mem: PhysicalMemory, ring: RingPolicy): void {
  setPresent(mem, ring.userCodeGdt, true);
  setPresent(mem, ring.userCodeLdt, true);
  if (ring.kernelRing === 3) setDpl(mem, ring.raisedEntries, 0);
  ring.hidden = false;
}

/** Forget the raised entries of the LDT (`ldt`) or of the GDT, before a shadow table is rebuilt or dropped. */
export function dropRaisedEntries(ring: RingPolicy, ldt: boolean): void {
  const kept = ring.raisedEntries.filter((e) => ((e.selector & 4) !== 0) !== ldt);
  ring.raisedEntries.length = 0;
  ring.raisedEntries.push(...kept);
}

/** Whether `selector` names one of the user code descriptors hidden now (the guest kernel runs). */
export function isHiddenUserCode(ring: RingPolicy, selector: number): boolean {
  return ring.hidden && isUserCodeSelector(ring, selector);
}

/** What a guest-visible transition needs from the VM: its memory, policy, CPL and paging views. */
export interface GuestRingState {
  readonly memory: PhysicalMemory;
  readonly ring: RingPolicy;
  guestCpl: 0 | 3;
  readonly paging: { setView(cpu: Cpu, user: boolean): void };
}

/**
 * Put the shadow tables in kernel form and the host on the kernel page-table view (0/3/3),
 * without changing the guest's CPL: what the VMM needs to read the guest kernel's IDT, TSS,
 * descriptors and stack while it delivers an event from guest user mode (a fault during the
 * delivery is delivered from user mode again, so the CPL changes only at its commit).
 */
export function useKernelForm(cpu: Cpu, state: GuestRingState): void {
  if (!state.ring.hidden) hideUserCode(state.memory, state.ring);
  state.paging.setView(cpu, false);
}

/**
 * The guest enters its kernel (virtual delivery from user mode, SYSENTER): guest CPL 0, the
 * kernel form of the shadow tables, the kernel page-table view (0/3/3).
 */
export function enterGuestKernel(cpu: Cpu, state: GuestRingState): void {
  state.guestCpl = 0;
  useKernelForm(cpu, state);
}

/** The guest enters user mode (IRET or SYSEXIT to ring 3): guest CPL 3, user code present, the user view. */
export function enterGuestUser(cpu: Cpu, state: GuestRingState): void {
  state.guestCpl = 3;
  if (state.ring.hidden) showUserCode(state.memory, state.ring);
  state.paging.setView(cpu, true);
}
