/**
 * `evaluateCommand`: the debug console's Bochs-style commands (Bochs user manual, "Using
 * Bochs internal debugger"), over the guest's view:
 *
 *   r | regs                     general registers, EIP, EFLAGS
 *   sreg                         segment registers (selector, cache as dh/dl, description), GDTR, IDTR
 *   creg                         CR0, CR2, CR3, CR4
 *   info gdt|idt|ldt [N [M]]     descriptor-table entries
 *   info tss                     the current TSS
 *   info tab                     linear → guest-physical mappings
 *   page LADDR                   the page walk of LADDR: the guest's, and under a VMM the shadow's
 *   x /nuf LADDR                 examine guest-linear memory;  xp /nuf PADDR: guest-physical
 *                                n count, u unit b|h|w|g (1, 2, 4, 8 bytes), f format x|d|u|o|t|c
 *   vmcs [FIELD]                 the VMM's VMCS record, or one field (name or encoding)
 *   exits                        VM exits per reason, and the last ones
 *   help                         this list
 *
 * Addresses (LADDR, PADDR, the `info` entry numbers) are expressions (expression.ts):
 * `x /4wx esp`, `page my_label+0x10`. `evaluateExpression` is re-exported here for hovers.
 */
import { VMCS, vmcsField } from '../arch/vmcs';
import { exitCauseLabel } from '../vmm/exit-cause';
import { formatExitTable } from '../vmm/exit-stats';
import type { GuestVm } from '../vmm/guest-vm';
import { creg, infoTab, infoTable, infoTss, regs, sreg } from './bochs-info';
import { PDE_FIELDS, PTE_FIELDS } from './bit-fields';
import { evaluateOn, type SymbolTable } from './expression';
import { hex, hex16, type BitField } from './format';
import { readLinear, shadowWalk, walk, type GuestRead, type PagingEntry } from './guest-memory';
import { guestView, type GuestView } from './guest-view';
import { judgeShadowEntry } from './paging-scope';
import { InspectError } from './tree';
import { VMCS_AREA_TITLES, vmcsFieldText, vmcsFieldType } from './vmm-scopes';
import { PTE_PS } from '../arch/paging';

export { evaluateExpression, type SymbolTable } from './expression';

/** The commands `evaluateCommand` knows, for `help` and for the unknown-command error. */
export const COMMANDS: readonly { usage: string; what: string }[] = [
  { usage: 'r | regs', what: 'general registers, EIP and EFLAGS' },
  { usage: 'sreg', what: 'segment registers: selector, hidden cache, GDTR, IDTR' },
  { usage: 'creg', what: 'control registers CR0, CR2, CR3, CR4' },
  { usage: 'info gdt|idt|ldt [N [M]]', what: 'descriptor-table entries (all, N, or N to M)' },
  { usage: 'info tss', what: 'the task-state segment TR names' },
  { usage: 'info tab', what: 'linear → guest-physical mappings' },
  { usage: 'page LADDR', what: 'page walk of a linear address (guest, and shadow under a VMM)' },
  { usage: 'x /nuf LADDR', what: 'examine guest-linear memory: n count, u b|h|w|g, f x|d|u|o|t|c' },
  { usage: 'xp /nuf PADDR', what: 'examine guest-physical memory' },
  { usage: 'vmcs [FIELD]', what: "the VMM's VMCS record, or one field (name or 0x encoding)" },
  { usage: 'exits', what: 'VM exits per reason and the last exits' },
  { usage: 'help', what: 'this list' },
];

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.usage.length));
  return ['Commands (Bochs debugger syntax; addresses may be expressions: esp+8, [ebp+4], my_label):', ...COMMANDS.map((c) => `  ${c.usage.padEnd(w)}  ${c.what}`)].join('\n');
}

/** Bochs-style flag letters of a paging entry: ' PS g pat D A pcd pwt U W P' (upper case when set; U/S and W/R by value). */
function entryFlags(v: number, kind: 'PDE' | 'PTE'): string {
  const bit = (f: BitField): boolean => ((v >>> f.shift) & 1) !== 0;
  const fields = kind === 'PDE' ? PDE_FIELDS : PTE_FIELDS;
  const get = (name: string): BitField => fields.find((f) => f.name === name)!;
  const letter = (name: string, shown = name.toLowerCase()): string => (bit(get(name)) ? shown.toUpperCase() : shown.toLowerCase());
  const tail = `${letter('A')} ${letter('PCD')} ${letter('PWT')} ${bit(get('US')) ? 'U' : 'S'} ${bit(get('RW')) ? 'W' : 'R'} ${letter('P')}`;
  if (kind === 'PDE' && !(v & PTE_PS)) return `    ps         ${tail}`;
  if (kind === 'PDE') return `    PS ${letter('G')} pat ${letter('D')} ${tail}`;
  return `       ${letter('G')} ${letter('PAT')} ${letter('D')} ${tail}`;
}

function entryLine(label: string, e: PagingEntry, kind: 'PDE' | 'PTE'): string {
  return `${label}: ${hex(e.value)}${entryFlags(e.value, kind)}`;
}

/** `page LADDR`: the guest's walk (Bochs' lines), then under a VMM on shadow tables the shadow's and the verdict. */
function page(view: GuestView, lin: number): string {
  const g = walk(view, lin);
  const lines: string[] = [];
  if (!g.paging) lines.push(`paging is off (CR0.PG = 0): linear page ${hex(lin & -4096)} is guest-physical page ${hex(lin & -4096)}`);
  else {
    if (g.pde) lines.push(entryLine(' PDE', g.pde, 'PDE'));
    if (g.pte) lines.push(entryLine(' PTE', g.pte, 'PTE'));
    if (g.physical !== null) lines.push(`linear page ${hex(lin & (g.large ? 0xffc00000 : -4096))} maps to physical page ${hex(g.physical & (g.large ? 0xffc00000 : -4096))}`);
    else lines.push(`physical address not available for linear ${hex(lin)}: ${g.fault}`);
  }
  const s = shadowWalk(view, lin);
  if (s) {
    lines.push(`shadow page tables (host CR3 ${hex(s.directory)}):`);
    lines.push(entryLine(' PDE', s.pde, 'PDE'));
    if (s.pte) lines.push(entryLine(' PTE', s.pte, 'PTE'));
    if (s.physical === null) lines.push(`not mapped in the shadow: ${s.fault}`);
    else {
      lines.push(`linear page ${hex(lin & -4096)} maps to host-physical page ${hex(s.physical & -4096)}`);
      const j = judgeShadowEntry(view, g, s.pte!.value);
      lines.push(`${j.differs ? 'DIFFERS from the guest: ' : 'shadow entry: '}${j.note}`);
    }
  } else if (view.vm.monitor) {
    lines.push('shadow page tables: none (the host runs this guest without paging)');
  }
  return lines.join('\n');
}

const UNIT_BYTES: Record<string, 1 | 2 | 4 | 8> = { b: 1, h: 2, w: 4, g: 8 };
/** Items per line, as Bochs prints them. */
const PER_LINE: Record<number, number> = { 1: 8, 2: 8, 4: 4, 8: 2 };

/** Parse '/nuf' (any of n, u, f; defaults 1, w, x). @throws InspectError for other letters */
function parseFormat(spec: string | undefined, command: string): { count: number; unit: 1 | 2 | 4 | 8; format: string } {
  let count = 1;
  let unit: 1 | 2 | 4 | 8 = 4;
  let format = 'x';
  if (spec === undefined) return { count, unit, format };
  const m = /^\/(\d*)([a-z]*)$/i.exec(spec);
  if (!m) throw new InspectError(`${command}: '${spec}' is not /nuf (n count, u b|h|w|g, f x|d|u|o|t|c)`);
  if (m[1]) count = parseInt(m[1], 10);
  if (!(count >= 1 && count <= 4096)) throw new InspectError(`${command}: count ${m[1]} must be 1 … 4096`);
  for (const c of m[2].toLowerCase()) {
    if (c in UNIT_BYTES) unit = UNIT_BYTES[c];
    else if ('xduotc'.includes(c)) format = c;
    else throw new InspectError(`${command}: '${c}' is neither a unit (b h w g) nor a format (x d u o t c)`);
  }
  return { count, unit, format };
}

function formatItem(bytes: Uint8Array, at: number, unit: number, format: string): string {
  let v = 0n;
  for (let k = unit - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[at + k]);
  const bits = BigInt(unit * 8);
  switch (format) {
    case 'x':
      return `0x${v.toString(16).padStart(unit * 2, '0')}`;
    case 'd':
      return BigInt.asIntN(Number(bits), v).toString();
    case 'u':
      return v.toString();
    case 'o':
      return `0${v.toString(8)}`;
    case 't':
      return v.toString(2).padStart(unit * 8, '0');
    default: {
      let s = '';
      for (let k = 0; k < unit; k++) {
        const c = bytes[at + k];
        s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
      }
      return s;
    }
  }
}

/** The '<name+   off>' Bochs puts after an address: the nearest symbol at or below it, else 'bogus'. */
function symbolLabel(addr: number, symbols: SymbolTable | undefined): string {
  let best: [string, number] | null = null;
  if (symbols) for (const [name, a] of symbols) if (a >>> 0 <= addr && (!best || a >>> 0 > best[1])) best = [name, a >>> 0];
  return best ? `<${best[0]}+${String(addr - best[1]).padStart(8)}>` : `<bogus+${String(0).padStart(8)}>`;
}

/** `x` / `xp`: examine memory (see the file header). Stops at the first unreadable item and says why. */
function examine(view: GuestView, space: 'lin' | 'phys', spec: string | undefined, addr: number, symbols: SymbolTable | undefined): string {
  const { count, unit, format } = parseFormat(spec, space === 'lin' ? 'x' : 'xp');
  const length = count * unit;
  const r: GuestRead = space === 'lin' ? readLinear(view, addr, length) : readPhysicalView(view, addr, length);
  const firstBad = r.unreadable.length ? r.unreadable[0].start - addr : length;
  const lines = ['[bochs]:'];
  const perLine = PER_LINE[unit];
  for (let item = 0; item < count; item += perLine) {
    const at = (addr + item * unit) >>> 0;
    const cells: string[] = [];
    for (let k = item; k < Math.min(count, item + perLine); k++) {
      if (k * unit + unit > firstBad) break;
      cells.push(formatItem(r.bytes, k * unit, unit, format));
    }
    const label = space === 'lin' ? ` ${symbolLabel(at, symbols)}` : '';
    if (cells.length) lines.push(`${hex(at)}${label}:\t${cells.join('\t')}`);
    if (r.unreadable.length && Math.min(count, item + perLine) * unit > firstBad) {
      const bad = r.unreadable[0];
      lines.push(`${hex(bad.start)}: <unreadable: ${bad.reason}>`);
      break;
    }
  }
  return lines.join('\n');
}

function readPhysicalView(view: GuestView, pa: number, length: number): GuestRead {
  // Reuse the linear reader with paging off: guest-physical = linear, same RAM-limit checks.
  return readLinear({ ...view, cr0: view.cr0 & 0x7fffffff }, pa, length);
}

/** `vmcs [FIELD]`: every field by area, or one field by name (any case) or encoding. */
function vmcs(vm: GuestVm, field: string | undefined): string {
  const m = vm.monitor;
  if (!m) return `no VMCS: this guest runs on the bare machine (vmm ${vm.vmm})`;
  const areas = m.vmcs.areas();
  if (field !== undefined) {
    const enc = /^0x[0-9a-f]+$/i.test(field) ? parseInt(field, 16) : VMCS[field.toUpperCase()];
    const f = enc === undefined ? undefined : vmcsField(enc);
    if (!f) throw new InspectError(`vmcs: no field '${field}' on this model (try 'vmcs' for the list)`);
    const v = areas.flatMap((a) => a.fields).find((x) => x.field.encoding === f.encoding)!;
    return `${f.name} = ${vmcsFieldText(v)} (${vmcsFieldType(v)}; ${VMCS_AREA_TITLES[f.area]})`;
  }
  const lines: string[] = [];
  for (const a of areas) {
    lines.push(`${VMCS_AREA_TITLES[a.area]}:`);
    const w = Math.max(...a.fields.map((f) => f.field.name.length));
    for (const f of a.fields) lines.push(`  ${hex(f.field.encoding, 4)} ${f.field.name.padEnd(w)} ${vmcsFieldText(f)}`);
  }
  return lines.join('\n');
}

/** `exits`: the --stats table, then the last exits (at most 16, newest last). */
function exits(vm: GuestVm): string {
  const m = vm.monitor;
  if (!m) return `no VM exits: this guest runs on the bare machine (vmm ${vm.vmm})`;
  const lines = [formatExitTable(m.stats, { cost: true })];
  const recent = m.stats.recent().slice(-16);
  if (recent.length) {
    lines.push('', 'last exits:');
    for (const e of recent) lines.push(`  #${e.seq} ${exitCauseLabel(e.cause)} at ${hex16(e.cs)}:${hex(e.eip)} (linear ${hex(e.linear)}), ${e.cost} wu`);
  }
  return lines.join('\n');
}

/**
 * Run one debug-console command (see the file header) against the guest's current state.
 * @param symbols program symbols by name, for addresses and for x's '<label+off>'
 * @returns the command's output text
 * @throws InspectError for an unknown command (naming it and listing the commands) or bad arguments
 */
export function evaluateCommand(vm: GuestVm, line: string, symbols?: SymbolTable): string {
  const text = line.trim();
  const [word = '', ...rest] = text.split(/\s+/);
  const cmd = word.toLowerCase();
  const view = guestView(vm);
  const expr = (t: string, what: string): number => {
    if (!t.trim()) throw new InspectError(`${cmd}: ${what} is missing`);
    return evaluateOn(view, t, symbols);
  };
  switch (cmd) {
    case 'r':
    case 'regs':
    case 'registers':
      return regs(view);
    case 'sreg':
      return sreg(view);
    case 'creg':
      return creg(view);
    case 'help':
    case '?':
      return help();
    case 'page':
      return page(view, expr(rest.join(' '), 'a linear address (page LADDR)'));
    case 'x':
    case 'xp': {
      const spec = rest[0]?.startsWith('/') ? rest[0] : undefined;
      const addrText = (spec ? rest.slice(1) : rest).join(' ');
      return examine(view, cmd === 'x' ? 'lin' : 'phys', spec, expr(addrText, `an address (${cmd} /nuf ADDR)`), symbols);
    }
    case 'vmcs':
      return vmcs(vm, rest[0]);
    case 'exits':
      return exits(vm);
    case 'info': {
      const what = (rest[0] ?? '').toLowerCase();
      const args = rest.slice(1);
      switch (what) {
        case 'gdt':
        case 'idt':
        case 'ldt': {
          if (args.length > 2) throw new InspectError(`info ${what}: at most two entry numbers (info ${what} [N [M]])`);
          const nums = args.map((a) => evaluateOn(view, a, symbols));
          return infoTable(view, what.toUpperCase() as 'GDT' | 'IDT' | 'LDT', nums[0], nums[1]);
        }
        case 'tss':
          return infoTss(view);
        case 'tab':
          return infoTab(view);
        default:
          throw new InspectError(`info ${what || '(nothing)'}: expected info gdt, info idt, info ldt, info tss or info tab`);
      }
    }
    default:
      throw new InspectError(`unknown command '${word}'. Commands: ${COMMANDS.map((c) => c.usage).join(', ')}`);
  }
}
