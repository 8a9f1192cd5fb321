import { describe, expect, it } from 'vitest';
import { COMMANDS, evaluateCommand, evaluateExpression } from '../../../emulator/inspect/commands';
import { InspectError } from '../../../emulator/inspect/tree';
import { KINDS, PAGING_GUEST, PT1, runTo, SEGMENT_GUEST } from './guests';

const h = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

describe.each(KINDS)('Bochs-style commands (%s)', (kind) => {
  it("'x /4wx LABEL' prints one Bochs line: address, <symbol+offset>, four words in hex", () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const words = g.sym('words');
    expect(evaluateCommand(g.vm, 'x /4wx words', g.symbols)).toBe(`[bochs]:\n${h(words)} <words+       0>:\t0x1badb002\t0x00010003\t0xe4514ffb\t0xcafebabe`);
    expect(evaluateCommand(g.vm, 'x /2hd words+4', g.symbols)).toBe(`[bochs]:\n${h(words + 4)} <words+       4>:\t3\t1`);
    expect(evaluateCommand(g.vm, 'x /4bc words+16', g.symbols)).toBe(`[bochs]:\n${h(words + 16)} <words+      16>:\tH\ti\t!\t\\x00`);
    expect(evaluateCommand(g.vm, 'xp /1gx ebx', g.symbols)).toBe(`[bochs]:\n${h(words)}:\t0x000100031badb002`);
    expect(evaluateCommand(g.vm, 'x /1bt ebx')).toBe(`[bochs]:\n${h(words)} <bogus+       0>:\t00000010`);
  });

  it("'info gdt' lists every entry inside the limit as Bochs does, with the moved descriptor's new base", () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const out = evaluateCommand(g.vm, 'info gdt').split('\n');
    expect(out[0]).toBe(`Global Descriptor Table (base=${h(g.sym('gdt'))}, limit=31):`);
    expect(out[1]).toBe('GDT[0x0000]=??? descriptor hi=0x00000000, lo=0x00000000');
    expect(out[2]).toMatch(/^GDT\[0x0008\]=Code segment, base=0x00000000, limit=0xffffffff, Execute\/Read, Non-Conforming(, Accessed)?, 32-bit$/);
    expect(out[4]).toMatch(/^GDT\[0x0018\]=Data segment, base=0x00121000, limit=0x00000fff, Read\/Write/);
    expect(out[5]).toBe("You can list individual entries with 'info gdt [NUM]' or groups with 'info gdt [NUM] [NUM]'");
    expect(evaluateCommand(g.vm, 'info gdt 3').split('\n')).toHaveLength(2);
  });

  it("'sreg' marks FS, whose hidden cache still has the old base", () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const out = evaluateCommand(g.vm, 'sreg');
    expect(out).toMatch(/^fs:0x0018, dh=0x0000[9b]312, dl=0x00000fff, valid=1$/m);
    expect(out).toContain('\tData segment, base=0x00120000, limit=0x00000fff, Read/Write, Accessed');
    expect(out).toContain('\t! hidden cache differs from memory (base): GDT[3] 0x0018: Data segment, base=0x00121000');
    expect(out.match(/! hidden cache differs/g)).toHaveLength(1);
    expect(out).toMatch(/^gdtr:base=0x[0-9a-f]{8}, limit=0x1f$/m);
  });

  it("'r' and 'creg' print the registers and control registers in Bochs' layout", () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const r = evaluateCommand(g.vm, 'regs').split('\n');
    expect(r[0]).toBe('eax: 0x11223344 287454020');
    expect(r[8]).toBe(`eip: ${h(g.sym('here'))}`);
    expect(r[9]).toBe('eflags 0x00000046: id vip vif ac vm rf nt IOPL=0 of df if tf sf ZF af PF cf');
    const c = evaluateCommand(g.vm, 'creg').split('\n');
    expect(c[0]).toBe('CR0=0x00000011: pg cd nw am wp ne ET ts em mp PE');
    expect(c[1]).toBe('CR2=page fault laddr=0x00000000');
  });

  it("'page LADDR' walks the guest's tables like Bochs: PDE and PTE with flag letters, then the mapping", () => {
    const g = runTo(kind, PAGING_GUEST);
    const out = evaluateCommand(g.vm, 'page 0x401234').split('\n');
    expect(out.slice(0, 3)).toEqual([
      ` PDE: ${h(PT1 | 0x27)}    ps         A pcd pwt U W P`,
      ' PTE: 0x00501025       g pat d A pcd pwt U R P',
      'linear page 0x00401000 maps to physical page 0x00501000',
    ]);
    expect(evaluateCommand(g.vm, 'page 0x800000').split('\n')[1]).toBe('physical address not available for linear 0x00800000: page-directory entry 0x002 not present');
    expect(evaluateCommand(g.vm, 'info tab').split('\n')).toEqual(['cr3: 0x00300000', '0x00000000-0x003fffff -> 0x00000000-0x003fffff', '0x00400000-0x00401fff -> 0x00500000-0x00501fff']);
    expect(evaluateCommand(g.vm, 'x /2wx 0x401ffc')).toBe('[bochs]:\n0x00401ffc <bogus+       0>:\t0x00000000\n0x00402000: <unreadable: page-table entry 0x002 not present>');
  });

  it('unknown commands and bad arguments raise InspectError naming them (and listing the commands)', () => {
    const g = runTo(kind, SEGMENT_GUEST);
    expect(() => evaluateCommand(g.vm, 'frobnicate 1')).toThrow(InspectError);
    expect(() => evaluateCommand(g.vm, 'frobnicate 1')).toThrow(/unknown command 'frobnicate'\. Commands: r \| regs, sreg, creg, info gdt\|idt\|ldt/);
    expect(() => evaluateCommand(g.vm, 'x /4q words', g.symbols)).toThrow(/x: 'q' is neither a unit/);
    expect(() => evaluateCommand(g.vm, 'page')).toThrow(/page: a linear address \(page LADDR\) is missing/);
    expect(() => evaluateCommand(g.vm, 'info bogus')).toThrow(/info bogus: expected info gdt/);
    expect(() => evaluateCommand(g.vm, 'x /4wx nowhere', g.symbols)).toThrow(/unknown register or symbol 'nowhere'/);
    expect(evaluateCommand(g.vm, 'help').split('\n')).toHaveLength(COMMANDS.length + 1);
  });
});

describe('VMM commands', () => {
  it("'vmcs FIELD' shows one field with its encoding and area; 'vmcs' lists all by area; an unknown field is an error", () => {
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    expect(evaluateCommand(g.vm, 'vmcs guest_gdtr_base')).toBe(`GUEST_GDTR_BASE = ${h(g.sym('gdt'))} (natural-width, encoding 0x6816; Guest-state area (§25.4))`);
    expect(evaluateCommand(g.vm, 'vmcs 0x6816')).toContain('GUEST_GDTR_BASE = ');
    const all = evaluateCommand(g.vm, 'vmcs').split('\n');
    expect(all.filter((l) => !l.startsWith(' '))).toEqual([
      'Guest-state area (§25.4):',
      'Host-state area (§25.5):',
      'VM-execution control fields (§25.6):',
      'VM-exit control fields (§25.7):',
      'VM-entry control fields (§25.8):',
      'VM-exit information fields (§25.9):',
    ]);
    expect(() => evaluateCommand(g.vm, 'vmcs GUEST_CR9')).toThrow(/vmcs: no field 'GUEST_CR9'/);
  });

  it("'exits' prints the per-reason table and the last exits; on the bare machine it says there is no VMM", () => {
    const g = runTo('trap-and-emulate', SEGMENT_GUEST);
    const out = evaluateCommand(g.vm, 'exits');
    expect(out).toMatch(/^reason\s+count\s+share\s+cost \(wu\)\s+wu\/exit$/m);
    expect(out).toMatch(/^GDTR_IDTR_ACCESS \(46\)\s+1\s/m);
    expect(out).toContain(`GDTR_IDTR_ACCESS (46) at 0x000`);
    const n = runTo('native', SEGMENT_GUEST);
    expect(evaluateCommand(n.vm, 'exits')).toBe('no VM exits: this guest runs on the bare machine (vmm native)');
    expect(evaluateCommand(n.vm, 'vmcs')).toBe('no VMCS: this guest runs on the bare machine (vmm native)');
  });

  it("'page' under trap-and-emulate adds the shadow walk and its verdict", () => {
    const g = runTo('trap-and-emulate', PAGING_GUEST);
    const out = evaluateCommand(g.vm, 'page 0x400000').split('\n');
    expect(out[3]).toMatch(/^shadow page tables \(host CR3 0x[0-9a-f]{8}\):$/);
    expect(out[6]).toBe('linear page 0x00400000 maps to host-physical page 0x00500000');
    expect(out[7]).toMatch(/^shadow entry: /);
    g.vm.memory.write32(PT1, 0x600007);
    expect(evaluateCommand(g.vm, 'page 0x400000').split('\n')[7]).toBe("DIFFERS from the guest: maps frame 0x00500000, the guest's entry gives 0x00600000");
  });
});

describe.each(KINDS)('expressions for hovers and watches (%s)', (kind) => {
  it('evaluate registers, parts, segment fields, numbers, symbols, + - * and [dword] through the guest tables', () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const e = (t: string): number => evaluateExpression(g.vm, t, g.symbols);
    expect(e('eax')).toBe(0x11223344);
    expect(e('AX + al')).toBe(0x3344 + 0x44);
    expect(e('ah')).toBe(0x33);
    expect(e('ecx*2 - 1')).toBe(0xff);
    expect(e('-1')).toBe(0xffffffff);
    expect(e('fs.base')).toBe(0x120000);
    expect(e('fs')).toBe(0x18);
    expect(e('gdtr.limit')).toBe(0x1f);
    expect(e('words + 0x10')).toBe(g.sym('words') + 16);
    expect(e('[words]')).toBe(0x1badb002);
    expect(e('[ebx + 4*3]')).toBe(0xcafebabe);
    expect(e('0ffh + 0b1')).toBe(0x100);
    expect(e('(1 + 2) * 3')).toBe(9);
    expect(e('eip')).toBe(g.sym('here'));
  });

  it('reject unknown names, bad syntax and unreadable addresses with the column or the reason', () => {
    const g = runTo(kind, SEGMENT_GUEST);
    const e = (t: string): number => evaluateExpression(g.vm, t, g.symbols);
    expect(() => e('eax +')).toThrow(/expression 'eax \+': expected a number, register or symbol at the end/);
    expect(() => e('foo')).toThrow(/unknown register or symbol 'foo' at column 1/);
    expect(() => e('eax # 1')).toThrow(/unexpected '#' at column 5/);
    expect(() => e('(1')).toThrow(/expected '\)'/);
    expect(() => e('cs.color')).toThrow(/cs\.color: a segment register has selector, base, limit and ar/);
    expect(() => e('')).toThrow(/empty expression/);
    expect(() => e('[0x7ffffffc]')).toThrow(/\[0x7ffffffc\]: guest-physical 0x7ffffffc lies beyond guest RAM/);
  });
});
