import { describe, expect, it } from 'vitest';
import { PTE_P } from '../../../emulator/arch/paging';
import {
  parseMemoryReference,
  readGuestLinear,
  readGuestPhysical,
  translateGuest,
  writeGuestLinear,
  writeGuestPhysical,
} from '../../../emulator/inspect/guest-memory';
import { findNode, scopes } from '../../../emulator/inspect/scopes';
import { InspectError, type InspectNode } from '../../../emulator/inspect/tree';
import { KINDS, PAGING_GUEST, PD, PT1, runTo } from './guests';

const paging = (vm: Parameters<typeof scopes>[0]) => scopes(vm).find((s) => s.name === 'Paging')!;
const node = (vm: Parameters<typeof scopes>[0], ...path: string[]): InspectNode => {
  const n = findNode(paging(vm), path);
  if (!n) throw new Error(`no node ${path.join(' / ')}`);
  return n;
};

describe.each(KINDS)("guest page tables (%s)", (kind) => {
  it("the Paging scope lists the guest's present PDEs and PTEs with their flags and frames", () => {
    const g = runTo(kind, PAGING_GUEST);
    const s = paging(g.vm);
    expect(s.expensive).toBe(true);
    expect(node(g.vm, 'paging').value).toBe('on (CR0.PG = 1, CR4.PSE = 0, CR0.WP = 1)');
    expect(node(g.vm, 'page directory').value).toBe('0x00300000: 2 present entries');
    const pdes = node(g.vm, 'page directory').children!();
    expect(pdes.map((n) => n.name)).toEqual(['PDE 0x000 → 0x00000000', 'PDE 0x001 → 0x00400000']);
    const pte = node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x000 → 0x00400000');
    expect(pte.value).toBe('0x00500067 → 0x00500000 (P RW US A D)');
    expect(pte.memoryReference).toBe(`phys:0x${PT1.toString(16).padStart(8, '0')}`);
    const ro = node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x001 → 0x00401000');
    expect(ro.value).toBe('0x00501025 → 0x00501000 (P US A)');
    expect(findNode(s, ['page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x001 → 0x00401000', 'flags', 'RW'])?.value).toBe('0 (read/write)');
    expect(node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000').children!().length).toBe(3); // flags + 2 PTEs
  });

  it('translateGuest gives the walk: PDE and PTE addresses and values, and the guest-physical address', () => {
    const g = runTo(kind, PAGING_GUEST);
    const t = translateGuest(g.vm, 0x400abc);
    expect(t.paging).toBe(true);
    expect(t.pde).toEqual({ address: PD + 4, value: PT1 | 0x27 });
    expect(t.pte).toEqual({ address: PT1, value: 0x500067 });
    expect(t.physical).toBe(0x500abc);
    expect(t.writable && t.user).toBe(true);
    const none = translateGuest(g.vm, 0x800000);
    expect(none.physical).toBeNull();
    expect(none.fault).toBe('page-directory entry 0x002 not present');
    expect(() => translateGuest(g.vm, -1)).toThrow(InspectError);
  });

  it('reads through the mapping and reports the unmapped part of a range instead of throwing; reads set no accessed bit', () => {
    const g = runTo(kind, PAGING_GUEST);
    const before = g.vm.memory.read32(PT1 + 8);
    const r = readGuestLinear(g.vm, 0x401ffc, 8 + 0x1000);
    expect(Array.from(r.bytes.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(r.unreadable).toEqual([
      { start: 0x402000, length: 0x1000, reason: 'page-table entry 0x002 not present' },
      { start: 0x403000, length: 4, reason: 'page-table entry 0x003 not present' },
    ]);
    const ok = readGuestLinear(g.vm, 0x400000, 8);
    expect(new DataView(ok.bytes.buffer).getUint32(0, true)).toBe(0xcafebabe);
    expect(new DataView(ok.bytes.buffer).getUint32(4, true)).toBe(0x12345678);
    expect(g.vm.memory.read32(PT1 + 8)).toBe(before);
    const p = readGuestPhysical(g.vm, 0x501000, 4);
    expect(new DataView(p.bytes.buffer).getUint32(0, true)).toBe(0x0badf00d);
  });

  it('writes through the mapping land in the guest-physical page, and a write to an unmapped page is reported', () => {
    const g = runTo(kind, PAGING_GUEST);
    const w = writeGuestLinear(g.vm, 0x400010, new Uint8Array([1, 2, 3, 4]));
    expect(w).toEqual({ written: 4, unwritable: [] });
    expect(g.vm.memory.read32(0x500010) >>> 0).toBe(0x04030201);
    const bad = writeGuestLinear(g.vm, 0x7ffffe, new Uint8Array(4));
    expect(bad.written).toBe(0);
    expect(bad.unwritable[0]).toMatchObject({ start: 0x7ffffe, length: 2 });
  });
});

describe('shadow page tables beside the guest tables (trap-and-emulate)', () => {
  it("a filled shadow PTE agrees with the guest's; the shadow directory lists it with the guest entry beside it", () => {
    const g = runTo('trap-and-emulate', PAGING_GUEST);
    const pte = node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x000 → 0x00400000');
    expect(pte.differs).toBeUndefined();
    const shadow = pte.children!().find((n) => n.name === 'shadow PTE')!;
    expect(shadow.value).toMatch(/^0x005000[0-9a-f]{2} → host 0x00500000 \(P( RW)? US.*\) — /);
    expect(shadow.differs).toBeUndefined();
    const sdir = node(g.vm, 'shadow page directory');
    expect(sdir.value).toMatch(/^host-physical 0x[0-9a-f]{8} \(the host CR3\): \d+ present entries$/);
    const spde = sdir.children!().find((n) => n.name === 'PDE 0x001 → 0x00400000')!;
    const spte = spde.children!().find((n) => n.name === 'PTE 0x000 → 0x00400000')!;
    expect(spte.children!().find((n) => n.name === 'guest entry')!.value).toBe('0x00500067 → 0x00500000 (RW US effective)');
    const t = translateGuest(g.vm, 0x400000);
    expect(t.shadow?.physical).toBe(0x500000);
  });

  it("remapping a guest PTE behind the VMM's back (no INVLPG, a write the VMM did not see) marks the guest PTE, its PDE and the shadow PTE as differing", () => {
    const g = runTo('trap-and-emulate', PAGING_GUEST);
    g.vm.memory.write32(PT1, 0x600007); // what a missed guest page-table write would leave
    const pde = node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000');
    expect(pde.differs).toBe(true);
    const pte = node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x000 → 0x00400000');
    expect(pte.differs).toBe(true);
    const shadow = pte.children!().find((n) => n.name === 'shadow PTE')!;
    expect(shadow.differs).toBe(true);
    expect(shadow.value).toContain("maps frame 0x00500000, the guest's entry gives 0x00600000");
    expect(node(g.vm, 'shadow page directory').children!().find((n) => n.name === 'PDE 0x001 → 0x00400000')!.differs).toBe(true);
    // The read-only page's shadow entry still agrees.
    expect(node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x001 → 0x00401000').differs).toBeUndefined();
  });

  it("a guest PTE cleared behind the VMM's back still listed (not present) because its shadow entry maps a page the guest no longer does", () => {
    const g = runTo('trap-and-emulate', PAGING_GUEST);
    g.vm.memory.write32(PT1 + 4, 0);
    const pte = node(g.vm, 'page directory', 'PDE 0x001 → 0x00400000', 'PTE 0x001 → 0x00401000');
    expect(pte.value).toBe('0x00000000 not present');
    expect(pte.differs).toBe(true);
    expect(pte.children!().find((n) => n.name === 'shadow PTE')!.value).toContain("maps a page the guest's tables do not (page-table entry 0x001 not present)");
  });

  it("debugger writes refuse guest paging structures the VMM write-protects and the VMM's reserved area; reads there are reported, not thrown", () => {
    const g = runTo('trap-and-emulate', PAGING_GUEST);
    const w = writeGuestPhysical(g.vm, PT1, new Uint8Array(4));
    expect(w.written).toBe(0);
    expect(w.unwritable[0].reason).toMatch(/holds a guest paging structure the VMM write-protects/);
    expect(g.vm.memory.read32(PT1) & PTE_P).toBe(PTE_P);
    const rb = g.vm.monitor!.reservedBase;
    const r = readGuestPhysical(g.vm, rb - 4, 8);
    expect(r.unreadable).toEqual([{ start: rb, length: 4, reason: `guest-physical 0x${rb.toString(16).padStart(8, '0')} lies beyond guest RAM (the VMM's reserved area starts at 0x${rb.toString(16).padStart(8, '0')})` }]);
    expect(writeGuestPhysical(g.vm, rb, new Uint8Array(1)).written).toBe(0);
  });
});

describe('guest paging structures on the bare machine', () => {
  it('a debugger write to a page-table entry takes effect at once (the TLB is flushed)', () => {
    const g = runTo('native', PAGING_GUEST);
    const w = writeGuestPhysical(g.vm, PT1, new Uint8Array([0x07, 0x00, 0x60, 0x00]));
    expect(w.written).toBe(4);
    g.vm.memory.write32(0x600000, 0x66666666);
    expect(translateGuest(g.vm, 0x400000).physical).toBe(0x600000);
    // The guest reads through its TLB: after the debugger write it must see the new frame.
    g.vm.cpu.regs[0] = 0;
    const eip = g.vm.cpu.eip;
    g.vm.memory.writeBytes(eip, new Uint8Array([0xa1, 0x00, 0x00, 0x40, 0x00, 0xeb, 0xfe])); // mov eax, [0x400000]; jmp $
    g.vm.setBreakpoints([eip + 5]);
    expect(g.vm.run(100)).toEqual({ kind: 'breakpoint', linear: eip + 5 });
    expect(g.vm.cpu.regs[0] >>> 0).toBe(0x66666666);
  });
});

describe('memory references', () => {
  it("parse 'lin:0x…' and 'phys:0x…' and refuse anything else with the text in the message", () => {
    expect(parseMemoryReference('lin:0x00100000')).toEqual({ space: 'lin', address: 0x100000 });
    expect(parseMemoryReference('phys:0x1000')).toEqual({ space: 'phys', address: 0x1000 });
    expect(parseMemoryReference('4096')).toEqual({ space: 'lin', address: 4096 });
    expect(() => parseMemoryReference('virt:12')).toThrow(/memory reference 'virt:12'/);
  });
});
