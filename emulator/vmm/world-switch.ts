/**
 * The world switch between time slices of the multi-VM host (host.ts; docs/vmm-design.md,
 * "One host processor, many VMs").
 *
 * Each VM owns its own host-processor context (`GuestVm.cpu`) and its own memory, so the
 * Cpu object is not shared; what the world switch models is the PROCESSOR being handed from
 * one VM to the VMM and on to the next. At the end of a VM's slice (`switchOut`):
 *   1. the guest state is saved into the VM's world-switch record, as VM exit saves it
 *      (guest-state.ts `saveGuestState`, SDM Vol. 3C §28.3), with the registers the VMCS
 *      does not hold (EAX..EDI, CR2, DR0–DR3, DR6) in the software save area
 *      (`GuestRegisters`), as every VMM keeps them;
 *   2. the VMM's own state, from the record's host-state area, is loaded into the processor
 *      as VM exit loads it (§28.5 "Loading Host State"): CPL 0, flat 4-GiB segments, the
 *      VMM's GDT/IDT/TSS, CR4 = 0, DR7 = 400H, EFLAGS = 2, and (the VMM being TypeScript, it
 *      has no IA-32 code or stack to point at) EIP = ESP = 0 and the other general registers,
 *      CR2 and DR0–DR3 zero. Under a VMM (`vm.monitor` set) the VMM runs with paging on, as the
 *      processor needs to reach its tables where address-space compression put them: CR0 =
 *      PE | ET | NE | WP | PG, HOST_CR3 = the VMM's own page directory (`VmmMonitor.hostDirectory`,
 *      read at each switch-out since the VMM's page pool may move it), which maps only the VMM's
 *      area, and HOST_GDTR_BASE / HOST_IDTR_BASE / HOST_TR_BASE are the LINEAR addresses
 *      VMM_AREA_LINEAR + offset (shadow-gdt.ts), the same the VM's entry loads (vm.ts `enter`).
 *      On the bare machine (no monitor, no VMM tables) CR0 = PE | ET | NE without paging,
 *      CR3 = 0 and the bases are 0.
 * Before the VM's next slice (`switchIn`) the guest state is loaded back from the record, as
 * VM entry loads it (guest-state.ts `loadGuestState`, §27.3.2). So nothing of the guest
 * survives a switch unless the record carries it — the tests run guests to their full output
 * through thousands of switches to prove the record complete.
 *
 * Hidden state: with the VM's `preserveHiddenState` false (TrapAndEmulateVm option; absent →
 * true) the segment registers are restored by RELOADING their selectors from the descriptor
 * tables the host processor uses for the guest — the shadow GDT and shadow LDT in the VM's
 * reserved area (read host-physically, whatever paging the guest has) — as a pre-VT VMM had
 * to (`restoreByReloading`); a descriptor that changed after the guest loaded it then comes
 * back with its new contents, and the loss is returned to the caller.
 *
 * Not modelled (said plainly): the processor's instruction count, TLB and decoded-code
 * cache are per Cpu object and are not switched (the count is the VM's own instruction
 * count, which its virtual time derives from); the TLB is flushed by `loadGuestState` when
 * the loaded CR0/CR3/CR4 differ from the VMM's, as a real switch must.
 *
 * @see Intel SDM Vol. 3C §27.3.2 "Loading Guest State", §28.3 "Saving Guest State",
 *      §28.5 "Loading Host State" (chapter numbers of current editions)
 */
import { CR0_ET, CR0_NE, CR0_PE, CR0_PG, CR0_WP } from '../arch/control-registers';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, AR_UNUSABLE, SegReg, SystemType } from '../arch/segments';
import { VMCS } from '../arch/vmcs';
import type { Cpu } from '../cpu/cpu';
import { flushTlb } from '../cpu/paging';
import { setCpl } from '../cpu/segmentation';
import { GuestRegisters, guestDescriptorTables, loadGuestState, saveGuestState, type DescriptorTables, type HiddenStateLoss } from './guest-state';
import type { GuestVm } from './guest-vm';
import { SHADOW_GDT_OFFSET, SHADOW_LDT_OFFSET, TSS32_BYTES, VMM_AREA_LINEAR, VMM_IDT_OFFSET, VMM_TSS_OFFSET, VMM_TSS_SELECTOR } from './trap-and-emulate/shadow-gdt';
import { VmcsRecord } from './vmcs-record';

/** The VMM's flat ring-0 code and data selectors in the host-state area (§28.5.2 loads them with base 0 and a 4-GiB limit without reading the GDT). */
export const HOST_CODE_SELECTOR = 0x08;
export const HOST_DATA_SELECTOR = 0x10;
/** CR0 between slices on the bare machine: protected mode without paging (ET and NE as a P6-family processor has them). */
const HOST_CR0 = CR0_PE | CR0_ET | CR0_NE;
/** CR0 of a VMM between slices: paging on (its tables are at linear VMM_AREA_LINEAR, file header), WP as in the VMM's own runs. */
const HOST_CR0_PAGING = (HOST_CR0 | CR0_WP | CR0_PG) | 0;
/** DR7 after VM exit (§28.5.1: "DR7 is set to 400H"). */
const DR7_AFTER_EXIT = 0x400;
/** DR6's value with no debug condition (reserved bits set, SDM Vol. 3A §18.2.3). */
const DR6_CLEAR = 0xffff0ff0 | 0;
/** Access rights the host-state load gives CS (§28.5.2: type 11, S, DPL 0, P, D/B, G) and the data segments (type 3). */
const HOST_CODE_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const HOST_DATA_AR = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G;

/** Where a VM is between slices: its guest state, or (never switched out yet) still in its processor. */
export class WorldSwitchArea {
  /** The guest-state area as the last switch-out saved it, and the VMM's host-state area. */
  readonly record = new VmcsRecord();
  /** The software save area (general registers, CR2, DR0–DR3, DR6). */
  readonly regs = new GuestRegisters();
  /** True while the guest state is in `record` and the processor holds the VMM's state. */
  switchedOut = false;
  /** Completed switches: switch-outs and switch-ins each count one. */
  switches = 0;

  /**
   * @param hostGdtBase LINEAR base of the VMM's GDT as the host processor reaches it between slices, bytes
   * @param hostIdtBase the VMM's IDT (linear)
   * @param hostTrBase the VMM's TSS (linear)
   * @param hostCr0 CR0 between slices (with PG set, `switchOut` loads HOST_CR3 from the VM's monitor)
   */
  constructor(hostGdtBase: number, hostIdtBase: number, hostTrBase: number, hostCr0: number = HOST_CR0) {
    const r = this.record;
    r.write(VMCS.HOST_CR0, hostCr0);
    r.write(VMCS.HOST_CR3, 0);
    r.write(VMCS.HOST_CR4, 0);
    r.write(VMCS.HOST_CS_SELECTOR, HOST_CODE_SELECTOR);
    for (const f of [VMCS.HOST_SS_SELECTOR, VMCS.HOST_DS_SELECTOR, VMCS.HOST_ES_SELECTOR, VMCS.HOST_FS_SELECTOR, VMCS.HOST_GS_SELECTOR]) r.write(f, HOST_DATA_SELECTOR);
    r.write(VMCS.HOST_TR_SELECTOR, VMM_TSS_SELECTOR);
    r.write(VMCS.HOST_TR_BASE, hostTrBase);
    r.write(VMCS.HOST_GDTR_BASE, hostGdtBase);
    r.write(VMCS.HOST_IDTR_BASE, hostIdtBase);
    r.write(VMCS.HOST_RSP, 0);
    r.write(VMCS.HOST_RIP, 0);
  }

  /**
   * The area for `vm`: under a VMM the host tables are the ones in its reserved area
   * (shadow-gdt.ts layout) at their linear addresses VMM_AREA_LINEAR + offset, with paging on;
   * on the bare machine, none (bases 0, no paging).
   */
  static for(vm: GuestVm): WorldSwitchArea {
    if (vm.monitor === null) return new WorldSwitchArea(0, 0, 0);
    return new WorldSwitchArea(VMM_AREA_LINEAR + SHADOW_GDT_OFFSET, VMM_AREA_LINEAR + VMM_IDT_OFFSET, VMM_AREA_LINEAR + VMM_TSS_OFFSET, HOST_CR0_PAGING);
  }
}

/**
 * End of a slice: save the guest state of `vm`'s processor into `area` and load the VMM's
 * host state (see the file header).
 * @throws Error when `area` already holds a switched-out state (a switch-out without a switch-in would lose it)
 */
export function switchOut(vm: GuestVm, area: WorldSwitchArea): void {
  if (area.switchedOut) throw new Error('world switch: the VM is already switched out');
  const cpu = vm.cpu;
  saveGuestState(cpu, area.record, area.regs);
  if (vm.monitor !== null) area.record.write(VMCS.HOST_CR3, vm.monitor.hostDirectory());
  loadHostState(cpu, area.record);
  area.switchedOut = true;
  area.switches++;
}

/**
 * Before a slice: load `vm`'s guest state from `area` back into its processor. When `area`
 * was never switched out (the VM's first slice), nothing is loaded.
 * @returns the segment registers whose hidden state the reload lost (always empty when the
 *   VM preserves hidden state)
 */
export function switchIn(vm: GuestVm, area: WorldSwitchArea): HiddenStateLoss[] {
  if (!area.switchedOut) return [];
  const cpu = vm.cpu;
  const preserveHiddenState = preservesHiddenState(vm);
  const losses = loadGuestState(cpu, area.record, {
    preserveHiddenState,
    regs: area.regs,
    tables: preserveHiddenState ? undefined : hostDescriptorTables(vm),
  });
  area.switchedOut = false;
  area.switches++;
  return losses;
}

/** The VM's `preserveHiddenState` setting (TrapAndEmulateVm option), true when it has none. */
export function preservesHiddenState(vm: GuestVm): boolean {
  const v = (vm as { preserveHiddenState?: unknown }).preserveHiddenState;
  return typeof v === 'boolean' ? v : true;
}

/**
 * The descriptor tables the host processor runs the guest on, read host-physically: under a
 * VMM, the shadow GDT at `reservedBase + SHADOW_GDT_OFFSET` (limit: the host GDTR limit just
 * loaded) and the shadow LDT the host LDTR names; on the bare machine, the guest's own tables
 * through the processor (`guestDescriptorTables`).
 */
export function hostDescriptorTables(vm: GuestVm): DescriptorTables {
  const rb = vm.monitor?.reservedBase;
  if (rb === undefined) return guestDescriptorTables(vm.cpu);
  const cpu = vm.cpu;
  const mem = vm.memory;
  return {
    descriptor(selector) {
      const offset = selector & 0xfff8;
      let base: number;
      let limit: number;
      if (selector & 4) {
        if (cpu.ldtr.ar & AR_UNUSABLE) return null;
        base = rb + SHADOW_LDT_OFFSET;
        limit = cpu.ldtr.limit;
      } else {
        base = rb + SHADOW_GDT_OFFSET;
        limit = cpu.gdtr.limit;
      }
      if (offset + 7 > limit || base + offset + 8 > mem.size) return null;
      return { lo: mem.read32(base + offset), hi: mem.read32(base + offset + 4) };
    },
  };
}

/**
 * VM exit, loading host state (SDM Vol. 3C §28.5), from the host-state area of `record`:
 * CR0/CR3/CR4 (TLB flushed), DR7 = 400H, the SYSENTER MSRs (0: the VMM has no SYSENTER
 * entry), the selectors with base 0, limit 4 GiB and the fixed access rights §28.5.2 gives
 * (FS/GS bases from HOST_FS_BASE/HOST_GS_BASE, TR's from HOST_TR_BASE), LDTR unusable,
 * GDTR/IDTR bases with limit FFFFH, ESP/EIP, EFLAGS = 2, CPL 0, no interrupt shadow. The
 * registers the host-state area does not hold are cleared (see the file header).
 */
export function loadHostState(cpu: Cpu, record: VmcsRecord): void {
  cpu.cr0 = record.read(VMCS.HOST_CR0) | 0;
  cpu.cr3 = record.read(VMCS.HOST_CR3);
  cpu.cr4 = record.read(VMCS.HOST_CR4);
  flushTlb(cpu, true);
  cpu.dr.fill(0, 0, 4);
  cpu.dr[6] = DR6_CLEAR;
  cpu.dr[7] = DR7_AFTER_EXIT;
  cpu.cr2 = 0;
  cpu.sysenterCs = record.read(VMCS.HOST_IA32_SYSENTER_CS);
  cpu.sysenterEsp = record.read(VMCS.HOST_IA32_SYSENTER_ESP);
  cpu.sysenterEip = record.read(VMCS.HOST_IA32_SYSENTER_EIP);
  cpu.segs[SegReg.CS].setCache(record.read(VMCS.HOST_CS_SELECTOR), 0, 0xffffffff, HOST_CODE_AR);
  cpu.segs[SegReg.SS].setCache(record.read(VMCS.HOST_SS_SELECTOR), 0, 0xffffffff, HOST_DATA_AR);
  cpu.segs[SegReg.DS].setCache(record.read(VMCS.HOST_DS_SELECTOR), 0, 0xffffffff, HOST_DATA_AR);
  cpu.segs[SegReg.ES].setCache(record.read(VMCS.HOST_ES_SELECTOR), 0, 0xffffffff, HOST_DATA_AR);
  cpu.segs[SegReg.FS].setCache(record.read(VMCS.HOST_FS_SELECTOR), record.read(VMCS.HOST_FS_BASE), 0xffffffff, HOST_DATA_AR);
  cpu.segs[SegReg.GS].setCache(record.read(VMCS.HOST_GS_SELECTOR), record.read(VMCS.HOST_GS_BASE), 0xffffffff, HOST_DATA_AR);
  cpu.tr.setCache(record.read(VMCS.HOST_TR_SELECTOR), record.read(VMCS.HOST_TR_BASE), TSS32_BYTES - 1, AR_P | SystemType.TSS32_BUSY);
  cpu.ldtr.setCache(0, 0, 0, AR_UNUSABLE);
  cpu.gdtr.base = record.read(VMCS.HOST_GDTR_BASE);
  cpu.gdtr.limit = 0xffff;
  cpu.idtr.base = record.read(VMCS.HOST_IDTR_BASE);
  cpu.idtr.limit = 0xffff;
  cpu.regs.fill(0, 0, 8);
  cpu.regs[4] = record.read(VMCS.HOST_RSP);
  cpu.eip = record.read(VMCS.HOST_RIP);
  cpu.flags = 2;
  cpu.lazyMask = 0;
  cpu.shadowUntil = -1;
  cpu.halted = false;
  cpu.shutdown = false;
  setCpl(cpu, 0);
  cpu.breakBlock = true;
}
