/**
 * The per-VM state of the trap-and-emulate mode (the `S` of exit-dispatch.ts): the guest's
 * virtual CPU registers that the deprivileged host CPU cannot hold for it — virtual
 * EFLAGS.IF, CR0/CR2/CR3/CR4, GDTR and IDTR — the reserved area, the VM's devices, and what
 * the current exit is about. While the guest runs the host CPU holds everything else; at an
 * exit the VMM overlays these values onto the VMCS record it saved (vm.ts), so the debugger
 * sees the guest's view (SDM Vol. 3C §25.4 "Guest-State Area" field names).
 */
import type { CpuEvent } from '../../cpu/cpu';
import type { Insn } from '../../cpu/decoder/insn';
import type { PhysicalMemory } from '../../memory/physical-memory';
import type { RingPolicy } from './guest-ring';
import type { ReservedAreaAccess } from './exits/reserved-area';
import type { GuestTableRegister } from './shadow-gdt';
import type { GuestWalk, ShadowPaging } from './shadow-paging';
import type { VmDevices } from './vm-devices';

export interface TrapAndEmulateState {
  /** Virtual EFLAGS.IF: what the guest kernel believes (the host's IF stays 1 while the guest runs). */
  vif: boolean;
  /**
   * Set when an emulated instruction (STI, IRET, SYSEXIT …) set the virtual IF while the VM's
   * PIC held an interrupt back: the interrupt that arrives next was waiting for this interrupt
   * window, and its exit is INTERRUPT_WINDOW (as VT-x's "interrupt-window exiting" reports the
   * moment, SDM Vol. 3C §26.7.5) rather than EXTERNAL_INTERRUPT. Cleared when it arrives or
   * the virtual IF is cleared again.
   */
  windowOpen: boolean;
  /** Virtual control registers (uint32). */
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  /** Virtual GDTR and IDTR, as the guest's LGDT / LIDT loaded them. */
  readonly gdtr: GuestTableRegister;
  readonly idtr: GuestTableRegister;
  /** Virtual LDTR and TR selectors as the guest's LLDT / LTR loaded them (0: none yet), with the guest LDT's base and limit. */
  ldtr: { selector: number; base: number; limit: number };
  tr: number;
  /**
   * The guest TSS the virtual TR names, as the guest's LTR loaded it (guest-linear base, limit
   * in bytes - 1, 32-bit or not), or null before the guest's first LTR. Virtual delivery from
   * guest user mode reads SS0:ESP0 there (SDM Vol. 3A §6.12.1, §7.2.1).
   */
  tss: { base: number; limit: number; is32: boolean; /** The guest TR cache's access rights (VMCS layout): the descriptor's, busy. */ ar: number } | null;
  /**
   * The guest-physical frames behind the linear pages of the guest's GDT and LDT when they were
   * last write-protected, as a signature (descriptor-protection.ts): a change means the shadow
   * tables must be rebuilt from the frames now mapped. '' before the first protection.
   */
  descriptorFrames: string;
  /** The ring model's policy: kernel ring, the guest's user code descriptors (guest-ring.ts). */
  readonly ring: RingPolicy;
  /** The guest's CPL as the guest believes it: 0 in its kernel, 3 in user mode (guest-ring.ts). */
  guestCpl: 0 | 3;
  /** Virtual IA32_SYSENTER_CS / _ESP / _EIP (the host's stay 0 while the guest runs). */
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
  /** First linear (= physical) address of the VMM's reserved area (shadow-gdt.ts). */
  readonly reservedBase: number;
  readonly memory: PhysicalMemory;
  readonly devices: VmDevices;
  /** The event that brought control to the VMM at the current exit. */
  event: CpuEvent | null;
  /** The instruction at CS:EIP decoded for a #GP exit, else null. */
  insn: Insn | null;
  /** The shadow page tables (active while the virtual CR0.PG is set). */
  readonly paging: ShadowPaging;
  /** For a host #PF exit under shadow paging: the guest-virtual address, the access and the guest's walk; else null. */
  pageFault: { lin: number; write: boolean; user: boolean; walk: GuestWalk } | null;
  /** For a RESERVED_AREA_ACCESS exit: the guest's access to the VMM's linear area (exits/reserved-area.ts); else null. */
  areaAccess: ReservedAreaAccess | null;
}
