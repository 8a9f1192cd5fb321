/**
 * The "Segments" and "Descriptor tables" scopes.
 *
 * Segments: for ES, CS, SS, DS, FS, GS, LDTR and TR — the selector (index, TI, RPL), the
 * hidden descriptor cache (base, limit, type, S, DPL, P, D/B, G, AVL) and the descriptor the
 * selector names in the GDT or LDT now, decoded the same way. `differs` marks a register
 * whose cache is not what loading its selector again would give (SDM Vol. 3A §3.4.3: the
 * cache is loaded only by a segment load; a descriptor rewritten afterwards leaves it stale,
 * and SDM Vol. 3C §25.4.1 names this inconsistency as why the VMCS holds the caches). Under
 * a VMM the comparison is with what the VMM's load would give (guest-view.ts
 * `expectedCache`: ring compression), so only real staleness is marked. In real-address and
 * virtual-8086 mode the comparison is with base = selector × 16, limit 0xFFFF ("unreal
 * mode" limits and the reset CS base show as differences, as they are hidden state).
 *
 * Descriptor tables: GDT, LDT and IDT entries inside their limits, decoded (Bochs' text), read
 * through the guest's page tables only when expanded.
 *
 * @see Intel SDM Vol. 3A §3.4 "Logical and Linear Addresses", §3.5 "System Descriptor Types",
 *      §6.10 "Interrupt Descriptor Table".
 */
import { AR_S, AR_UNUSABLE, decodeDescriptor, decodeGate } from '../arch/segments';
import { SELECTOR_FIELDS } from './bit-fields';
import { cacheFieldNodes, compareCache, describeCache, describeDescriptor, readTableEntry, tableEntries, tableRegister, type TableName } from './descriptors';
import { bitNodes, hex, hex16 } from './format';
import { memoryReference } from './guest-memory';
import type { GuestView, SegmentState } from './guest-view';
import type { InspectNode } from './tree';

function segmentNode(view: GuestView, s: SegmentState): InspectNode {
  const cmp = compareCache(view, s.name, s);
  const differs = cmp.differences.length > 0;
  const noteVmm = view.mode.cacheNote && s.name !== 'LDTR' && s.name !== 'TR' && s.ar & AR_S ? ` — ${view.mode.cacheNote}` : '';
  const summary = describeCache(s);
  const node: InspectNode = {
    name: s.name,
    value: `${hex16(s.selector)} ${summary}${differs ? ` [differs from memory: ${cmp.differences.join(', ')}]` : ''}`,
    type: 'segment register',
    children: () => {
      const memory: InspectNode = {
        name: 'descriptor in memory',
        value: cmp.unknown ? `unknown: ${cmp.unknown}` : cmp.label,
        type: cmp.entry ? 'descriptor' : 'none',
      };
      if (cmp.entry) {
        const e = cmp.entry;
        memory.memoryReference = memoryReference('lin', e.address);
        memory.children = () => [
          { name: 'raw', value: `hi=${hex(e.hi)}, lo=${hex(e.lo)}`, type: 'u64' },
          { name: 'address', value: hex(e.address), type: 'u32 (linear)', memoryReference: memoryReference('lin', e.address) },
          ...cacheFieldNodes(decodeDescriptor(e.lo, e.hi)),
        ];
      }
      if (differs) memory.differs = true;
      const children: InspectNode[] = [
        { name: 'selector', value: hex16(s.selector), type: 'selector', children: () => bitNodes(s.selector, SELECTOR_FIELDS) },
        {
          name: 'hidden cache',
          value: `${summary}${noteVmm}`,
          type: 'descriptor cache',
          ...(differs ? { differs: true } : {}),
          children: () => (s.ar & AR_UNUSABLE ? [] : cacheFieldNodes(s, cmp.expected ?? undefined)),
        },
        memory,
      ];
      if (cmp.expected && cmp.descriptor && differs && view.mode.cacheNote) {
        children.push({ name: 'a load now would give', value: describeCache(cmp.expected), type: 'descriptor cache', children: () => cacheFieldNodes(cmp.expected!) });
      }
      return children;
    },
  };
  if (differs) node.differs = true;
  return node;
}

/** The "Segments" nodes: ES, CS, SS, DS, FS, GS, LDTR, TR. */
export function segmentNodes(view: GuestView): InspectNode[] {
  return view.segments.map((s) => segmentNode(view, s));
}

/** Entries of one descriptor table, as nodes named 'GDT[5] 0x28' (index, then selector: TI = 1 for the LDT) and 'IDT[14] 0x0e' (index, then vector in hex). */
function tableEntryNodes(view: GuestView, table: TableName): InspectNode[] {
  const count = tableEntries(view, table);
  const nodes: InspectNode[] = [];
  for (let index = 0; index < count; index++) {
    const e = readTableEntry(view, table, index);
    const name = table === 'IDT' ? `IDT[${index}] ${hex(index, 2)}` : `${table}[${index}] ${hex(index * 8 + (table === 'LDT' ? 4 : 0), 2)}`;
    if (!e.ok) {
      nodes.push({ name, value: `<${e.reason}>`, type: 'error' });
      continue;
    }
    const node: InspectNode = {
      name,
      value: describeDescriptor(e.lo, e.hi),
      type: 'descriptor',
      memoryReference: memoryReference('lin', e.address),
      children: () => {
        const raw: InspectNode = { name: 'raw', value: `hi=${hex(e.hi)}, lo=${hex(e.lo)}`, type: 'u64' };
        const d = decodeDescriptor(e.lo, e.hi);
        const isGate = !(d.ar & AR_S) && [4, 5, 6, 7, 12, 14, 15].includes(d.ar & 0xf);
        if (!isGate) return [raw, ...cacheFieldNodes(d)];
        const g = decodeGate(e.lo, e.hi);
        return [
          raw,
          { name: 'selector', value: hex16(g.selector), type: 'selector', children: () => bitNodes(g.selector, SELECTOR_FIELDS) },
          { name: 'offset', value: hex(g.offset), type: 'u32', memoryReference: memoryReference('lin', g.offset) },
          { name: 'type', value: `${g.ar & 0xf} (${hex(g.ar & 0xf, 1)})`, type: '4-bit field' },
          { name: 'DPL', value: String((g.ar >>> 5) & 3), type: '2-bit field' },
          { name: 'P', value: String((g.ar >>> 7) & 1), type: 'bit' },
          ...((d.ar & 0xf) === 4 || (d.ar & 0xf) === 12 ? [{ name: 'parameter count', value: String(g.paramCount), type: '5-bit field' }] : []),
        ];
      },
    };
    nodes.push(node);
  }
  return nodes;
}

/** The "Descriptor tables" nodes: GDT, LDT, IDT, each expanding (lazily) into its entries. */
export function descriptorTableNodes(view: GuestView): InspectNode[] {
  return (['GDT', 'LDT', 'IDT'] as const).map((table) => {
    const t = tableRegister(view, table);
    const count = tableEntries(view, table);
    const value = t.usable ? `base=${hex(t.base)}, limit=${hex(t.limit, 4)}, ${count} entries` : 'none loaded (LDTR is null)';
    const node: InspectNode = { name: table, value, type: 'descriptor table' };
    if (t.usable) {
      node.memoryReference = memoryReference('lin', t.base);
      node.children = () => tableEntryNodes(view, table);
    }
    return node;
  });
}
