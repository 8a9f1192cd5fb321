/**
 * The "General registers" and "Control & system registers" scopes: EAX..EDI, EIP and EFLAGS
 * (writable), and CR0–CR4, the CPL, GDTR, IDTR, LDTR, TR, DR0–DR7 and the MSRs this CPU
 * model implements, all as the guest sees them (guest-view.ts).
 *
 * @see Intel SDM Vol. 1 §3.4 "Basic Program Execution Registers"; Vol. 3A §2.4 "Memory-
 *      Management Registers", §2.5 "Control Registers"; Vol. 3B §18.2 "Debug Registers";
 *      Vol. 4 Table 2-2 (MSRs).
 */
import { IA32_BIOS_SIGN_ID, IA32_SYSENTER_CS, IA32_SYSENTER_EIP, IA32_SYSENTER_ESP, IA32_TIME_STAMP_COUNTER } from '../arch/msr';
import { GPR_NAMES } from '../cpu/cpu';
import { IMPLEMENTED_MSRS, msrName, readTsc } from '../cpu/msr';
import { CR0_FIELDS, CR3_FIELDS, CR4_FIELDS, DR6_FIELDS, DR7_FIELDS, EFLAGS_FIELDS } from './bit-fields';
import { bitNodes, hex, hex16, parseNumber, setFlagNames } from './format';
import { memoryReference } from './guest-memory';
import type { GuestView, SegmentState } from './guest-view';
import { describeCache } from './descriptors';
import { InspectError, type InspectNode } from './tree';

/** The 16- and 8-bit parts of each general register (SDM Vol. 1 Figure 3-5), by GPR number. */
const PARTS: readonly (readonly [name: string, shift: number, bits: number][])[] = [
  [['AX', 0, 16], ['AH', 8, 8], ['AL', 0, 8]],
  [['CX', 0, 16], ['CH', 8, 8], ['CL', 0, 8]],
  [['DX', 0, 16], ['DH', 8, 8], ['DL', 0, 8]],
  [['BX', 0, 16], ['BH', 8, 8], ['BL', 0, 8]],
  [['SP', 0, 16]],
  [['BP', 0, 16]],
  [['SI', 0, 16]],
  [['DI', 0, 16]],
];

/** Write general register `n` of the VM's processor. */
function setGpr(view: GuestView, n: number, value: number): void {
  view.vm.cpu.regs[n] = value | 0;
}

function gprNode(view: GuestView, n: number): InspectNode {
  const cpu = view.vm.cpu;
  const name = GPR_NAMES[n];
  const value = cpu.regs[n] >>> 0;
  return {
    name,
    value: hex(value),
    type: 'u32',
    set: (text) => {
      const v = parseNumber(text, name);
      setGpr(view, n, v);
      return hex(v);
    },
    children: () =>
      PARTS[n].map(([part, shift, bits]) => {
        const cur = (cpu.regs[n] >>> shift) & (bits === 16 ? 0xffff : 0xff);
        return {
          name: part,
          value: hex(cur, bits / 4),
          type: bits === 16 ? 'u16' : 'u8',
          set: (text: string) => {
            const v = parseNumber(text, part);
            const max = bits === 16 ? 0xffff : 0xff;
            if (v > max) throw new InspectError(`${part} is ${bits} bits wide: ${text} does not fit`);
            const mask = max << shift;
            setGpr(view, n, ((cpu.regs[n] & ~mask) | (v << shift)) >>> 0);
            return hex(v, bits / 4);
          },
        };
      }),
  };
}

/** Names of the EFLAGS bits set in `bits`. */
function eflagsNames(bits: number): string {
  const names = EFLAGS_FIELDS.filter((f) => ((bits >>> f.shift) & (2 ** (f.width ?? 1) - 1)) !== 0).map((f) => `EFLAGS.${f.name}`);
  return names.join(', ');
}

/**
 * Write EFLAGS from the debugger: only the bits the mode lets a debugger change (guest-view.ts
 * ModeAdapter.writableEflags; IF is the virtual IF under a VMM).
 * @throws InspectError naming the bits that cannot be written
 */
export function writeEflags(view: GuestView, value: number): number {
  const bad = (value ^ view.eflags) & ~view.mode.writableEflags & ~2;
  if (bad) {
    const why = view.vm.monitor ? 'the VMM owns them while the guest runs deprivileged' : 'they need a mode switch or are not supported by this CPU model';
    throw new InspectError(`cannot write ${eflagsNames(bad)} from the debugger: ${why}`);
  }
  view.mode.writeEflags(view.vm, value);
  view.eflags = (value | 2) >>> 0;
  return view.eflags;
}

function eflagsNode(view: GuestView): InspectNode {
  return {
    name: 'EFLAGS',
    value: `${hex(view.eflags)} (${setFlagNames(view.eflags, EFLAGS_FIELDS)})`,
    type: 'u32',
    set: (text) => {
      const v = writeEflags(view, parseNumber(text, 'EFLAGS'));
      return `${hex(v)} (${setFlagNames(v, EFLAGS_FIELDS)})`;
    },
    children: () => bitNodes(view.eflags, EFLAGS_FIELDS, (next) => writeEflags(view, next)),
  };
}

/** The "General registers" nodes: EAX..EDI, EIP, EFLAGS (all writable). */
export function generalRegisterNodes(view: GuestView): InspectNode[] {
  const cs = view.segments[1];
  const nodes = GPR_NAMES.map((_, n) => gprNode(view, n));
  nodes.push({
    name: 'EIP',
    value: hex(view.eip),
    type: 'u32',
    memoryReference: memoryReference('lin', (cs.base + view.eip) >>> 0),
    set: (text) => {
      const v = parseNumber(text, 'EIP');
      view.vm.cpu.eip = v;
      view.vm.cpu.breakBlock = true;
      view.eip = v;
      return hex(v);
    },
  });
  nodes.push(eflagsNode(view));
  return nodes;
}

function tableRegisterNode(name: string, t: { base: number; limit: number }): InspectNode {
  return {
    name,
    value: `base=${hex(t.base)}, limit=${hex(t.limit, 4)}`,
    type: 'table register',
    memoryReference: memoryReference('lin', t.base),
    children: () => [
      { name: 'base', value: hex(t.base), type: 'u32 (linear)', memoryReference: memoryReference('lin', t.base) },
      { name: 'limit', value: hex(t.limit, 4), type: 'u16' },
    ],
  };
}

function systemSegmentNode(s: SegmentState): InspectNode {
  return {
    name: s.name,
    value: `${hex16(s.selector)} (${describeCache(s)})`,
    type: 'selector',
    children: () => [
      { name: 'selector', value: hex16(s.selector), type: 'selector' },
      { name: 'base', value: hex(s.base), type: 'u32 (linear)', memoryReference: memoryReference('lin', s.base) },
      { name: 'limit', value: hex(s.limit), type: 'u32 (bytes)' },
    ],
  };
}

/** The MSRs this model implements (cpu/msr.ts IMPLEMENTED_MSRS), with the guest's values. */
function msrNodes(view: GuestView): InspectNode[] {
  return IMPLEMENTED_MSRS.map((index) => {
    let value: string;
    switch (index) {
      case IA32_TIME_STAMP_COUNTER: {
        const tsc = readTsc(view.vm.cpu);
        value = `0x${tsc.toString(16).padStart(16, '0')}`;
        break;
      }
      case IA32_BIOS_SIGN_ID:
        value = hex(0, 16);
        break;
      case IA32_SYSENTER_CS:
        value = hex(view.sysenterCs);
        break;
      case IA32_SYSENTER_ESP:
        value = hex(view.sysenterEsp);
        break;
      case IA32_SYSENTER_EIP:
        value = hex(view.sysenterEip);
        break;
      default:
        value = '(not shown)';
    }
    return { name: msrName(index), value, type: `MSR ${hex(index, 3)}` };
  });
}

/** The "Control & system registers" nodes (read-only). */
export function systemRegisterNodes(view: GuestView): InspectNode[] {
  const crNode = (name: string, value: number, fields: typeof CR0_FIELDS): InspectNode => ({
    name,
    value: `${hex(value)} (${setFlagNames(value, fields)})`,
    type: 'u32',
    children: () => bitNodes(value, fields),
  });
  const pdb = (view.cr3 & -4096) >>> 0;
  const cplNote = view.hostCpl !== view.cpl ? ` (host CPL ${view.hostCpl}: ring compression)` : '';
  return [
    crNode('CR0', view.cr0, CR0_FIELDS),
    { name: 'CR2', value: hex(view.cr2), type: 'u32 (linear: last page-fault address)', memoryReference: memoryReference('lin', view.cr2) },
    {
      name: 'CR3',
      value: `${hex(view.cr3)} (page directory ${hex(pdb)})`,
      type: 'u32',
      memoryReference: memoryReference('phys', pdb),
      children: () => [{ name: 'page directory base', value: hex(pdb), type: 'u32 (guest-physical)', memoryReference: memoryReference('phys', pdb) }, ...bitNodes(view.cr3, CR3_FIELDS)],
    },
    crNode('CR4', view.cr4, CR4_FIELDS),
    { name: 'CPL', value: `${view.cpl}${cplNote}`, type: '2-bit field' },
    tableRegisterNode('GDTR', view.gdtr),
    tableRegisterNode('IDTR', view.idtr),
    systemSegmentNode(view.segments[6]),
    systemSegmentNode(view.segments[7]),
    ...view.dr.map((v, n): InspectNode => {
      const node: InspectNode = { name: `DR${n}`, value: hex(v), type: 'u32' };
      if (n === 6) node.children = () => bitNodes(v, DR6_FIELDS);
      if (n === 7) node.children = () => bitNodes(v, DR7_FIELDS);
      if (n < 4) node.memoryReference = memoryReference('lin', v);
      return node;
    }),
    { name: 'MSRs', value: `${IMPLEMENTED_MSRS.length} implemented`, type: 'group', children: () => msrNodes(view) },
  ];
}
