import { describe, expect, it } from 'vitest';
import { CR0_PE, CR4_DE, CR4_PSE } from '../../../emulator/arch/control-registers';
import { EFLAGS_IF } from '../../../emulator/arch/eflags';
import { AR_UNUSABLE, SegReg } from '../../../emulator/arch/segments';
import { ActivityState, INTERRUPTIBILITY_MOV_SS, INTERRUPTIBILITY_NMI, INTERRUPTIBILITY_STI, VMCS } from '../../../emulator/arch/vmcs';
import type { Cpu } from '../../../emulator/cpu/cpu';
import { CpuFault } from '../../../emulator/cpu/fault';
import { getEflags, lazyAdd, MASK32 } from '../../../emulator/cpu/flags';
import { readV32 } from '../../../emulator/cpu/memory-access';
import { ACCESS_READ, translate } from '../../../emulator/cpu/paging';
import { loadRealModeSegment, loadSegmentCache } from '../../../emulator/cpu/segmentation';
import { GuestRegisters, loadGuestState, restoreByReloading, saveGuestState, type DescriptorTables } from '../../../emulator/vmm/guest-state';
import { VmcsRecord } from '../../../emulator/vmm/vmcs-record';
import { AR_ACCESSED, DATA32, dpl, KDATA, Machine } from '../cpu/descriptor-machine';

/** Everything architectural a VM exit and entry must carry, with the derived access bounds of each cache. */
function archState(cpu: Cpu) {
  const seg = (s: Cpu['segs'][number]) => ({ selector: s.selector, base: s.base, limit: s.limit, ar: s.ar, lo: s.lo, rHi: s.rHi, wHi: s.wHi });
  return {
    regs: Array.from(cpu.regs.subarray(0, 8)),
    eip: cpu.eip,
    eflags: getEflags(cpu),
    segs: cpu.segs.map(seg),
    ldtr: seg(cpu.ldtr),
    tr: seg(cpu.tr),
    gdtr: { base: cpu.gdtr.base, limit: cpu.gdtr.limit },
    idtr: { base: cpu.idtr.base, limit: cpu.idtr.limit },
    cr: [cpu.cr0, cpu.cr2, cpu.cr3, cpu.cr4],
    dr: Array.from(cpu.dr),
    sysenter: [cpu.sysenterCs, cpu.sysenterEsp, cpu.sysenterEip],
    cpl: cpu.cpl,
    accessMasks: [cpu.tlbReadMask, cpu.tlbWriteMask],
    // The shadow as the executor tests it at this boundary (the raw icount value is bookkeeping).
    interruptShadow: cpu.shadowUntil >= cpu.icount,
    nmiBlocked: cpu.nmiBlocked,
    halted: cpu.halted,
    shutdown: cpu.shutdown,
  };
}

/** A ring-1 guest kernel with something unusual in every part of the guest state. */
function busyGuest(): Machine {
  const m = new Machine().protectedMode(1);
  const cpu = m.cpu;
  cpu.regs.set([0x11111111, 0x22222222, 0x33333333, 0x44444444, 0xa000 - 16, 0x66666666, 0x77777777, 0x88888888]);
  cpu.eip = 0x12345;
  lazyAdd(cpu, 0x7fffffff, 1, 0x80000000 | 0, MASK32); // OF, SF, AF, PF lazily pending
  cpu.flags |= EFLAGS_IF;
  // FS: a hand-made cache no descriptor in memory matches (the hidden part); GS: null (unusable).
  loadSegmentCache(cpu, SegReg.FS, 0x41, 0x00400000, 0x0001ffff, DATA32 | dpl(1) | AR_ACCESSED);
  cpu.segs[SegReg.GS].setCache(0, 0x1234, 0x55, cpu.segs[SegReg.GS].ar | AR_UNUSABLE);
  cpu.cr4 = CR4_PSE | CR4_DE;
  cpu.cr3 = 0x0007f000;
  cpu.cr2 = 0xc0001234;
  cpu.dr.set([0x1000, 0x2000, 0x3000, 0x4000], 0);
  cpu.dr[6] = 0xffff0ff1 | 0;
  cpu.dr[7] = 0x00000403;
  cpu.sysenterCs = 0x08;
  cpu.sysenterEsp = 0x9000;
  cpu.sysenterEip = 0xc0100000;
  cpu.icount = 1000;
  cpu.shadowUntil = 1000; // an STI just retired
  cpu.nmiBlocked = true;
  return m;
}

describe('saveGuestState (VM exit, SDM Vol. 3C §28.3)', () => {
  it('writes CRs, DR7, ESP/EIP/EFLAGS with the lazy flags materialised, and every segment cache in VMCS layout', () => {
    const cpu = busyGuest().cpu;
    const r = new VmcsRecord();
    const eflags = getEflags(cpu);
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_CR0)).toBe(cpu.cr0 >>> 0);
    expect(r.read(VMCS.GUEST_CR3)).toBe(0x7f000);
    expect(r.read(VMCS.GUEST_DR7)).toBe(0x403);
    expect(r.read(VMCS.GUEST_RSP)).toBe(0xa000 - 16);
    expect(r.read(VMCS.GUEST_RIP)).toBe(0x12345);
    expect(r.read(VMCS.GUEST_RFLAGS)).toBe(eflags);
    expect(eflags & 0x880).toBe(0x880); // OF and SF from the pending ADD
    expect(r.read(VMCS.GUEST_FS_SELECTOR)).toBe(0x41);
    expect(r.read(VMCS.GUEST_FS_BASE)).toBe(0x400000);
    expect(r.read(VMCS.GUEST_FS_LIMIT)).toBe(0x1ffff);
    expect(r.read(VMCS.GUEST_FS_AR_BYTES)).toBe(DATA32 | dpl(1) | AR_ACCESSED);
    expect(r.read(VMCS.GUEST_GS_AR_BYTES) & AR_UNUSABLE).toBe(AR_UNUSABLE);
    expect(r.read(VMCS.GUEST_TR_SELECTOR)).toBe(0x28);
    expect(r.read(VMCS.GUEST_LDTR_SELECTOR)).toBe(0x30);
    expect(r.read(VMCS.GUEST_GDTR_BASE)).toBe(cpu.gdtr.base);
    expect(r.read(VMCS.GUEST_IDTR_LIMIT)).toBe(cpu.idtr.limit);
    expect(r.read(VMCS.GUEST_SYSENTER_EIP)).toBe(0xc0100000);
  });

  it('saves an active interrupt shadow as blocking by STI when IF = 1, by MOV SS when IF = 0, and NMI blocking', () => {
    const cpu = busyGuest().cpu;
    const r = new VmcsRecord();
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_NMI);
    cpu.flags &= ~EFLAGS_IF;
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI);
    cpu.icount++; // the shadowed instruction retired
    cpu.nmiBlocked = false;
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(0);
  });

  it('saves the activity state: active, HLT, shutdown', () => {
    const cpu = busyGuest().cpu;
    const r = new VmcsRecord();
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_ACTIVITY_STATE)).toBe(ActivityState.ACTIVE);
    cpu.halted = true;
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_ACTIVITY_STATE)).toBe(ActivityState.HLT);
    cpu.shutdown = true;
    saveGuestState(cpu, r);
    expect(r.read(VMCS.GUEST_ACTIVITY_STATE)).toBe(ActivityState.SHUTDOWN);
  });

  it('saves SS.DPL as the CPL (§25.4.1), even while the Cpu lets SS.DPL lag behind', () => {
    const cpu = busyGuest().cpu;
    cpu.cpl = 0; // e.g. just after a mode switch, before SS was reloaded
    const r = new VmcsRecord();
    saveGuestState(cpu, r);
    expect((r.read(VMCS.GUEST_SS_AR_BYTES) >> 5) & 3).toBe(0);
    expect(r.read(VMCS.GUEST_SS_AR_BYTES) & ~0x60).toBe(cpu.segs[SegReg.SS].ar & ~0x60);
  });
});

describe('save → load round trip (VM exit then VM entry)', () => {
  it('restores a Cpu exactly: registers, flags, segment caches, CRs, DRs, GDTR/IDTR, LDTR/TR, SYSENTER MSRs, CPL, interruptibility', () => {
    const guest = busyGuest().cpu;
    const before = archState(guest);
    const r = new VmcsRecord();
    const regs = new GuestRegisters();
    saveGuestState(guest, r, regs);
    const host = new Machine().cpu; // a fresh CPU in real mode
    host.icount = guest.icount;
    expect(loadGuestState(host, r, { regs })).toEqual([]);
    expect(archState(host)).toEqual(before);
  });

  it('restores the HLT state, a ring-3 CPL with user access masks, and a MOV SS shadow', () => {
    const m = new Machine().protectedMode(3);
    m.cpu.halted = true;
    m.cpu.icount = 50;
    m.cpu.shadowUntil = 50;
    const before = archState(m.cpu);
    const r = new VmcsRecord();
    const regs = new GuestRegisters();
    saveGuestState(m.cpu, r, regs);
    const host = new Machine().cpu;
    host.icount = 50;
    loadGuestState(host, r, { regs });
    expect(archState(host)).toEqual(before);
    expect(host.cpl).toBe(3);
  });

  it('round-trips a real-mode CPU at CPL 0, unreal-mode FS limit included', () => {
    const m = new Machine();
    const cpu = m.cpu;
    for (const s of [SegReg.CS, SegReg.SS, SegReg.DS, SegReg.ES, SegReg.FS, SegReg.GS]) loadRealModeSegment(cpu, s, 0x1000 + s);
    cpu.segs[SegReg.FS].setCache(0x2000, 0x20000, 0xffffffff, cpu.segs[SegReg.FS].ar);
    const before = archState(cpu);
    const r = new VmcsRecord();
    const regs = new GuestRegisters();
    saveGuestState(cpu, r, regs);
    const host = new Machine().protectedMode(3).cpu;
    loadGuestState(host, r, { regs });
    expect(archState(host)).toEqual(before);
  });

  it('GuestRegisters survive a JSON snapshot', () => {
    const cpu = busyGuest().cpu;
    const regs = new GuestRegisters();
    saveGuestState(cpu, new VmcsRecord(), regs);
    const copy = new GuestRegisters();
    copy.restore(JSON.parse(JSON.stringify(regs.snapshot())));
    expect(copy.snapshot()).toEqual(regs.snapshot());
    expect(copy.snapshot().cr2).toBe(0xc0001234);
    expect(() => copy.restore({ gpr: [1], cr2: 0, dr: [], dr6: 0 })).toThrow(RangeError);
  });
});

describe('loadGuestState TLB and decoded-chain maintenance', () => {
  it('flushes the TLB when CR3 changes and keeps it when CR0, CR3, CR4 and the paging structures are unchanged', () => {
    const cpu = busyGuest().cpu;
    const r = new VmcsRecord();
    saveGuestState(cpu, r);
    translate(cpu, 0x5000, ACCESS_READ, false); // paging off: an identity entry is cached
    expect(cpu.tlbCount).toBeGreaterThan(0);
    cpu.breakBlock = false;
    loadGuestState(cpu, r);
    expect(cpu.tlbCount).toBeGreaterThan(0);
    expect(cpu.breakBlock).toBe(true);
    r.write(VMCS.GUEST_CR3, 0x00080000);
    loadGuestState(cpu, r);
    expect(cpu.tlbCount).toBe(0);
    expect(cpu.cr3).toBe(0x80000);
  });
});

/** The Xen thread's example: FS loaded with a 4-GiB limit, then its descriptor changes; the VMM takes an exit in the middle. */
describe('hidden segment state: preserving (VT-x) vs reloading (pre-VT VMM)', () => {
  const FS_SEL = 0x50;

  function flatFsGuest(): { m: Machine; r: VmcsRecord; regs: GuestRegisters } {
    const m = new Machine().protectedMode(0);
    m.setDescriptor(FS_SEL, 0, 0xfffff, DATA32 | AR_ACCESSED); // 4 GiB
    m.load(SegReg.FS, FS_SEL);
    // Make the other caches what a real load would leave (accessed bit set), so only FS differs later.
    for (const sel of [0x08, 0x10]) m.setDescriptor(sel, 0, 0xfffff, (sel === 0x08 ? 0x0b : 0x03) | 0x90 | 0xc000);
    m.load(SegReg.CS, 0x08);
    for (const s of [SegReg.ES, SegReg.SS, SegReg.DS, SegReg.GS]) m.load(s, KDATA);
    const r = new VmcsRecord();
    const regs = new GuestRegisters();
    saveGuestState(m.cpu, r, regs);
    // After the load, the guest rewrites the descriptor: 64 KiB at 0x10000. The cache keeps 4 GiB.
    m.setDescriptor(FS_SEL, 0x10000, 0xffff, DATA32 & ~0x8000 | AR_ACCESSED);
    return { m, r, regs };
  }

  it('preserving the hidden state keeps FS base 0 and the 4-GiB limit, so a large offset still works', () => {
    const { m, r, regs } = flatFsGuest();
    expect(loadGuestState(m.cpu, r, { regs })).toEqual([]);
    expect(m.cpu.segs[SegReg.FS].limit).toBe(0xffffffff);
    m.w32(0x80000, 0xcafef00d);
    expect(readV32(m.cpu, SegReg.FS, 0x80000) >>> 0).toBe(0xcafef00d);
  });

  it('reloading FS from the changed descriptor loses the hidden state: FS comes back with base 0x10000 and a 64-KiB limit, and the next large offset faults', () => {
    const { m, r, regs } = flatFsGuest();
    const losses = loadGuestState(m.cpu, r, { regs, preserveHiddenState: false });
    expect(losses).toHaveLength(1);
    expect(losses[0]).toMatchObject({ register: 'FS', selector: FS_SEL, saved: { base: 0, limit: 0xffffffff }, reloaded: { base: 0x10000, limit: 0xffff } });
    expect(m.cpu.segs[SegReg.FS].base).toBe(0x10000);
    expect(m.cpu.segs[SegReg.FS].limit).toBe(0xffff);
    let fault: unknown = null;
    try {
      readV32(m.cpu, SegReg.FS, 0x80000);
    } catch (e) {
      fault = e;
    }
    expect(fault).toBeInstanceOf(CpuFault);
    expect((fault as CpuFault).vector).toBe(13);
  });

  it('reloading an unchanged protected-mode state loses nothing and gives the same CPU as the preserving path', () => {
    const a = flatFsGuest();
    a.m.setDescriptor(FS_SEL, 0, 0xfffff, DATA32 | AR_ACCESSED); // descriptor back as loaded
    const b = flatFsGuest();
    b.m.setDescriptor(FS_SEL, 0, 0xfffff, DATA32 | AR_ACCESSED);
    loadGuestState(a.m.cpu, a.r, { regs: a.regs });
    expect(loadGuestState(b.m.cpu, b.r, { regs: b.regs, preserveHiddenState: false })).toEqual([]);
    expect(archState(b.m.cpu)).toEqual(archState(a.m.cpu));
  });

  it('real mode ("unreal" FS with a 4-GiB limit left by protected mode): reloading gives the 64-KiB limit back, preserving keeps 4 GiB', () => {
    const m = new Machine();
    const cpu = m.cpu;
    for (const s of [SegReg.CS, SegReg.SS, SegReg.DS, SegReg.ES, SegReg.FS, SegReg.GS]) loadRealModeSegment(cpu, s, 0x800 + s);
    cpu.segs[SegReg.CS].setCache(0x800 + SegReg.CS, (0x800 + SegReg.CS) << 4, 0xffff, cpu.segs[SegReg.CS].ar); // a plain real-mode CS
    cpu.segs[SegReg.FS].setCache(0, 0, 0xffffffff, cpu.segs[SegReg.FS].ar); // unreal mode
    const r = new VmcsRecord();
    saveGuestState(cpu, r);
    const losses = loadGuestState(cpu, r, { preserveHiddenState: false });
    expect(losses.map((l) => l.register)).toEqual(['FS']);
    expect(losses[0].why).toMatch(/real-mode reload/);
    expect(cpu.segs[SegReg.FS].limit).toBe(0xffff);
    loadGuestState(cpu, r);
    expect(cpu.segs[SegReg.FS].limit).toBe(0xffffffff);
  });

  it('reloading makes a register unusable when its selector is null, beyond its table, or its table cannot be read, and says why', () => {
    const { m, r } = flatFsGuest();
    r.write(VMCS.GUEST_DS_SELECTOR, 0x1f8 + 0x200); // beyond the GDT limit (0x1ff)
    r.write(VMCS.GUEST_ES_SELECTOR, 0x0003); // null with RPL 3
    const unreadable: DescriptorTables = {
      descriptor: (sel) => {
        if (sel === FS_SEL) throw new CpuFault(14, 0, 'not present');
        const at = 0x1000 + (sel & 0xfff8);
        return sel > 0x1ff ? null : { lo: m.r32(at), hi: m.r32(at + 4) };
      },
    };
    const losses = restoreByReloading(m.cpu, r, unreadable);
    const why = Object.fromEntries(losses.map((l) => [l.register, l.why]));
    expect(why.DS).toMatch(/beyond its table/);
    expect(why.FS).toMatch(/unreadable/);
    expect(m.cpu.segs[SegReg.ES].usable).toBe(false);
    expect(why.ES).toMatch(/null selector/); // ES was usable when saved
    expect(m.cpu.segs[SegReg.DS].usable).toBe(false);
    expect(m.cpu.segs[SegReg.FS].usable).toBe(false);
    expect(m.cpu.cpl).toBe(0);
  });

  it('a real-mode save leaves CR0.PE clear and the reload keeps LDTR and TR as saved', () => {
    const m = new Machine();
    const r = new VmcsRecord();
    saveGuestState(m.cpu, r);
    expect(r.read(VMCS.GUEST_CR0) & CR0_PE).toBe(0);
    const losses = restoreByReloading(m.cpu, r, { descriptor: () => { throw new Error('must not read tables in real mode'); } });
    expect(losses.map((l) => l.register)).toEqual(['CS']); // the reset CS base FFFF0000 is not F000 << 4
  });
});
