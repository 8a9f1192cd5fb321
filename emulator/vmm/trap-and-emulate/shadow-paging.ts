/**
 * Shadow paging for the trap-and-emulate VM (docs/vmm-design.md, "Shadow paging"; the
 * "tracing" scheme of Adams & Agesen, ASPLOS 2006, §3.2).
 *
 * While the guest's VIRTUAL CR0.PG is set, the host CR3 points at a shadow page directory in
 * the VMM's pool (shadow-gdt.ts, SHADOW_POOL_OFFSET) that maps guest-virtual to host-physical
 * with 4-KiB entries only (the host's CR4.PSE/PGE play no part). Guest RAM starts at host
 * physical 0, so guest-physical = host-physical below the reserved area.
 *
 * - A shadow is cached per guest CR3 (its page-directory page): MOV CR3 switches shadows
 *   without rebuilding them.
 * - Shadow entries are filled on demand at a host #PF (`walkGuest` then `fill`): the guest's
 *   tables are walked as the processor would (SDM Vol. 3A §4.3 32-bit paging, §4.6 access
 *   rights with the VIRTUAL CR0.WP and CR4.PSE, §4.7 error code) and the guest's A and D flags
 *   set as §4.8 says. The shadow PTE carries the guest's U/S and R/W (of PDE AND PTE); R/W
 *   only once the guest's D flag is set, so the first write faults and sets D. With the
 *   guest's CR0.WP = 0 a supervisor write to a read-only page is allowed by the guest: that
 *   page is then mapped writable but supervisor-only (a later user access faults again and
 *   remaps it read-only for user).
 * - Every guest page a shadow was built from (page directories and page tables) is a "table
 *   page": no shadow maps it writable, so each guest write to it faults and is emulated
 *   (`emulateTableWrite`), then the shadow entries derived from the entries that changed are
 *   dropped in every cached shadow.
 * - Ring model 0/3/3 (`splitViews`): the guest kernel runs at host CPL 3 too, so each guest
 *   CR3 has TWO shadows — the kernel view, where every guest page (supervisor or user) is
 *   mapped user-accessible, and the user view, where the guest's supervisor pages are never
 *   mapped, so guest user code faults on them as on hardware (the fault is the guest's and is
 *   reflected). `setView` switches between them at each guest kernel ↔ user transition
 *   (guest-ring.ts). Under 0/1/3 there is one shadow per CR3 and the host CPL does the rest.
 * - The host runs with paging ALWAYS on (address-space compression, docs/vmm-design.md):
 *   while the guest's virtual CR0.PG is clear, the host CR3 points at the IDENTITY shadow
 *   (cached under the key IDENTITY_CR3), which maps guest-linear = guest-physical for the
 *   guest's RAM (prefilled, user read/write, with the same write protection as any shadow).
 * - Every shadow's last PDE (AREA_PDE, linear 0xFFC00000–0xFFFFFFFF) points at one shared page
 *   table that maps VMM_AREA_LINEAR + k to the reserved frames reservedBase + k for the GDT,
 *   TSS, IDT and LDT (VMM_AREA_MAPPED_BYTES), supervisor read/write; the rest of those 4 MiB
 *   is unmapped. Guest segments end below 0xFFC00000 (shadow-gdt.ts), and a guest access
 *   there is emulated (exits/reserved-area.ts) by mapping the guest's own page into that
 *   table for one instruction (`openArea` … `closeArea`).
 * - Pages holding the guest's GDT and LDT ("descriptor pages", descriptor-protection.ts) are
 *   write-protected in every shadow as table pages are; their writes exit as
 *   GUEST_DESCRIPTOR_TABLE_WRITE.
 *
 * Decision for guest-physical addresses beyond the VM's RAM (at or above the reserved area):
 * a guest mapping of such a page, or a guest paging structure there, is not supported — the
 * walk raises VmmUnsupported and the VM stops with a message; nothing of the host or the VMM
 * area is ever mapped for the guest.
 *
 * The shadow GDT/LDT builders read the guest's descriptor tables at their guest-LINEAR base
 * through the guest's tables (`readGuestLinear32`; descriptor-protection.ts).
 *
 * NOT YET (said plainly): table pages stay write-protected after the guest stops using them
 * as tables (writes to a recycled page keep exiting, correctly but slowly); a full pool drops
 * every shadow and starts again; the host never sees the guest's PCD/PWT/G bits.
 */
import { CR0_PG, CR0_WP, CR4_PSE } from '../../arch/control-registers';
import { PFEC_P, PFEC_RSVD, PFEC_US, PFEC_WR } from '../../arch/exceptions';
import { PDE_4M_RESERVED, PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../arch/paging';
import type { Cpu } from '../../cpu/cpu';
import { run as runCpu } from '../../cpu/executor';
import { flushTlb, invalidatePage } from '../../cpu/paging';
import type { PhysicalMemory } from '../../memory/physical-memory';
import { SHADOW_POOL_OFFSET, SHADOW_POOL_PAGES, VMM_AREA_LINEAR, VMM_AREA_MAPPED_BYTES } from './shadow-gdt';
import { VmmUnsupported } from './virtual-delivery';

/** The result of walking the guest's tables for one access. */
export type GuestWalk =
  | { readonly ok: false; readonly errorCode: number }
  | {
      readonly ok: true;
      /** Guest-physical address the access reaches (byte). */
      readonly gpa: number;
      /** Guest-physical addresses of the PDE and PTE used (pteAddr = -1 for a 4-MiB page). */
      readonly pdeAddr: number;
      readonly pteAddr: number;
      readonly rw: boolean;
      readonly us: boolean;
      /** The guest's D flag was already set. */
      readonly dirty: boolean;
    };

/** Guest-visible control-register state the walk depends on (virtual CR0, CR3, CR4). */
export interface GuestPagingRegs {
  cr0: number;
  cr3: number;
  cr4: number;
}

/**
 * Walk the guest's 32-bit paging structures in guest-physical memory without side effects
 * (SDM Vol. 3A §4.3, §4.6, §4.7): what the guest's own MMU would decide for `lin`. With the
 * guest's CR0.PG clear: the identity (gpa = lin, pdeAddr = pteAddr = -1).
 * @param write a write access; `user` a user-mode access (guest CPL 3)
 * @returns the mapping, or the guest's #PF error code
 * @throws VmmUnsupported when a paging structure or the page lies at or above `limit` (beyond the VM's RAM)
 */
export function walkGuest(mem: PhysicalMemory, limit: number, regs: GuestPagingRegs, lin: number, write: boolean, user: boolean): GuestWalk {
  if (!(regs.cr0 & CR0_PG)) {
    // Guest paging off: linear = guest-physical, every access allowed; no paging structures (pdeAddr = pteAddr = -1).
    inRam(lin >>> 0, limit, 'page');
    return { ok: true, gpa: lin >>> 0, pdeAddr: -1, pteAddr: -1, rw: true, us: true, dirty: true };
  }
  const ec = (write ? PFEC_WR : 0) | (user ? PFEC_US : 0);
  const wp = (regs.cr0 & CR0_WP) !== 0;
  const pdeAddr = ((regs.cr3 & -4096) + ((lin >>> 22) << 2)) >>> 0;
  inRam(pdeAddr, limit, 'page directory');
  const pde = mem.read32(pdeAddr);
  if (!(pde & PTE_P)) return { ok: false, errorCode: ec };
  let rw: boolean;
  let us: boolean;
  let gpa: number;
  let pteAddr = -1;
  let dirty: boolean;
  if (pde & PTE_PS && regs.cr4 & CR4_PSE) {
    if (pde & PDE_4M_RESERVED) return { ok: false, errorCode: ec | PFEC_P | PFEC_RSVD };
    rw = (pde & PTE_RW) !== 0;
    us = (pde & PTE_US) !== 0;
    gpa = ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
    dirty = (pde & PTE_D) !== 0;
  } else {
    pteAddr = ((pde & -4096) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
    inRam(pteAddr, limit, 'page table');
    const pte = mem.read32(pteAddr);
    if (!(pte & PTE_P)) return { ok: false, errorCode: ec };
    rw = (pde & pte & PTE_RW) !== 0;
    us = (pde & pte & PTE_US) !== 0;
    gpa = ((pte & -4096) | (lin & 0xfff)) >>> 0;
    dirty = (pte & PTE_D) !== 0;
  }
  if (user && !us) return { ok: false, errorCode: ec | PFEC_P };
  if (write && !rw && (user || wp)) return { ok: false, errorCode: ec | PFEC_P };
  inRam(gpa, limit, 'page');
  return { ok: true, gpa, pdeAddr, pteAddr, rw, us, dirty };
}

/**
 * Guest-physical address of guest-linear `lin` for a supervisor read, as the guest's own MMU
 * would translate it (`walkGuest`; the identity while the guest's paging is off), or -1 when
 * the guest does not map it or maps it at or beyond `limit` (the VM's RAM). Sets no A/D flag.
 */
export function guestLinearToPhysical(mem: PhysicalMemory, limit: number, regs: GuestPagingRegs, lin: number): number {
  try {
    const w = walkGuest(mem, limit, regs, lin >>> 0, false, false);
    return w.ok ? w.gpa : -1;
  } catch (e) {
    if (e instanceof VmmUnsupported) return -1;
    throw e;
  }
}

/**
 * The dword at guest-LINEAR `lin` read through the guest's own paging (the way the processor
 * reads its descriptor tables, an implicit supervisor access: SDM Vol. 3A §3.5.1, §4.6), or
 * null when a byte of it is not mapped by the guest or lies beyond its RAM. A dword crossing a
 * page boundary is read byte by byte from both pages. Not modelled: the A flag the processor
 * would set in the guest's paging entries for this access.
 */
export function readGuestLinear32(mem: PhysicalMemory, limit: number, regs: GuestPagingRegs, lin: number): number | null {
  const a = lin >>> 0;
  const pa = guestLinearToPhysical(mem, limit, regs, a);
  if (pa < 0) return null;
  if ((a & 0xfff) <= 0xffc) return pa + 4 <= limit ? mem.read32(pa) : null;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const b = guestLinearToPhysical(mem, limit, regs, (a + k) >>> 0);
    if (b < 0) return null;
    v |= mem.read8(b) << (8 * k);
  }
  return v;
}

/**
 * Run the ONE guest instruction at CS:EIP on the host CPU from inside an exit handler (the
 * "single-step" of open, single-step, close): no interrupt is taken before it, a breakpoint
 * set on it does not stop it (it is the instruction the guest is executing), and a stop
 * requested meanwhile (the VMM stopping the VM in a nested exit, `requestStop`) is requested
 * again, so that the outer run loop sees it instead of this inner run consuming it.
 */
export function stepGuestInstruction(cpu: Cpu): void {
  cpu.shadowUntil = cpu.icount; // no interrupt before the single instruction
  const why = runCpu(cpu, 1, { resume: true });
  if (why.kind === 'request') cpu.requestStop(why.why);
}

function inRam(gpa: number, limit: number, what: string): void {
  if (gpa >= limit) throw new VmmUnsupported(`the guest's ${what} at guest-physical 0x${gpa.toString(16)} lies beyond its RAM (0x${limit.toString(16)} bytes): not mapped`);
}

/** One cached shadow: the guest's page-directory page and the shadow page directory (host-physical). */
interface Shadow {
  readonly gcr3: number;
  readonly pd: number;
  /** Per PDE index: guest-physical page of the guest page table it was filled from, LARGE for a 4-MiB guest page, NONE. */
  readonly guestPt: Int32Array;
}
const NONE = -1;
const LARGE = -2;
/** Cache key of the identity shadow (guest paging off): a "CR3" no guest can use (its directory would lie beyond any VM's RAM). */
export const IDENTITY_CR3 = 0xfffff000;
/** PDE index of the VMM area (linear 0xFFC00000–0xFFFFFFFF). */
export const AREA_PDE = VMM_AREA_LINEAR >>> 22;

/** The shadow page tables of one VM (see the file header). */
export class ShadowPaging {
  private readonly free: number[] = [];
  private readonly shadows = new Map<number, Shadow>();
  private current: Shadow | null = null;
  /** Guest-physical page numbers of the guest paging structures the shadows were built from. */
  private readonly tablePages = new Set<number>();
  /** Guest-physical page numbers holding the guest's GDT and LDT (write-protected, descriptor-protection.ts). */
  private readonly descriptorPages = new Set<number>();
  /** Host-physical address of the shared page table behind AREA_PDE (re-allocated with the pool). */
  private areaPt = 0;
  /** Host-physical address of the VMM's own page directory: AREA_PDE only (re-allocated with the pool; `hostDirectory`). */
  private hostPd = 0;
  /** Whether guest pages may be mapped in the VMM area (one emulated instruction, `openArea`). */
  private areaOpen = false;
  /** Under `splitViews`: whether the user view is in force (else the kernel view). */
  private userView = false;

  /**
   * @param reservedBase first byte of the VMM's reserved area (= end of guest RAM)
   * @param splitViews ring model 0/3/3: a kernel and a user shadow per guest CR3 (file header)
   */
  constructor(
    private readonly mem: PhysicalMemory,
    private readonly reservedBase: number,
    readonly splitViews = false,
  ) {
    this.resetPool();
  }

  /** Whether host paging runs on a shadow (the guest's virtual CR0.PG is set). */
  get active(): boolean {
    return this.current !== null;
  }

  /** Host-physical address of the current shadow page directory (for tests and the debugger), or -1. */
  get currentDirectory(): number {
    return this.current === null ? -1 : this.current.pd;
  }

  /** Number of shadows cached (one per guest CR3 seen). */
  get cachedShadows(): number {
    return this.shadows.size;
  }

  /** Whether the guest-physical page `ppn` is write-protected as a guest paging structure. */
  isTablePage(ppn: number): boolean {
    return this.tablePages.has(ppn);
  }

  private resetPool(): void {
    this.free.length = 0;
    const base = this.reservedBase + SHADOW_POOL_OFFSET;
    for (let k = SHADOW_POOL_PAGES - 1; k >= 0; k--) this.free.push(base + k * 4096);
    this.shadows.clear();
    this.tablePages.clear();
    this.current = null;
    this.areaPt = this.alloc();
    this.mapAreaTables();
    this.hostPd = this.alloc();
    this.mem.write32(this.hostPd + AREA_PDE * 4, this.areaPt | PTE_P | PTE_RW);
  }

  /**
   * Host-physical address of the page directory the VMM itself runs on while the VM is switched
   * out (world-switch.ts, HOST_CR3): it maps only the VMM's area — linear VMM_AREA_LINEAR + k →
   * reservedBase + k for the GDT, TSS, IDT and LDT, supervisor read/write — and no guest page.
   * Moves when the pool is reset (a full pool), so read it at each switch-out.
   */
  get hostDirectory(): number {
    return this.hostPd;
  }

  /** (Re)write the shared area page table: the VMM's tables at VMM_AREA_LINEAR, supervisor read/write; nothing else. */
  private mapAreaTables(): void {
    const pt = this.areaPt;
    for (let i = 0; i < 1024; i++) this.mem.write32(pt + i * 4, 0);
    for (let k = 0; k < VMM_AREA_MAPPED_BYTES; k += 4096) this.mem.write32(pt + (k >>> 12) * 4, (this.reservedBase + k) | PTE_P | PTE_RW);
  }

  private alloc(): number {
    const pa = this.free.pop();
    if (pa === undefined) throw new Error('internal: shadow pool exhausted');
    for (let k = 0; k < 4096; k += 4) this.mem.write32(pa + k, 0);
    return pa;
  }

  /**
   * The guest's virtual CR0.PG, CR0.WP or CR4.PSE, or its CR3 while paging, changed: switch
   * the host to the shadow for `regs.cr3` (paging on) or to no paging (off). A change of WP or
   * PSE drops every shadow (their permissions were computed with the old values).
   */
  update(cpu: Cpu, regs: GuestPagingRegs, dropAll: boolean): void {
    if (dropAll) this.resetPool();
    // Guest paging off: the identity shadow (the host's paging stays on: file header).
    if (this.free.length < 4) this.resetPool();
    const s = this.shadowFor(regs.cr0 & CR0_PG ? regs.cr3 : IDENTITY_CR3);
    this.current = s;
    cpu.cr3 = s.pd;
    cpu.cr0 = (cpu.cr0 | CR0_PG | CR0_WP) >>> 0;
    flushTlb(cpu, true);
  }

  /**
   * Ring model 0/3/3: put the host on the kernel view (`user` false) or the user view of the
   * current guest CR3's shadow (file header). No effect under 0/1/3 or when the view is already in force.
   */
  setView(cpu: Cpu, user: boolean): void {
    if (!this.splitViews || user === this.userView) return;
    this.userView = user;
    const s = this.current;
    if (s === null) return;
    if (this.free.length < 4) this.resetPool();
    const next = this.shadowFor(s.gcr3);
    this.current = next;
    cpu.cr3 = next.pd;
    flushTlb(cpu, true);
  }

  /** Whether the user view is in force (always false under 0/1/3). */
  get inUserView(): boolean {
    return this.splitViews && this.userView;
  }

  private shadowFor(cr3: number): Shadow {
    const page = (cr3 & -4096) >>> 0;
    const key = this.splitViews && this.userView ? page + 1 : page;
    let s = this.shadows.get(key);
    if (s !== undefined) return s;
    s = { gcr3: page, pd: this.alloc(), guestPt: new Int32Array(1024).fill(NONE) };
    this.shadows.set(key, s);
    this.mem.write32(s.pd + AREA_PDE * 4, this.areaPt | PTE_P | PTE_RW | PTE_US); // the PTEs decide: the VMM's are supervisor-only
    if (page === IDENTITY_CR3) {
      for (let lin = 0; lin < this.reservedBase; lin += 4096) {
        const ppn = lin >>> 12;
        const rw = this.tablePages.has(ppn) || this.descriptorPages.has(ppn) ? 0 : PTE_RW;
        this.mem.write32(this.shadowPt(s, lin >>> 22) + ((ppn & 0x3ff) << 2), lin | PTE_P | PTE_US | rw);
      }
    }
    return s;
  }

  /** Host-physical address of the shadow page table for PDE `k`, allocated when missing. */
  private shadowPt(s: Shadow, k: number): number {
    const pde = this.mem.read32(s.pd + k * 4);
    if (pde & PTE_P) return pde & -4096;
    const pt = this.alloc();
    this.mem.write32(s.pd + k * 4, pt | PTE_P | PTE_RW | PTE_US);
    return pt;
  }

  /** Make sure a fill can allocate (a shadow page table, or a rebuilt current shadow). */
  private reserve(cpu: Cpu, regs: GuestPagingRegs): void {
    if (this.free.length >= 4) return;
    this.resetPool();
    this.update(cpu, regs, false);
  }

  /**
   * Resolve a host #PF the guest's tables allow (a hidden page fault): set the guest's A/D
   * flags and fill the shadow PTE for `lin` (see the file header for the permission bits).
   * @param walk an `ok` walk of `lin` for this access
   */
  fill(cpu: Cpu, regs: GuestPagingRegs, lin: number, walk: GuestWalk & { ok: true }, write: boolean, user: boolean, writable = false): void {
    this.reserve(cpu, regs);
    const s = this.current;
    if (s === null) throw new Error('internal: shadow fill without paging');
    if (lin >>> 0 >= VMM_AREA_LINEAR && !this.areaOpen) throw new Error(`internal: shadow fill at 0x${(lin >>> 0).toString(16)} in the VMM area outside an emulated access`);
    const mem = this.mem;
    const identity = walk.pdeAddr < 0; // guest paging off: no guest paging structures, no A/D
    if (!identity) this.protectTablePage(cpu, walk.pdeAddr >>> 12);
    if (walk.pteAddr >= 0) this.protectTablePage(cpu, walk.pteAddr >>> 12);
    const pde = identity ? 0 : mem.read32(walk.pdeAddr);
    if (identity) {
      // nothing of the guest's to update
    } else if (walk.pteAddr < 0) {
      const want = PTE_A | (write ? PTE_D : 0);
      if ((pde & want) !== want) mem.write32(walk.pdeAddr, pde | want);
    } else {
      if (!(pde & PTE_A)) mem.write32(walk.pdeAddr, pde | PTE_A);
      const pte = mem.read32(walk.pteAddr);
      const want = PTE_A | (write ? PTE_D : 0);
      if ((pte & want) !== want) mem.write32(walk.pteAddr, pte | want);
    }
    const k = lin >>> 22;
    const pt = this.shadowPt(s, k);
    s.guestPt[k] = identity ? NONE : walk.pteAddr < 0 ? LARGE : walk.pteAddr & -4096;
    if (this.inUserView && !walk.us) throw new Error(`internal: guest supervisor page 0x${(lin >>> 0).toString(16)} filled into the 0/3/3 user view`);
    // 0/3/3 kernel view: the guest kernel runs at host CPL 3, so every guest page is user-accessible.
    const kernelView = this.splitViews && !this.userView;
    let bits = PTE_P | (walk.us || kernelView ? PTE_US : 0);
    const isTable = this.tablePages.has(walk.gpa >>> 12) || this.descriptorPages.has(walk.gpa >>> 12);
    if (walk.rw && (walk.dirty || write) && (!isTable || writable)) bits |= PTE_RW;
    // Guest CR0.WP = 0: a supervisor write to a read-only page is allowed — writable, supervisor-only (all of the kernel view is user-accessible).
    if (write && !user && !walk.rw && (!isTable || writable)) bits = PTE_P | PTE_RW | (kernelView ? PTE_US : 0);
    mem.write32(pt + (((lin >>> 12) & 0x3ff) << 2), ((walk.gpa & -4096) | bits) | 0);
    invalidatePage(cpu, lin);
  }

  /** A guest page becomes a table page: revoke write permission in every shadow PTE that maps it. */
  private protectTablePage(cpu: Cpu, ppn: number): void {
    if (this.tablePages.has(ppn)) return;
    this.tablePages.add(ppn);
    this.revokeWrite(cpu, ppn);
  }

  /** Clear R/W in every shadow PTE (outside the VMM area) that maps guest-physical page `ppn`. */
  private revokeWrite(cpu: Cpu, ppn: number): void {
    const mem = this.mem;
    let changed = false;
    for (const s of this.shadows.values()) {
      for (let k = 0; k < 1024; k++) {
        const pde = mem.read32(s.pd + k * 4);
        if (!(pde & PTE_P)) continue;
        const pt = pde & -4096;
        for (let i = 0; i < 4096; i += 4) {
          const e = mem.read32(pt + i);
          if (e & PTE_P && e & PTE_RW && e >>> 12 === ppn && k !== AREA_PDE) {
            mem.write32(pt + i, e & ~PTE_RW);
            changed = true;
          }
        }
      }
    }
    if (changed) flushTlb(cpu, true);
  }

  /**
   * Emulate a guest write to a write-protected guest paging structure (GUEST_PAGE_TABLE_WRITE):
   * map the page writable for one instruction, execute that instruction on the host CPU
   * (interrupts held off for it), write-protect the page again and drop the shadow entries
   * derived from every guest entry of the page that changed.
   * @param walk an `ok` walk of `lin` for a write
   */
  emulateTableWrite(cpu: Cpu, regs: GuestPagingRegs, lin: number, walk: GuestWalk & { ok: true }, user: boolean): void {
    const mem = this.mem;
    const page = walk.gpa & -4096;
    const before = new Int32Array(1024);
    for (let i = 0; i < 1024; i++) before[i] = mem.read32(page + i * 4);
    this.fill(cpu, regs, lin, walk, true, user, true);
    const icount = cpu.icount;
    stepGuestInstruction(cpu);
    if (cpu.icount === icount) cpu.breakBlock = true;
    // Re-protect: the PTE for lin in the current shadow loses R/W but keeps mapping the page, so
    // the next read (often the next instruction fetch, code and tables sharing a page) does not
    // exit; if the write changed the guest entry behind lin itself, dropDerived below removes it.
    const s = this.current;
    if (s !== null) {
      const pde = mem.read32(s.pd + (lin >>> 22) * 4);
      const at = (pde & -4096) + (((lin >>> 12) & 0x3ff) << 2);
      if (pde & PTE_P) mem.write32(at, mem.read32(at) & ~PTE_RW);
    }
    for (let i = 0; i < 1024; i++) {
      if (mem.read32(page + i * 4) !== before[i]) this.dropDerived(page, i);
    }
    flushTlb(cpu, true);
  }

  /** Drop, in every shadow, the entries derived from entry `index` of the guest table page at `page`. */
  private dropDerived(page: number, index: number): void {
    const mem = this.mem;
    for (const s of this.shadows.values()) {
      if (s.gcr3 === page) this.dropPde(s, index);
      for (let k = 0; k < 1024; k++) {
        if (s.guestPt[k] !== page) continue;
        const pde = mem.read32(s.pd + k * 4);
        if (pde & PTE_P && k !== AREA_PDE) mem.write32((pde & -4096) + index * 4, 0);
      }
    }
  }

  /** Forget shadow PDE `k` (never the VMM area's, AREA_PDE). */
  private dropPde(s: Shadow, k: number): void {
    const mem = this.mem;
    const pde = mem.read32(s.pd + k * 4);
    s.guestPt[k] = NONE;
    if (!(pde & PTE_P)) return;
    const pt = pde & -4096;
    if (k === AREA_PDE) return; // the shared VMM area table stays
    mem.write32(s.pd + k * 4, 0);
    this.free.push(pt);
  }

  /** INVLPG of guest-virtual `lin`: drop its shadow PTE (the whole 4-MiB range when the guest mapped a large page) and the host TLB entry. */
  invalidate(cpu: Cpu, lin: number): void {
    const s = this.current;
    if (s !== null && lin >>> 0 < VMM_AREA_LINEAR) {
      const k = lin >>> 22;
      if (s.guestPt[k] === LARGE) this.dropPde(s, k);
      else {
        const pde = this.mem.read32(s.pd + k * 4);
        if (pde & PTE_P) this.mem.write32((pde & -4096) + (((lin >>> 12) & 0x3ff) << 2), 0);
      }
    }
    flushTlb(cpu, true);
  }

  /** Whether guest-physical page `ppn` holds part of the guest's GDT or LDT (write-protected: descriptor-protection.ts). */
  isDescriptorPage(ppn: number): boolean {
    return this.descriptorPages.has(ppn);
  }

  /**
   * Make exactly `ppns` (guest-physical page numbers) the descriptor pages: newly added ones
   * lose write permission in every shadow; dropped ones become writable again at their next
   * write fault (a hidden page fault).
   */
  setDescriptorPages(cpu: Cpu, ppns: Iterable<number>): void {
    const next = new Set(ppns);
    for (const p of this.descriptorPages) if (!next.has(p)) this.descriptorPages.delete(p);
    for (const p of next) {
      if (this.descriptorPages.has(p)) continue;
      this.descriptorPages.add(p);
      if (!this.tablePages.has(p)) this.revokeWrite(cpu, p);
    }
  }

  /**
   * Start an emulated guest access in the VMM area (exits/reserved-area.ts): the area table is
   * emptied (the VMM's tables unmapped in every shadow) and, until `closeArea`, `fill` may map
   * the guest's own pages at linear 0xFFC00000 and up. The instruction runs alone meanwhile.
   */
  openArea(cpu: Cpu): void {
    this.areaOpen = true;
    for (let i = 0; i < 1024; i++) this.mem.write32(this.areaPt + i * 4, 0);
    flushTlb(cpu, true);
  }

  /** Whether an emulated access to the VMM area is in progress (`openArea` … `closeArea`). */
  get areaOpened(): boolean {
    return this.areaOpen;
  }

  /** End the emulated access: the area table maps the VMM's tables only again, in every shadow. */
  closeArea(cpu: Cpu): void {
    this.areaOpen = false;
    this.mapAreaTables();
    for (const s of this.shadows.values()) s.guestPt[AREA_PDE] = NONE;
    flushTlb(cpu, true);
  }
}
