/**
 * The guest's view of its processor under trap-and-emulate: the guest state saved from the
 * host processor as a VM exit saves it (guest-state.ts `saveGuestState`, SDM Vol. 3C §28.3),
 * with what the VMM virtualizes overlaid — LDTR and TR (the host's hold the VMM's shadow LDT
 * and TSS), the guest's CPL as SS.DPL (§25.4.1), EFLAGS.IF, CR0/CR3/CR4, GDTR, IDTR, the
 * SYSENTER MSRs and, in the software save area, CR2. Used at every exit (the VMCS record) and
 * for `TrapAndEmulateVm.guestState()` (what the debugger shows).
 */
import { EFLAGS_IF } from '../../arch/eflags';
import { AR_DPL_MASK, AR_DPL_SHIFT, AR_P, AR_UNUSABLE, SystemType } from '../../arch/segments';
import { VMCS } from '../../arch/vmcs';
import type { Cpu } from '../../cpu/cpu';
import { saveGuestState, type GuestRegisters } from '../guest-state';
import type { VmcsRecord } from '../vmcs-record';
import type { TrapAndEmulateState } from './vm-state';

/** Write the guest's view into `v` (and CR2 into `regs` when given); `cpu` is the host processor running the guest. */
export function saveGuestView(cpu: Cpu, s: TrapAndEmulateState, v: VmcsRecord, regs?: GuestRegisters): void {
saveGuestState(cpu, v, regs);
  if (regs !== undefined) regs.cr2 = s.cr2 >>> 0;
  // LDTR and TR are virtual: the host's hold the VMM's shadow LDT and TSS (SDM Vol. 3C §25.4.1 fields).
  const noLdt = (s.ldtr.selector & 0xfffc) === 0;
  v.write(VMCS.GUEST_LDTR_SELECTOR, s.ldtr.selector);
  v.write(VMCS.GUEST_LDTR_BASE, noLdt ? 0 : s.ldtr.base >>> 0);
  v.write(VMCS.GUEST_LDTR_LIMIT, noLdt ? 0 : s.ldtr.limit >>> 0);
  v.write(VMCS.GUEST_LDTR_AR_BYTES, noLdt ? AR_UNUSABLE : AR_P | SystemType.LDT);
  const tss = s.tss;
  v.write(VMCS.GUEST_TR_SELECTOR, s.tr);
  v.write(VMCS.GUEST_TR_BASE, tss === null ? 0 : tss.base);
  v.write(VMCS.GUEST_TR_LIMIT, tss === null ? 0 : tss.limit);
  v.write(VMCS.GUEST_TR_AR_BYTES, tss === null ? AR_UNUSABLE : tss.ar);
  // The CPL is SS.DPL in the guest-state area (SDM Vol. 3C §25.4.1): the guest's CPL.
  v.write(VMCS.GUEST_SS_AR_BYTES, ((v.read(VMCS.GUEST_SS_AR_BYTES) & ~AR_DPL_MASK) | (s.guestCpl << AR_DPL_SHIFT)) >>> 0);
  v.write(VMCS.GUEST_RFLAGS, ((v.read(VMCS.GUEST_RFLAGS) & ~EFLAGS_IF) | (s.vif ? EFLAGS_IF : 0)) >>> 0);
  v.write(VMCS.GUEST_CR0, s.cr0);
  v.write(VMCS.GUEST_CR3, s.cr3);
  v.write(VMCS.GUEST_CR4, s.cr4);
  v.write(VMCS.GUEST_GDTR_BASE, s.gdtr.base);
  v.write(VMCS.GUEST_GDTR_LIMIT, s.gdtr.limit);
  v.write(VMCS.GUEST_IDTR_BASE, s.idtr.base);
  v.write(VMCS.GUEST_IDTR_LIMIT, s.idtr.limit);
  v.write(VMCS.GUEST_SYSENTER_CS, s.sysenterCs);
  v.write(VMCS.GUEST_SYSENTER_ESP, s.sysenterEsp);
  v.write(VMCS.GUEST_SYSENTER_EIP, s.sysenterEip);
}
