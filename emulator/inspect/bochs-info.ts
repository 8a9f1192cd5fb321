/**
 * The register and table commands of the Bochs debugger, formatted as Bochs prints them
 * (Bochs user manual, "Using Bochs internal debugger"; bx_dbg_info_*_command in Bochs'
 * bx_debug/dbg_main.cc): `r`/`regs`, `sreg`, `creg`, `info gdt|idt|ldt [from [to]]`,
 * `info tss`, `info tab`. All show the guest's view (guest-view.ts).
 *
 * Additions to Bochs' text, each marked in the output: under a VMM `sreg` notes a segment
 * whose hidden cache differs from its descriptor now, and `creg` names the VMM.
 */
import { CR0_FIELDS, CR4_FIELDS, EFLAGS_FIELDS } from './bit-fields';
import { cacheDwords, compareCache, describeCache, describeDescriptor, readTableEntry, tableEntries, tableRegister, type TableName } from './descriptors';
import { flagLetters, hex, hex16 } from './format';
import { readLinear, walk } from './guest-memory';
import type { GuestView } from './guest-view';
import { PTE_P, PTE_PS } from '../arch/paging';
import { CR0_PG, CR4_PSE } from '../arch/control-registers';
import { AR_UNUSABLE } from '../arch/segments';
import { InspectError } from './tree';

/** `r` / `regs`: the general registers, EIP and EFLAGS (Bochs 32-bit format). */
export function regs(view: GuestView): string {
  const cpu = view.vm.cpu;
  const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
  const lines = names.map((n, i) => `${n}: ${hex(cpu.regs[i])} ${cpu.regs[i] >>> 0}`);
  lines.push(`eip: ${hex(view.eip)}`);
  lines.push(`eflags ${hex(view.eflags)}: ${eflagsLetters(view.eflags)}`);
  return lines.join('\n');
}

/** 'id vip vif ac vm rf nt IOPL=0 of df IF tf sf ZF af PF cf' (Bochs: upper case when set). */
export function eflagsLetters(eflags: number): string {
  const ones = EFLAGS_FIELDS.filter((f) => f.name !== 'IOPL').reverse();
  const high = ones.filter((f) => f.shift > 12).map((f) => ((eflags >>> f.shift) & 1 ? f.name : f.name.toLowerCase()));
  const low = ones.filter((f) => f.shift < 12).map((f) => ((eflags >>> f.shift) & 1 ? f.name : f.name.toLowerCase()));
  return [...high, `IOPL=${(eflags >>> 12) & 3}`, ...low].join(' ');
}

/** `sreg`: each segment register's selector, its cache as descriptor dwords and Bochs' description; GDTR, IDTR. */
export function sreg(view: GuestView): string {
  const lines: string[] = [];
  for (const s of view.segments) {
    const { lo, hi } = cacheDwords(s);
    const valid = s.ar & AR_UNUSABLE ? 0 : 1;
    lines.push(`${s.name.toLowerCase()}:${hex16(s.selector)}, dh=${hex(hi)}, dl=${hex(lo)}, valid=${valid}`);
    if (valid) lines.push(`\t${describeCache(s)}`);
    const cmp = compareCache(view, s.name, s);
    if (cmp.differences.length) lines.push(`\t! hidden cache differs from memory (${cmp.differences.join(', ')}): ${cmp.label}`);
  }
  lines.push(`gdtr:base=${hex(view.gdtr.base)}, limit=${hex(view.gdtr.limit, 0)}`);
  lines.push(`idtr:base=${hex(view.idtr.base)}, limit=${hex(view.idtr.limit, 0)}`);
  return lines.join('\n');
}

/** `creg`: CR0, CR2, CR3, CR4 (Bochs format: flag names upper case when set). */
export function creg(view: GuestView): string {
  const cr0Fields = [...CR0_FIELDS].reverse();
  const cr4Fields = [...CR4_FIELDS].reverse();
  const lines = [
    `CR0=${hex(view.cr0)}: ${flagLetters(view.cr0, cr0Fields)}`,
    `CR2=page fault laddr=${hex(view.cr2)}`,
    `CR3=${hex(view.cr3)}`,
    `    PCD=page-level cache disable=${(view.cr3 >>> 4) & 1}`,
    `    PWT=page-level write-through=${(view.cr3 >>> 3) & 1}`,
    `CR4=${hex(view.cr4)}: ${flagLetters(view.cr4, cr4Fields)}`,
  ];
  if (view.vm.monitor) lines.push(`(guest view under ${view.vm.vmm}: the virtual CR0, CR3 and CR4)`);
  return lines.join('\n');
}

const TITLES: Record<TableName, string> = { GDT: 'Global Descriptor Table', LDT: 'Local Descriptor Table', IDT: 'Interrupt Descriptor Table' };

/**
 * `info gdt|idt|ldt [from [to]]`: the table's entries inside its limit (`from`..`to`, entry
 * numbers; all by default), one per line as Bochs prints them.
 * @throws InspectError when `from`/`to` are out of range
 */
export function infoTable(view: GuestView, table: TableName, from?: number, to?: number): string {
  const max = table === 'IDT' ? 255 : 0x1fff;
  const all = from === undefined;
  let a = from ?? 0;
  let b = to ?? (all ? max : a);
  if (a > max || b > max) throw new InspectError(`info ${table.toLowerCase()}: entry numbers run from 0 to ${max}`);
  if (a > b) [a, b] = [b, a];
  const t = tableRegister(view, table);
  if (!t.usable) return `${TITLES[table]}: no LDT is loaded (LDTR is null)`;
  const lines = [`${TITLES[table]} (base=${hex(t.base)}, limit=${t.limit}):`];
  const count = tableEntries(view, table);
  for (let n = a; n <= b && n < count; n++) {
    const e = readTableEntry(view, table, n);
    const label = table === 'IDT' ? `IDT[${hex(n, 2)}]` : `${table}[${hex(n * 8 + (table === 'LDT' ? 4 : 0), 4)}]`;
    lines.push(e.ok ? `${label}=${describeDescriptor(e.lo, e.hi)}` : `error: ${label}: ${e.reason}`);
  }
  if (all) lines.push(`You can list individual entries with 'info ${table.toLowerCase()} [NUM]' or groups with 'info ${table.toLowerCase()} [NUM] [NUM]'`);
  return lines.join('\n');
}

/** `info tss`: the 32-bit TSS TR names (SDM Vol. 3A §7.2.1, Figure 7-2), as Bochs lists it. */
export function infoTss(view: GuestView): string {
  const tr = view.segments[7];
  const head = `tr:s=${hex16(tr.selector)}, base=${hex(tr.base)}, valid=${tr.ar & AR_UNUSABLE ? 0 : 1}`;
  if (tr.ar & AR_UNUSABLE || (tr.selector & 0xfffc) === 0) return `${head}\nno task register loaded`;
  const r = readLinear(view, tr.base, 104);
  if (r.unreadable.length) return `${head}\nerror: the TSS at linear ${hex(tr.base)} cannot be read: ${r.unreadable[0].reason}`;
  const d = (o: number): number => (r.bytes[o] | (r.bytes[o + 1] << 8) | (r.bytes[o + 2] << 16) | (r.bytes[o + 3] << 24)) >>> 0;
  const w = (o: number): string => hex16(r.bytes[o] | (r.bytes[o + 1] << 8));
  return [
    head,
    `ss:esp(0): ${w(8)}:${hex(d(4))}`,
    `ss:esp(1): ${w(16)}:${hex(d(12))}`,
    `ss:esp(2): ${w(24)}:${hex(d(20))}`,
    `cr3: ${hex(d(28))}`,
    `eip: ${hex(d(32))}`,
    `eflags: ${hex(d(36))}`,
    `cs: ${w(76)} ds: ${w(84)} ss: ${w(80)}`,
    `es: ${w(72)} fs: ${w(88)} gs: ${w(92)}`,
    `eax: ${hex(d(40))}  ebx: ${hex(d(52))}  ecx: ${hex(d(44))}  edx: ${hex(d(48))}`,
    `esi: ${hex(d(64))}  edi: ${hex(d(68))}  ebp: ${hex(d(60))}  esp: ${hex(d(56))}`,
    `ldt: ${w(96)}`,
    `i/o map: ${w(102)}`,
  ].join('\n');
}

/**
 * `info tab`: the guest's linear → guest-physical mappings, contiguous runs merged
 * ('0x00000000-0x003fffff -> 0x00000000-0x003fffff'), as Bochs prints them.
 */
export function infoTab(view: GuestView): string {
  if (!(view.cr0 & CR0_PG)) return 'paging is off (CR0.PG = 0): linear addresses are guest-physical';
  const mem = view.vm.memory;
  const pd = (view.cr3 & -4096) >>> 0;
  const lines = [`cr3: ${hex(view.cr3)}`];
  if (pd >= view.ramLimit) return `${lines[0]}\nerror: the page directory lies beyond guest RAM`;
  let run: { lin: number; phys: number; len: number } | null = null;
  const flush = (): void => {
    if (run) lines.push(`${hex(run.lin)}-${hex(run.lin + run.len - 1)} -> ${hex(run.phys)}-${hex(run.phys + run.len - 1)}`);
    run = null;
  };
  const add = (lin: number, phys: number, len: number): void => {
    if (run && run.lin + run.len === lin && run.phys + run.len === phys) run.len += len;
    else {
      flush();
      run = { lin, phys, len };
    }
  };
  for (let k = 0; k < 1024; k++) {
    const pde = mem.read32(pd + k * 4) >>> 0;
    if (!(pde & PTE_P)) {
      flush();
      continue;
    }
    if (pde & PTE_PS && view.cr4 & CR4_PSE) {
      const g = walk(view, k << 22 >>> 0);
      if (g.physical === null) flush();
      else add((k << 22) >>> 0, g.physical, 0x400000);
      continue;
    }
    const pt = (pde & -4096) >>> 0;
    if (pt >= view.ramLimit) {
      flush();
      continue;
    }
    for (let i = 0; i < 1024; i++) {
      const pte = mem.read32(pt + i * 4) >>> 0;
      if (pte & PTE_P) add(((k << 22) | (i << 12)) >>> 0, (pte & -4096) >>> 0, 0x1000);
      else flush();
    }
  }
  flush();
  return lines.join('\n');
}
