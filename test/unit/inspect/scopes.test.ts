import { describe, expect, it } from 'vitest';
import { EFLAGS_IF, EFLAGS_ZF } from '../../../emulator/arch/eflags';
import { getEflags } from '../../../emulator/cpu/flags';
import { findNode, scopes } from '../../../emulator/inspect/scopes';
import { InspectError, type InspectNode, type InspectScope } from '../../../emulator/inspect/tree';
import { TrapAndEmulateVm } from '../../../emulator/vmm/trap-and-emulate/vm';
import { KINDS, PROBE_A, PROBE_B, runTo, SEGMENT_GUEST } from './guests';

const scope = (all: InspectScope[], name: string): InspectScope => {
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`no scope ${name}`);
  return s;
};
const at = (s: InspectScope, ...path: string[]): InspectNode => {
  const n = findNode(s, path);
  if (!n) throw new Error(`no node ${path.join(' / ')} in ${s.name}`);
  return n;
};
const names = (nodes: InspectNode[]): string[] => nodes.map((n) => n.name);

describe('scopes: order and presence', () => {
  it('the bare machine has the five machine scopes, in order, without VMCS or VM exits', () => {
    const g = runTo('native', SEGMENT_GUEST);
    expect(scopes(g.vm).map((s) => s.name)).toEqual(['General registers', 'Segments', 'Control & system registers', 'Descriptor tables', 'Paging']);
  });
  it('under trap-and-emulate the VMCS and VM exits scopes follow', () => {
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    expect(scopes(g.vm).map((s) => s.name)).toEqual(['General registers', 'Segments', 'Control & system registers', 'Descriptor tables', 'Paging', 'VMCS', 'VM exits']);
  });
});

describe.each(KINDS)('General registers (%s)', (kind) => {
  it('show the guest registers in hex with 16/8-bit parts and EFLAGS with its SDM flags as bit children', () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const s = scope(scopes(g.vm), 'General registers');
    expect(names(s.nodes())).toEqual(['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI', 'EIP', 'EFLAGS']);
    expect(at(s, 'EAX').value).toBe('0x11223344');
    expect(at(s, 'EAX', 'AH').value).toBe('0x33');
    expect(at(s, 'EBX').value).toBe(`0x${g.sym('words').toString(16).padStart(8, '0')}`);
    expect(at(s, 'EIP').memoryReference).toBe(`lin:0x${g.sym('here').toString(16).padStart(8, '0')}`);
    expect(names(at(s, 'EFLAGS').children!())).toEqual(['CF', 'PF', 'AF', 'ZF', 'SF', 'TF', 'IF', 'DF', 'OF', 'IOPL', 'NT', 'RF', 'VM', 'AC', 'VIF', 'VIP', 'ID']);
    expect(at(s, 'EFLAGS', 'ZF').value).toBe('1 (zero)');
    expect(at(s, 'EFLAGS', 'IOPL').type).toBe('2-bit field');
  });

  it('setVariable writes EAX, AL and a flag into the guest and returns the new display value', () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const s = scope(scopes(g.vm), 'General registers');
    expect(at(s, 'EAX').set!('0xdeadbeef')).toBe('0xdeadbeef');
    expect(g.vm.cpu.regs[0] >>> 0).toBe(0xdeadbeef);
    expect(at(s, 'EAX', 'AL').set!('17')).toBe('0x11');
    expect(g.vm.cpu.regs[0] >>> 0).toBe(0xdeadbe11);
    expect(at(s, 'EFLAGS', 'ZF').set!('0')).toBe('0');
    expect(getEflags(g.vm.cpu) & EFLAGS_ZF).toBe(0);
    expect(at(s, 'EFLAGS').value).toMatch(/^0x00000006 \(PF\)$/);
  });

  it('setVariable refuses bad text and values that do not fit, naming the register', () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const s = scope(scopes(g.vm), 'General registers');
    expect(() => at(s, 'ECX').set!('banana')).toThrow(InspectError);
    expect(() => at(s, 'ECX').set!('banana')).toThrow(/ECX: 'banana' is not a number/);
    expect(() => at(s, 'ECX', 'CL').set!('0x100')).toThrow(/CL is 8 bits wide/);
    expect(() => at(s, 'EFLAGS', 'ZF').set!('2')).toThrow(/ZF is 1 bit wide/);
    expect(() => at(s, 'EFLAGS', 'VM').set!('1')).toThrow(/cannot write EFLAGS\.VM from the debugger/);
    expect(g.vm.cpu.regs[1]).toBe(0x80);
  });
});

describe('General registers under trap-and-emulate', () => {
  it("EFLAGS.IF is the guest's virtual IF: writing it sets the VMM's virtual IF, not the host's", () => {
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    const vm = g.vm as TrapAndEmulateVm;
    const hostIf = getEflags(vm.cpu) & EFLAGS_IF;
    const s = scope(scopes(vm), 'General registers');
    expect(at(s, 'EFLAGS', 'IF').value).toBe('0 (interrupt enable)');
    at(s, 'EFLAGS', 'IF').set!('1');
    expect(vm.state.vif).toBe(true);
    expect(getEflags(vm.cpu) & EFLAGS_IF).toBe(hostIf);
    expect(at(s, 'EFLAGS', 'IF').value).toBe('1 (interrupt enable)');
    expect(() => at(s, 'EFLAGS', 'IOPL').set!('3')).toThrow(/EFLAGS\.IOPL.*the VMM owns them/);
  });
});

describe.each(KINDS)('Segments (%s)', (kind) => {
  it("FS keeps PROBE_A in its hidden cache after its GDT entry moved to PROBE_B: FS, its cache's base and the descriptor are marked, DS is not", () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const s = scope(scopes(g.vm), 'Segments');
    expect(names(s.nodes())).toEqual(['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR']);
    const fs = at(s, 'FS');
    expect(fs.differs).toBe(true);
    expect(fs.value).toContain('differs from memory: base');
    expect(names(fs.children!()).slice(0, 3)).toEqual(['selector', 'hidden cache', 'descriptor in memory']);
    expect(names(at(s, 'FS', 'selector').children!())).toEqual(['index', 'TI', 'RPL']);
    expect(at(s, 'FS', 'selector', 'index').value).toBe('3');
    expect(at(s, 'FS', 'hidden cache').differs).toBe(true);
    expect(at(s, 'FS', 'hidden cache', 'base').value).toBe(`0x00${PROBE_A.toString(16)}`);
    expect(at(s, 'FS', 'hidden cache', 'base').differs).toBe(true);
    expect(at(s, 'FS', 'hidden cache', 'limit').differs).toBeUndefined();
    expect(names(at(s, 'FS', 'hidden cache').children!())).toEqual(['base', 'limit', 'type', 'accessed', 'S', 'DPL', 'P', 'D/B', 'G', 'AVL']);
    const mem = at(s, 'FS', 'descriptor in memory');
    expect(mem.differs).toBe(true);
    expect(mem.value).toMatch(/^GDT\[3\] 0x0018: Data segment, base=0x00121000, limit=0x00000fff, Read\/Write/);
    expect(mem.memoryReference).toBe(`lin:0x${(g.sym('gdt') + 0x18).toString(16).padStart(8, '0')}`);
    expect(at(s, 'FS', 'descriptor in memory', 'base').value).toBe(`0x00${PROBE_B.toString(16)}`);
    expect(at(s, 'DS').differs).toBeUndefined();
    expect(at(s, 'CS').differs).toBeUndefined();
    expect(at(s, 'LDTR', 'descriptor in memory').value).toBe('null selector: no descriptor');
  });
});

describe('Segments under trap-and-emulate', () => {
  it("the caches are shown as the host holds them (DPL raised, limit truncated) and that alone is not a difference", () => {
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    const s = scope(scopes(g.vm), 'Segments');
    const ds = at(s, 'DS');
    expect(ds.differs).toBeUndefined();
    expect(at(s, 'DS', 'hidden cache', 'DPL').value).toBe('1');
    expect(at(s, 'DS', 'descriptor in memory', 'DPL').value).toBe('0');
    expect(at(s, 'DS', 'hidden cache').value).toContain('ring compression (0/1/3)');
    expect(Number(at(s, 'DS', 'hidden cache', 'limit').value)).toBeLessThan(0xffffffff);
  });
});

describe.each(KINDS)('Control & system registers and Descriptor tables (%s)', (kind) => {
  it("show the guest's CR0 with SDM bits, its GDTR, DR7 and the MSRs; the GDT entries decode lazily", () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const all = scopes(g.vm);
    const c = scope(all, 'Control & system registers');
    expect(names(c.nodes())).toEqual(['CR0', 'CR2', 'CR3', 'CR4', 'CPL', 'GDTR', 'IDTR', 'LDTR', 'TR', 'DR0', 'DR1', 'DR2', 'DR3', 'DR4', 'DR5', 'DR6', 'DR7', 'MSRs']);
    expect(at(c, 'CR0').value).toBe('0x00000011 (PE ET)');
    expect(names(at(c, 'CR0').children!())).toEqual(['PE', 'MP', 'EM', 'TS', 'ET', 'NE', 'WP', 'AM', 'NW', 'CD', 'PG']);
    expect(names(at(c, 'CR4').children!())).toEqual(['VME', 'PVI', 'TSD', 'DE', 'PSE', 'PAE', 'MCE', 'PGE', 'PCE', 'OSFXSR', 'OSXMMEXCPT']);
    expect(at(c, 'CPL').value).toMatch(/^0\b/);
    expect(at(c, 'GDTR', 'base').value).toBe(`0x${g.sym('gdt').toString(16).padStart(8, '0')}`);
    expect(at(c, 'GDTR', 'limit').value).toBe('0x001f');
    expect(names(at(c, 'MSRs').children!())).toEqual(['IA32_TIME_STAMP_COUNTER', 'IA32_BIOS_SIGN_ID', 'IA32_SYSENTER_CS', 'IA32_SYSENTER_ESP', 'IA32_SYSENTER_EIP']);
    const t = scope(all, 'Descriptor tables');
    expect(t.expensive).toBe(true);
    expect(names(t.nodes())).toEqual(['GDT', 'LDT', 'IDT']);
    expect(names(at(t, 'GDT').children!())).toEqual(['GDT[0] 0x00', 'GDT[1] 0x08', 'GDT[2] 0x10', 'GDT[3] 0x18']);
    expect(at(t, 'GDT', 'GDT[1] 0x08').value).toMatch(/^Code segment, base=0x00000000, limit=0xffffffff, Execute\/Read, Non-Conforming(, Accessed)?, 32-bit$/);
    expect(at(t, 'GDT', 'GDT[3] 0x18', 'base').value).toBe('0x00121000');
    expect(at(t, 'LDT').value).toBe('none loaded (LDTR is null)');
    expect(at(t, 'IDT').children!().length).toBeLessThanOrEqual(256);
  });
});

describe('VMCS and VM exits (trap-and-emulate)', () => {
  it('group every VMCS field by SDM area with its encoding, and count the LGDT exit by reason with its guest EIP', () => {
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    const all = scopes(g.vm);
    const v = scope(all, 'VMCS');
    expect(names(v.nodes())).toEqual([
      'Guest-state area (§25.4)',
      'Host-state area (§25.5)',
      'VM-execution control fields (§25.6)',
      'VM-exit control fields (§25.7)',
      'VM-entry control fields (§25.8)',
      'VM-exit information fields (§25.9)',
    ]);
    const cr3 = at(v, 'Guest-state area (§25.4)', 'GUEST_CR3');
    expect(cr3.type).toBe('natural-width, encoding 0x6802');
    expect(at(v, 'VM-exit information fields (§25.9)', 'VM_EXIT_REASON').value).toMatch(/^0x[0-9a-f]{8} \([A-Z_]+\)$/);
    const total = v.nodes().reduce((n, a) => n + a.children!().length, 0);
    expect(total).toBe((g.vm as TrapAndEmulateVm).vmcs.areas().reduce((n, a) => n + a.fields.length, 0));
    const e = scope(all, 'VM exits');
    expect(names(e.nodes())).toEqual(['total', 'by reason', 'last exits']);
    expect(names(at(e, 'by reason').children!())).toContain('GDTR_IDTR_ACCESS (46)');
    const lgdt = at(e, 'last exits').children!().find((n) => n.value.startsWith('GDTR_IDTR_ACCESS'));
    expect(lgdt?.memoryReference).toBe(`lin:0x${g.sym('do_lgdt').toString(16).padStart(8, '0')}`);
    expect(lgdt?.value).toMatch(/^GDTR_IDTR_ACCESS \(46\) at 0x000[9b]:0x00100014 \(linear 0x00100014\)/);
  });

  it('the VM exits scope names source lines through the caller-given locator', async () => {
    const { scopes: scopesWith } = await import('../../../emulator/inspect/scopes');
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    const e = scopesWith(g.vm, { where: (lin) => (lin < g.sym('here') ? 'guest.asm:7' : undefined) }).find((s) => s.name === 'VM exits')!;
    expect(at(e, 'last exits').children!().every((n) => n.value.includes('guest.asm:7'))).toBe(true);
  });
});
