/**
 * The adapter's one doorway to emulator/inspect, so that what H6's inspection library adds
 * later (scopes.ts `scopes(vm)` with Paging/VMCS/VM exits, commands.ts `evaluateCommand` and
 * expression.ts `evaluateExpression`) replaces the bodies here without touching the requests.
 *
 * NOT DONE (say it plainly): when this file was written only the register, segment and
 * descriptor-table node builders of emulator/inspect were committed, so
 *  - `scopesOf` offers "General registers", "Segments", "Control & system registers" and
 *    "Descriptor tables"; the Paging, VMCS and VM-exit scopes arrive with inspect/scopes.ts;
 *  - `evaluateCommandText` answers `help` and register/number expressions only; the Bochs
 *    commands (`info gdt`, `page`, `x`, `vmcs` …) arrive with inspect/commands.ts;
 *  - `evaluateNumberOf` is a small evaluator (registers, numbers, symbols, + - *, [dword]).
 */
import { readGuestLinear } from '../emulator/inspect/guest-memory';
import { guestView, type GuestView } from '../emulator/inspect/guest-view';
import { generalRegisterNodes, systemRegisterNodes } from '../emulator/inspect/registers-scope';
import { descriptorTableNodes, segmentNodes } from '../emulator/inspect/segments-scope';
import { InspectError, type InspectScope } from '../emulator/inspect/tree';
import type { GuestVm } from '../emulator/vmm/guest-vm';

/** The inspection scopes of a stopped guest (see the file header for what is missing). */
export function scopesOf(vm: GuestVm): InspectScope[] {
  const view = guestView(vm);
  return [
    { name: 'General registers', presentationHint: 'registers', expensive: false, nodes: () => generalRegisterNodes(view) },
    { name: 'Segments', expensive: false, nodes: () => segmentNodes(view) },
    { name: 'Control & system registers', expensive: false, nodes: () => systemRegisterNodes(view) },
    { name: 'Descriptor tables', expensive: true, nodes: () => descriptorTableNodes(view) },
  ];
}

const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];

function register(vm: GuestVm, view: GuestView, name: string): number | undefined {
  const r = vm.cpu.regs;
  let k = REG32.indexOf(name);
  if (k >= 0) return r[k] >>> 0;
  k = REG16.indexOf(name);
  if (k >= 0) return r[k] & 0xffff;
  k = REG8.indexOf(name);
  if (k >= 0) return k < 4 ? r[k] & 0xff : (r[k - 4] >>> 8) & 0xff;
  switch (name) {
    case 'eip':
      return view.eip >>> 0;
    case 'eflags':
      return view.eflags >>> 0;
    case 'cr0':
      return view.cr0 >>> 0;
    case 'cr2':
      return view.cr2 >>> 0;
    case 'cr3':
      return view.cr3 >>> 0;
    case 'cr4':
      return view.cr4 >>> 0;
  }
  return undefined;
}

/**
 * Evaluate `text`: numbers (0x…, decimal), registers (eax … edi, ax … di, al … bh, eip,
 * eflags, cr0–cr4), symbols, `+ - *`, parentheses, `[expr]` (the guest-linear dword there).
 * @throws InspectError naming what could not be read or parsed
 */
export function evaluateNumberOf(vm: GuestVm, text: string, symbols: ReadonlyMap<string, number>): number {
  const view = guestView(vm);
  const tokens = text.match(/0x[0-9a-f]+|\d+|[A-Za-z_.$][\w.$@]*|[-+*()[\]]|\S/gi) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (t: string) => {
    if (tokens[pos] !== t) throw new InspectError(`expected '${t}' in '${text}'`);
    pos++;
  };
  const primary = (): number => {
    const t = tokens[pos++];
    if (t === undefined) throw new InspectError(`'${text}' ends too early`);
    if (t === '(') {
      const v = sum();
      expect(')');
      return v;
    }
    if (t === '[') {
      const a = sum() >>> 0;
      expect(']');
      const r = readGuestLinear(vm, a, 4);
      if (r.unreadable.length > 0) throw new InspectError(`cannot read the dword at linear 0x${a.toString(16)}: ${r.unreadable[0].reason}`);
      return (r.bytes[0] | (r.bytes[1] << 8) | (r.bytes[2] << 16) | (r.bytes[3] << 24)) >>> 0;
    }
    if (t === '-') return -primary();
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(t);
    const reg = register(vm, view, t.toLowerCase());
    if (reg !== undefined) return reg;
    const sym = symbols.get(t);
    if (sym !== undefined) return sym;
    throw new InspectError(`unknown name '${t}' (not a register or a symbol of the program)`);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === '*') {
      pos++;
      v = Math.imul(v, primary());
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++];
      v = op === '+' ? v + product() : v - product();
    }
    return v;
  };
  if (tokens.length === 0) throw new InspectError('empty expression');
  const v = sum();
  if (pos !== tokens.length) throw new InspectError(`unexpected '${tokens[pos]}' in '${text}'`);
  return v >>> 0;
}

/** Debug-console text for `line` (see the file header for what is missing). */
export function evaluateCommandText(vm: GuestVm, line: string, symbols: ReadonlyMap<string, number>): string {
  const t = line.trim();
  if (t === 'help' || t === '') {
    return 'Type an expression (eax+4, [esp], stack_top) to see its value. The Bochs-style commands (info gdt|idt|ldt|tss|tab, sreg, creg, page, x, xp, vmcs, exits) come with emulator/inspect/commands.ts, not there yet.';
  }
  const v = evaluateNumberOf(vm, t, symbols);
  return `0x${v.toString(16).padStart(8, '0')} (${v})`;
}
