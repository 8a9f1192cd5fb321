/**
 * `TrapAndEmulateVm`: one guest, entered in flat 32-bit protected mode without paging, run
 * on the host `Cpu` deprivileged: its kernel at CPL 1 (ring model 0/1/3, the default) or at
 * CPL 3 (0/3/3), its user code at CPL 3 (docs/vmm-design.md; guest-ring.ts).
 *
 * VM entry (`enter`): the guest's GDTR, IDTR, CR0–CR4 and IF become the virtual state
 * (vm-state.ts); the host gets the shadow GDT (shadow-gdt.ts), the VMM's IDT and TSS in the
 * reserved area, the kernel ring as CPL, EFLAGS.IF = 1 and IOPL = 0; the guest's segment
 * caches keep their hidden state with DPL 0 raised to the kernel ring and limits truncated,
 * CS and SS take the kernel ring as RPL.
 *
 * Guest user mode: the VMM tracks the guest's CPL (`state.guestCpl`); events from user code
 * are delivered through the guest TSS's ring-0 stack, SYSENTER/SYSEXIT and the kernel's IRET
 * to ring 3 trap and are emulated (virtual-delivery.ts, exits/system-call.ts, guest-ring.ts).
 *
 * VM exit: `cpu.hooks.interceptEvent` returns true for EVERY event while the VM runs (the host
 * IDT is never used). The callback saves the guest state into the VMCS record with the
 * virtual registers overlaid, classifies the event (classify.ts), and dispatches it through
 * the mode's keyed table (mode.ts, exit-dispatch.ts), which records the exit information and
 * statistics. A guest fault raised while emulating (a bad MOV CR0 value, an operand beyond a
 * limit, a bad guest IDT entry) is reflected into the guest with the double-fault rules
 * (SDM Vol. 3A §6.15, Table 6-5); a fault while reflecting #DF is a guest triple fault and
 * stops the VM. A missing handler (VmmError) or an unsupported guest situation
 * (VmmUnsupported) stops the VM with its message; nothing else of the host is affected.
 *
 * Virtual interrupts: the host CPU's INTR line is a gate over the VM's PIC that reports an
 * interrupt only while the virtual IF is set, so the executor's own interrupt window (host
 * IF = 1, STI / MOV SS shadow) does the rest; the interrupt then arrives as an
 * EXTERNAL_INTERRUPT exit and is reflected through the guest's IDT.
 *
 * Paging: when the guest sets its virtual CR0.PG the host runs on shadow page tables
 * (shadow-paging.ts). A host #PF is then classified here before dispatch: the guest's own
 * tables allow the access → HIDDEN_PAGE_FAULT (or GUEST_PAGE_TABLE_WRITE for a write to a
 * write-protected guest paging structure); they do not → EXCEPTION_NMI, reflected with the
 * guest's error code and the faulting address as the virtual CR2. The host CR2 the CPU wrote
 * is put back to the virtual CR2 at every #PF exit. A shadow miss taken by the VMM itself
 * while emulating is filled and the handler run again (`dispatchResolvingShadowMisses`).
 *
 * NOT YET (said plainly): a VMM write to a guest paging structure while emulating (e.g. a
 * guest stack inside a page table: the retry gives up and the fault is reflected), LSS with
 * an RPL-0 selector (it faults at CPL 1 and 3 and is reflected as #GP), guest rings 1 and 2,
 * RETF from the guest kernel to guest user code (its #NP is reflected), 16-bit gates, TSSs
 * and IRET, task gates (virtual-delivery.ts), several VMs and world switches (the guest state stays in the host CPU between
 * exits); see exits/reserved-area.ts and descriptor-protection.ts for what the emulation of
 * the VMM area and the GDT/LDT write protection do not cover.
 *
 * Address-space compression (docs/vmm-design.md): the host runs with paging always on — on
 * the identity shadow while the guest's paging is off — and reaches the VMM's GDT, IDT and TSS
 * at linear 0xFFC00000 (VMM_AREA_LINEAR); guest segments end at 0xFFBFFFFF, and a guest access
 * above is a RESERVED_AREA_ACCESS exit (#GP from a truncated limit, or a host #PF there),
 * emulated against the guest's own page. The guest's GDT/LDT pages are write-protected
 * (GUEST_DESCRIPTOR_TABLE_WRITE). With `preserveHiddenState: false` the segment registers
 * are reloaded from the shadow tables after each exit, losing hidden state as a pre-VT VMM did.
 *
 * Virtualization holes: `cpu.hooks.onSensitive` records each sensitive, unprivileged guest
 * instruction that shows the guest the deprivileging into `holes` (hole-log.ts; see `onHole`).
 */
import { EFLAGS_AC, EFLAGS_DF, EFLAGS_IF, EFLAGS_IOPL, EFLAGS_STATUS, EFLAGS_TF } from '../../arch/eflags';
import { Vector } from '../../arch/exceptions';
import { SegReg } from '../../arch/segments';
import { VMCS } from '../../arch/vmcs';
import { Cpu, type CpuEvent, type InterruptLine } from '../../cpu/cpu';
import { codeCache, run as runCpu } from '../../cpu/executor';
import { CpuFault } from '../../cpu/fault';
import { getEflags, setEflagsBits } from '../../cpu/flags';
import { isDoubleFaultPair } from '../../cpu/interrupts';
import { flushTlb } from '../../cpu/paging';
import { setCpl } from '../../cpu/segmentation';
import { loadMultiboot, type LoadResult } from '../../loader/index';
import { applyEntryState } from '../../machine/entry';
import { programInterruptHardware } from '../../machine/bios/post';
import { IoBus } from '../../memory/io-bus';
import { PhysicalMemory } from '../../memory/physical-memory';
import { dispatchExit, exitActionOfError, stop, type ExitAction, type ExitVcpu } from '../exit-dispatch';
import { EXIT_TRANSITION_COST, ExitStats } from '../exit-stats';
import { recordExit } from '../exit-info';
import { sdmCause, vmmCause } from '../exit-cause';
import { HoleLog, hiddenStateHole, type HoleListener } from '../hole-log';
import type { SensitiveEvent } from '../../cpu/sensitive';
import type { GuestSegmentName, GuestStop, GuestVm, RingModel, SegmentCacheValue, VmmMonitor } from '../guest-vm';
import { saveGuestState, type GuestRegisters } from '../guest-state';
import { saveGuestView } from './guest-view';
import { VmcsRecord } from '../vmcs-record';
import { classifyEvent } from './classify';
import { TRAP_AND_EMULATE } from './mode';
import { buildShadowGdt, shadowCache, TSS32_BYTES, VMM_AREA_BYTES, VMM_IDT_OFFSET, VMM_TSS_OFFSET, VMM_TSS_SELECTOR } from './shadow-gdt';
import { reflectEvent, VmmUnsupported } from './virtual-delivery';
import { VmDevices } from './vm-devices';
import type { TrapAndEmulateState } from './vm-state';
import { ShadowPaging, walkGuest } from './shadow-paging';
import { CR0_PG } from '../../arch/control-registers';
import { PFEC_US, PFEC_WR } from '../../arch/exceptions';
import { VmmExitReason } from '../exit-cause';
import { AR_DPL_MASK, AR_P, AR_UNUSABLE, SystemType } from '../../arch/segments';
import { dropRaisedEntries, ringPolicy } from './guest-ring';
import { ExitReason } from '../../arch/vmx-exit-reasons';
import { guestDescriptorTables, restoreByReloading, type HiddenStateLoss } from '../guest-state';
import { guestTableReader, protectDescriptorTables } from './descriptor-protection';
import { reservedAreaAccessOf, reservedAreaFaultOf } from './exits/reserved-area';
import { VMM_AREA_LINEAR } from './shadow-gdt';

/** Where the loader's entry GDT goes (guest-physical), as on the bare machine. */
const ENTRY_GDT_BASE = 0x500;
/** Offset of the dword holding the T flag (bit 0) and the I/O map base (bits 31:16) in a 32-bit TSS (SDM Vol. 3A Figure 7-2). */
const TSS_IOMAP_DWORD = 0x64;

export interface TrapAndEmulateVmOptions {
  /**
   * true (default): the guest's segment registers keep their hidden descriptor caches across
   * exits, as VT-x's VMCS keeps them. false: after each exit the VMM restores them by reloading
   * each selector from the (shadow) descriptor tables, as a pre-VT VMM had to
   * (guest-state.ts `restoreByReloading`): a segment whose descriptor changed after it was
   * loaded comes back with the new descriptor (issue 5, "hidden state").
   */
  preserveHiddenState?: boolean;
  /** VM RAM in MiB (the top VMM_AREA_BYTES are the VMM's). Default 32. */
  memoryMiB?: number;
  /** Receives each byte the guest's COM1 transmits. */
  serial?: (byte: number) => void;
  instructionsPerSecond?: number;
  /**
   * Ring-deprivileging model (docs/vmm-design.md): '0/1/3' (default) runs the guest kernel at
   * host CPL 1; '0/3/3' at host CPL 3, with a kernel and a user shadow page table per guest CR3.
   */
  ringModel?: RingModel;
}

/**
 * Why `TrapAndEmulateVm.run` returned (guest-vm.ts `GuestStop`): the budget was used up
 * (`limit`), the guest wrote isa-debug-exit (`exit`, status (value << 1) | 1), an instruction
 * breakpoint was reached (`breakpoint`), `requestStop` was called (`request`), or the VM
 * stopped for good (`stopped`: VMM error, unsupported guest situation, guest triple fault,
 * HLT that nothing can end).
 */
export type VmStop = GuestStop;

export class TrapAndEmulateVm implements GuestVm, VmmMonitor {
  readonly vmm = 'trap-and-emulate' as const;
  readonly ringModel: RingModel;
  /** This VM is its own monitor (guest-vm.ts `VmmMonitor`: vmcs, stats, holes). */
  readonly monitor: VmmMonitor = this;
  readonly memory: PhysicalMemory;
  /** The host processor (its IoBus is the host's, empty: the guest reaches devices only through exits). */
  readonly cpu: Cpu;
  readonly vmcs = new VmcsRecord();
  readonly stats = new ExitStats();
  /** Virtualization holes the guest stepped into: counted per kind, the recent ones kept (hole-log.ts). */
  readonly holes = new HoleLog();
  readonly devices: VmDevices;
  readonly state: TrapAndEmulateState;
  /** Set when the VM has stopped for good, with the reason. */
  stopped: string | null = null;
  /** A pending `requestStop` reason. */
  private userStop: string | null = null;
  /** The `preserveHiddenState` option (world-switch.ts reads it too). */
  readonly preserveHiddenState: boolean;
  /** With `preserveHiddenState: false`: how many segment registers came back different from their cache after an exit, and the last few. */
  hiddenStateLossCount = 0;
  readonly hiddenStateLosses: HiddenStateLoss[] = [];
  private readonly reloadRecord = new VmcsRecord();
  private readonly vcpu: ExitVcpu<TrapAndEmulateState>;

  constructor(options: TrapAndEmulateVmOptions = {}) {
    const mib = options.memoryMiB ?? 32;
    const model = options.ringModel ?? '0/1/3';
    if (model !== '0/1/3' && model !== '0/3/3') throw new RangeError(`unknown ring model '${String(model)}' (expected '0/1/3' or '0/3/3')`);
    this.ringModel = model;
    this.memory = new PhysicalMemory(mib << 20);
    this.cpu = new Cpu(this.memory, new IoBus());
    this.devices = new VmDevices(this.cpu, options.serial ?? null, options.instructionsPerSecond);
    this.state = {
      vif: false,
      windowOpen: false,
      cr0: 0,
      cr2: 0,
      cr3: 0,
      cr4: 0,
      gdtr: { base: 0, limit: 0 },
      idtr: { base: 0, limit: 0 },
      ldtr: { selector: 0, base: 0, limit: 0 },
      tr: 0,
      tss: null,
      descriptorFrames: '',
      ring: ringPolicy(model),
      guestCpl: 0,
      sysenterCs: 0,
      sysenterEsp: 0,
      sysenterEip: 0,
      reservedBase: this.memory.size - VMM_AREA_BYTES,
      memory: this.memory,
      devices: this.devices,
      event: null,
      insn: null,
      paging: new ShadowPaging(this.memory, this.memory.size - VMM_AREA_BYTES, model === '0/3/3'),
      pageFault: null,
      areaAccess: null,
    };
    this.preserveHiddenState = options.preserveHiddenState ?? true;
    this.vcpu = { cpu: this.cpu, vmcs: this.vmcs, stats: this.stats, state: this.state };
    const state = this.state;
    const pic = this.devices.pic;
    const gated: InterruptLine = {
      pending: () => state.vif && pic.pending(),
      acknowledge: () => pic.acknowledge(),
    };
    this.cpu.intr = gated;
    pic.onOutputChange((level) => {
      if (level) this.cpu.breakBlock = true;
    });
    this.cpu.hooks = {
      interceptEvent: (_cpu, event) => this.onExit(event),
      onSensitive: (cpu, event) => this.onSensitive(cpu, event),
      virtualIf: () => state.vif,
    };
  }

  /** Call `listener` for each virtualization hole from now on; returns the function that removes it. */
  onHole(listener: HoleListener): () => void {
    return this.holes.onHole(listener);
  }

  /** First address of the VMM's reserved area in the VM's memory (the guest's RAM ends there). */
  get reservedBase(): number {
    return this.state.reservedBase;
  }

  /**
   * Host-physical address of the shadow page directory in the host CR3 — the identity shadow
   * while the guest's paging is off (the host's paging is always on after `enter`) — or null
   * before the VM is entered.
   */
  shadowPageDirectory(): number | null {
    return this.state.paging.active ? (this.cpu.cr3 & -4096) >>> 0 : null;
  }

  /** The VMM's own page directory between slices (guest-vm.ts `VmmMonitor.hostDirectory`; shadow-paging.ts). */
  hostDirectory(): number {
    return this.state.paging.hostDirectory;
  }

  /**
   * `preserveHiddenState: false`: restore ES, CS, SS, DS, FS, GS, LDTR and TR the way a VMM
   * without VT had to at each exit — by reloading their selectors from the descriptor tables
   * the host runs on (the shadow GDT/LDT, which follow the guest's tables: descriptor-protection.ts).
   * Each register whose cache changes is a loss of hidden state, counted and kept (the last 16)
   * and recorded as a 'hidden-state-lost' virtualization hole (hole-log.ts `hiddenStateHole`).
   */
  private reloadSegmentRegisters(): void {
    const cpu = this.cpu;
    saveGuestState(cpu, this.reloadRecord);
    const losses = restoreByReloading(cpu, this.reloadRecord, guestDescriptorTables(cpu));
    for (const loss of losses) {
      this.hiddenStateLossCount++;
      this.hiddenStateLosses.push(loss);
      if (this.hiddenStateLosses.length > 16) this.hiddenStateLosses.shift();
      this.holes.record(hiddenStateHole(loss, cpu, 'exit'), cpu.icount);
    }
  }

  /** Make `run` return `{ kind: 'request', why }` before the next guest instruction. */
  requestStop(why: string): void {
    this.userStop ??= why;
    this.cpu.requestStop(why);
  }

  /** Instruction breakpoints at these guest-linear addresses (replaces the set). */
  setBreakpoints(linear: Iterable<number>): void {
    codeCache(this.cpu).setBreakpoints(linear);
  }

  /**
   * The guest's state as the guest believes it (guest-vm.ts): the host processor's state
   * saved as a VM exit saves it, with the virtual EFLAGS.IF, CRs, GDTR, IDTR, LDTR, TR and
   * SYSENTER MSRs overlaid (guest-view.ts `saveGuestView`), and the guest's CPL (0 in its kernel, 3 in user
   * mode) as the DPL in GUEST_SS_AR_BYTES. The CS and SS selectors stay as the host holds
   * them: in the guest kernel their RPL is the model's kernel ring (1 or 3), the ring aliasing
   * the guest itself sees with PUSH CS / MOV AX, SS. With `regs`, the software-saved registers
   * too, CR2 the virtual CR2. Does not touch `vmcs` (the last exit's record).
   */
  guestState(into: VmcsRecord = new VmcsRecord(), regs?: GuestRegisters): VmcsRecord {
    saveGuestView(this.cpu, this.state, into, regs);
    return into;
  }

  /** Whether guest-physical `gpa` lies in a page the VMM write-protects as a guest paging structure (shadow-paging.ts; guest-vm.ts `VmmMonitor`). */
  isGuestPagingStructure(gpa: number): boolean {
    return this.state.paging.isTablePage(gpa >>> 12);
  }

  /**
   * What a load of descriptor `d` into segment register `seg` gives under this VMM (guest-vm.ts
   * `VmmMonitor.expectedSegmentCache`): LDTR and TR are virtual (`guestState` shows the guest's),
   * so `d` itself; ES–GS get the VM-entry rule of shadow-gdt.ts `shadowCache` — a DPL 0 raised
   * to the kernel ring, the limit truncated below the VMM's linear area, P cleared for a base
   * inside it. Caches loaded from a user-code descriptor are not raised (DPL 3 stays 3). SS
   * keeps `d`'s DPL: `guestState` shows SS.DPL as the guest's CPL, which an SS load makes equal
   * to the descriptor's DPL (SDM Vol. 3A §5.7).
   */
  expectedSegmentCache(seg: GuestSegmentName, d: SegmentCacheValue): SegmentCacheValue {
    if (seg === 'LDTR' || seg === 'TR') return d;
    const c = shadowCache(d.base, d.limit, d.ar, VMM_AREA_LINEAR, this.state.ring.kernelRing);
    const ar = seg === 'SS' ? (c.ar & ~AR_DPL_MASK) | (d.ar & AR_DPL_MASK) : c.ar;
    return { base: d.base, limit: c.limit, ar };
  }

  /** EFLAGS bits a debugger may write (guest-vm.ts `VmmMonitor.writableGuestEflags`): IOPL, NT, RF, ID stay the VMM's (host IOPL 0 is what makes CLI/STI exit). */
  readonly writableGuestEflags = EFLAGS_STATUS | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_AC;

  /**
   * Write the guest's EFLAGS as a debugger would (guest-vm.ts `VmmMonitor.writeGuestEflags`):
   * IF becomes the virtual IF, the other `writableGuestEflags` bits go to the host processor,
   * the VMM's own bits (IOPL, IF = 1 on the host…) are kept.
   */
  writeGuestEflags(value: number): void {
    const cpu = this.cpu;
    this.state.vif = (value & EFLAGS_IF) !== 0;
    const mine = EFLAGS_STATUS | EFLAGS_TF | EFLAGS_DF | EFLAGS_AC;
    cpu.flags = ((getEflags(cpu) & ~mine) | (value & mine) | 2) >>> 0;
    cpu.lazyMask = 0;
    cpu.breakBlock = true;
  }

  /**
   * Which sensitive executions are holes: only the guest's own (host CPL > 0; the VMM's
   * emulation at CPL 0 is not the guest's). Ring aliasing only in the guest kernel (guest CPL
   * 0), which sees RPL 1 (0/1/3) or 3 (0/3/3) instead of 0; the rest always — they show the VMM's tables and CR0,
   * or the POPF / IRET ignored an IF that differs from the virtual IF (`virtualIf`).
   */
  private onSensitive(cpu: Cpu, event: SensitiveEvent): void {
    if (cpu.cpl === 0) return;
    if (event.kind === 'ring-aliasing' && this.state.guestCpl !== 0) return;
    this.holes.record(event, cpu.icount);
  }

  /**
   * Load a Multiboot kernel into guest RAM (below the reserved area, which the Multiboot
   * memory information leaves out), put the guest in the Multiboot entry state and enter it.
   */
  loadMultiboot(image: Uint8Array): LoadResult {
    const mem = this.memory;
    const result = loadMultiboot({ writeBytes: (pa, bytes) => mem.writeBytes(pa, bytes), size: this.state.reservedBase }, image);
    if (!result.ok) return result;
    this.cpu.reset();
    // The VMM is the VM's firmware: it leaves the VM's PICs and PIT as a PC BIOS's POST does
    // on the bare machine, so that a guest enabling interrupts sees the same hardware.
    programInterruptHardware(this.devices.io);
    applyEntryState(this.cpu, result.image.entry, ENTRY_GDT_BASE);
    this.enter();
    return result;
  }

  /**
   * VM entry from the guest state the host CPU holds at (virtual) CPL 0 in protected mode
   * without paging: see the file header.
   * @throws VmmUnsupported when the guest is not in that state
   */
  enter(): void {
    const cpu = this.cpu;
    const state = this.state;
    if (!(cpu.cr0 & 1) || cpu.cr0 >>> 31 || cpu.cpl !== 0) throw new VmmUnsupported('trap-and-emulate enters a guest at CPL 0 in protected mode without paging only');
    state.cr0 = cpu.cr0 >>> 0;
    state.cr2 = cpu.cr2 >>> 0;
    state.cr3 = cpu.cr3 >>> 0;
    state.cr4 = cpu.cr4 >>> 0;
    state.gdtr.base = cpu.gdtr.base >>> 0;
    state.gdtr.limit = cpu.gdtr.limit;
    state.idtr.base = cpu.idtr.base >>> 0;
    state.idtr.limit = cpu.idtr.limit;
    state.vif = (cpu.flags & EFLAGS_IF) !== 0;
    state.sysenterCs = cpu.sysenterCs;
    state.sysenterEsp = cpu.sysenterEsp;
    state.sysenterEip = cpu.sysenterEip;
    cpu.sysenterCs = cpu.sysenterEsp = cpu.sysenterEip = 0;
    const rb = state.reservedBase;
    const mem = this.memory;
    const kRing = state.ring.kernelRing;
    state.guestCpl = 0;
    state.ring.hidden = true;
    // No guest LDT at entry (below): forget one shadowed before, then build the kernel form.
    state.ring.userCodeLdt.length = 0;
    state.ring.raisedLdt.fill(0);
    dropRaisedEntries(state.ring, true);
    buildShadowGdt(mem, state.gdtr, rb, state.ring, guestTableReader(state));
    for (let k = 0; k < TSS32_BYTES; k += 4) mem.write32(rb + VMM_TSS_OFFSET + k, 0);
    // I/O map base beyond the TSS limit: no I/O permission bitmap, so every IN/OUT at CPL 1 >
    // IOPL faults (SDM Vol. 1 §18.5.2). A base of 0 would make the TSS's own zero bytes a
    // bitmap that grants ports 0–0x33F.
    mem.write32(rb + VMM_TSS_OFFSET + TSS_IOMAP_DWORD, TSS32_BYTES << 16);
    for (let k = 0; k < 256 * 8; k += 4) mem.write32(rb + VMM_IDT_OFFSET + k, 0);
    // Address-space compression: the host reaches its tables at the top 4 MiB of the linear
    // space, through the shadow page tables (host paging always on, shadow-paging.ts).
    cpu.gdtr.base = VMM_AREA_LINEAR;
    cpu.gdtr.limit = 0xffff;
    cpu.idtr.base = VMM_AREA_LINEAR + VMM_IDT_OFFSET;
    cpu.idtr.limit = 256 * 8 - 1;
    // No guest LDT yet (the entry state has none): the host LDTR is unusable until the guest's LLDT.
    state.ldtr = { selector: 0, base: 0, limit: 0 };
    state.tr = 0;
    state.tss = null;
    cpu.ldtr.setCache(0, 0, 0, AR_UNUSABLE);
    cpu.tr.setCache(VMM_TSS_SELECTOR, VMM_AREA_LINEAR + VMM_TSS_OFFSET, TSS32_BYTES - 1, AR_P | SystemType.TSS32_BUSY);
    for (let s = SegReg.ES; s <= SegReg.GS; s++) {
      const seg = cpu.segs[s];
      const c = shadowCache(seg.base, seg.limit, seg.ar, VMM_AREA_LINEAR, kRing);
      const sel = s === SegReg.CS || s === SegReg.SS ? (seg.selector & 0xfffc) | kRing : seg.selector;
      seg.setCache(sel, seg.base, c.limit, c.ar);
    }
    setCpl(cpu, kRing);
    setEflagsBits(cpu, EFLAGS_IF, EFLAGS_IF | EFLAGS_IOPL);
    state.paging.update(cpu, state, false); // the identity shadow: the guest runs without paging
    protectDescriptorTables(cpu, state, false);
    flushTlb(cpu, true);
    codeCache(cpu).flush();
    cpu.breakBlock = true;
  }

  /** The VM exit: see the file header. Always true (nothing reaches the host IDT). */
  private onExit(offered: CpuEvent): boolean {
    const cpu = this.cpu;
    const state = this.state;
    let event = offered;
    let pagingReason: VmmExitReason | undefined;
    if (event.type === 'hardware-exception' && event.vector === Vector.PF && state.paging.active) {
      // Shadow paging: the host CR2 holds the guest-virtual address; the guest's CR2 is the virtual one.
      const lin = cpu.cr2 >>> 0;
      cpu.cr2 = state.cr2;
      try {
        const pf = this.guestWalkOf(lin, event.errorCode);
        if (lin >= VMM_AREA_LINEAR && !state.paging.areaOpened) {
          // The VMM's own pages (address-space compression): emulated against the guest's page.
          state.areaAccess = reservedAreaFaultOf(cpu, lin);
          if (state.areaAccess === null) throw new VmmUnsupported(`guest access at 0x${lin.toString(16)} in the VMM's linear area from an instruction that cannot be decoded`);
          pagingReason = VmmExitReason.RESERVED_AREA_ACCESS;
        } else if (pf.walk.ok) {
          state.pageFault = pf;
          const ppn = pf.walk.gpa >>> 12;
          pagingReason = !pf.write
            ? VmmExitReason.HIDDEN_PAGE_FAULT
            : state.paging.isDescriptorPage(ppn)
              ? VmmExitReason.GUEST_DESCRIPTOR_TABLE_WRITE
              : state.paging.isTablePage(ppn)
                ? VmmExitReason.GUEST_PAGE_TABLE_WRITE
                : VmmExitReason.HIDDEN_PAGE_FAULT;
        } else {
          // The guest's own tables say fault: reflect it with the guest's error code and CR2.
          state.cr2 = lin;
          event = { ...event, errorCode: pf.walk.errorCode };
        }
      } catch (e) {
        this.stop(e instanceof VmmUnsupported ? `trap-and-emulate: ${e.message}` : String(e));
        return true;
      }
    }
    if (state.paging.areaOpened && pagingReason !== VmmExitReason.HIDDEN_PAGE_FAULT && pagingReason !== VmmExitReason.GUEST_PAGE_TABLE_WRITE) {
      // An emulated access in the VMM area ended in an event for the guest (its #PF there, a
      // #GP…): the VMM needs its own tables at 0xFFC00000 again to deliver it (exits/reserved-area.ts).
      state.paging.closeArea(cpu);
    }
    const c = classifyEvent(cpu, event, state.guestCpl === 0);
    if (event.type === 'external-interrupt' && state.windowOpen) {
      // The interrupt the guest held back with IF = 0, delivered as the window opened: no
      // interruption information (VT-x records none for this exit; the VMM injects the event).
      c.info = { reason: ExitReason.INTERRUPT_WINDOW };
    }
    if (event.type === 'external-interrupt') state.windowOpen = false;
    const vifBefore = state.vif;
    if (pagingReason === undefined && c.vmmReason === undefined && c.info.reason === ExitReason.EXCEPTION_NMI) {
      // A #GP from a segment limit the VMM truncated below its area: emulated (exits/reserved-area.ts).
      state.areaAccess = reservedAreaAccessOf(cpu, state, event);
      if (state.areaAccess !== null) pagingReason = VmmExitReason.RESERVED_AREA_ACCESS;
    }
    state.event = event;
    state.insn = c.insn;
    this.saveState();
    let action: ExitAction;
    try {
      action = this.dispatchResolvingShadowMisses(c.info, pagingReason ?? c.vmmReason);
    } catch (e) {
      action = this.actionOfError(e);
    }
    state.event = null;
    state.insn = null;
    state.pageFault = null;
    state.areaAccess = null;
    if (!state.vif) state.windowOpen = false;
    else if (!vifBefore && this.devices.pic.pending()) state.windowOpen = true;
    if (!this.preserveHiddenState && action.kind !== 'stop' && this.stopped === null && !state.paging.areaOpened) this.reloadSegmentRegisters();
    if (action.kind === 'wait') cpu.halted = true;
    else if (action.kind === 'stop') this.stop(action.message);
    return true;
  }

  /** The guest's view of a host #PF at guest-virtual `lin` with the host error code `errorCode`. */
  private guestWalkOf(lin: number, errorCode: number): NonNullable<TrapAndEmulateState['pageFault']> {
    const write = (errorCode & PFEC_WR) !== 0;
    // A user-mode access in the guest's terms: from guest user code (under 0/3/3 the guest
    // kernel's accesses are host CPL 3 too); the processor's implicit supervisor accesses never.
    const user = (errorCode & PFEC_US) !== 0 && this.state.guestCpl === 3;
    return { lin, write, user, walk: walkGuest(this.memory, this.state.reservedBase, this.state, lin, write, user) };
  }

  /**
   * Dispatch the exit. The VMM reads and writes guest memory by guest-virtual address while
   * it emulates (operands, the guest IDT, the guest stack), so under shadow paging the
   * handler itself may take a host #PF on a shadow entry not filled yet: when the guest's
   * tables map that address the entry is filled and the handler runs again (handlers check
   * before they commit, so a faulting attempt left nothing behind); the exit is recorded once.
   */
  private dispatchResolvingShadowMisses(info: Parameters<typeof dispatchExit>[2], reason: VmmExitReason | undefined): ExitAction {
    const state = this.state;
    for (let attempt = 0; ; attempt++) {
      try {
        if (attempt === 0) return dispatchExit(TRAP_AND_EMULATE, this.vcpu, info, reason);
        const handler = TRAP_AND_EMULATE.handlers[(reason ?? info.reason) as keyof typeof TRAP_AND_EMULATE.handlers];
        if (handler === undefined) throw new Error('internal: handler vanished on retry');
        const v = this.vmcs;
        const cs = v.read(VMCS.GUEST_CS_SELECTOR);
        const eip = v.read(VMCS.GUEST_RIP);
        const cause = reason === undefined ? sdmCause(info.reason) : vmmCause(reason);
        return handler({ cpu: this.cpu, vmcs: v, state, cause, info, cs, eip, linear: (v.read(VMCS.GUEST_CS_BASE) + eip) >>> 0, charge: (u) => this.stats.charge(u) });
      } catch (e) {
        if (!(e instanceof CpuFault) || e.vector !== Vector.PF || !state.paging.active || attempt >= 8) throw e;
        const lin = this.cpu.cr2 >>> 0;
        this.cpu.cr2 = state.cr2;
        const pf = this.guestWalkOf(lin, e.errorCode);
        if (!pf.walk.ok) {
          state.cr2 = lin;
          throw new CpuFault(Vector.PF, pf.walk.errorCode, `guest page fault at 0x${lin.toString(16)} while the VMM emulated`);
        }
        state.paging.fill(this.cpu, state, lin, pf.walk, pf.write, pf.user);
      }
    }
  }

  private actionOfError(e: unknown): ExitAction {
    if (e instanceof CpuFault) return this.reflectFault(e);
    if (e instanceof VmmUnsupported) return stop(`trap-and-emulate: ${e.message}`);
    return exitActionOfError(e);
  }

  /** Reflect a guest fault raised while emulating, with the double-fault rules (SDM Vol. 3A §6.15, Table 6-5). */
  private reflectFault(fault: CpuFault): ExitAction {
    let current = fault;
    for (;;) {
      try {
        reflectEvent(this.cpu, this.state, current.vector, current.errorCode);
        return { kind: 'resume' };
      } catch (e) {
        if (!(e instanceof CpuFault)) return this.actionOfError(e);
        if (current.vector === Vector.DF) return this.tripleFault(`guest triple fault: ${e} while delivering ${current}`);
        current = isDoubleFaultPair(current.vector, e.vector) ? new CpuFault(Vector.DF, 0, `double fault: ${e} while delivering ${current}`) : e;
      }
    }
  }

  /**
   * A guest triple fault: as VT-x does (SDM Vol. 3C §26.2 "Other Causes of VM Exits": a
   * triple fault causes a VM exit), record an exit of basic reason TRIPLE_FAULT with the
   * guest state at the fault, so the exit table and the debugger show it; then the VM stops.
   */
  private tripleFault(message: string): ExitAction {
    this.saveState();
    const v = this.vmcs;
    recordExit(v, { reason: ExitReason.TRIPLE_FAULT });
    const eip = v.read(VMCS.GUEST_RIP);
    this.stats.record(sdmCause(ExitReason.TRIPLE_FAULT), v.read(VMCS.GUEST_CS_SELECTOR), eip, (v.read(VMCS.GUEST_CS_BASE) + eip) >>> 0, EXIT_TRANSITION_COST);
    return stop(message);
  }

  /** Save the guest state as VM exit does, then overlay what the guest believes (virtual IF, CRs, GDTR, IDTR). */
  private saveState(): void {
    saveGuestView(this.cpu, this.state, this.vmcs);
  }

  private stop(message: string): void {
    this.stopped ??= message;
    this.cpu.requestStop(message);
  }

  /**
   * Run the guest for at most `maxInstructions` instructions or, while it idles in HLT, the
   * virtual time they take, firing the VM's device events on time (as Machine.run does).
   */
  run(maxInstructions: number): VmStop {
    if (!Number.isSafeInteger(maxInstructions) || maxInstructions < 0) throw new RangeError(`the instruction budget must be a whole number >= 0, not ${maxInstructions}`);
    const cpu = this.cpu;
    const dev = this.devices;
    const clock = dev.clock;
    const endIcount = cpu.icount + maxInstructions;
    const endNs = clock.now() + maxInstructions * clock.nsPerInstruction;
    for (;;) {
      if (this.stopped !== null) return { kind: 'stopped', message: this.stopped };
      clock.runDue();
      if (this.userStop !== null) return this.takeUserStop();
      if (cpu.icount >= endIcount) return { kind: 'limit' };
      const budget = Math.min(endIcount - cpu.icount, clock.instructionsUntilNextEvent());
      clock.horizon = clock.timeAt(cpu.icount + budget);
      dev.sliceCut = false;
      const why = runCpu(cpu, budget);
      clock.horizon = null;
      if (this.stopped !== null) return { kind: 'stopped', message: this.stopped };
      switch (why.kind) {
        case 'limit':
          continue;
        case 'hlt': {
          if (!this.state.vif) return this.halt('HLT with the virtual IF = 0: nothing can wake the vCPU');
          const next = clock.nextEventAt();
          if (next === Infinity) return this.halt('HLT with no VM device event scheduled: no interrupt can arrive');
          if (next > endNs) {
            clock.skipTo(endNs);
            return { kind: 'limit' };
          }
          clock.skipTo(next);
          continue;
        }
        case 'shutdown':
          return this.halt(`host shutdown: ${why.reason}`);
        case 'breakpoint':
        case 'io':
          return why;
        case 'request': {
          const status = dev.debugExit.status;
          if (status !== null) {
            dev.debugExit.status = null;
            return { kind: 'exit', status };
          }
          if (this.userStop !== null) return this.takeUserStop();
          if (dev.sliceCut) continue;
          return this.halt(`stopped: ${why.why}`);
        }
      }
    }
  }

  private takeUserStop(): VmStop {
    const why = this.userStop!;
    this.userStop = null;
    this.cpu.stopReason = null;
    return { kind: 'request', why };
  }

  private halt(message: string): VmStop {
    this.stopped ??= message;
    return { kind: 'stopped', message };
  }
}
