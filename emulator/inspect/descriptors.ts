/**
 * Segment descriptors for the debugger: reading GDT/LDT/IDT entries through the guest's page
 * tables, describing them in Bochs' words, and comparing a segment register's hidden cache
 * with the descriptor in memory now.
 *
 * @see Intel SDM Vol. 3A §3.4.5 "Segment Descriptors", §3.5 "System Descriptor Types"
 *      (Table 3-2), §5.8.3 "Call Gates", §6.11 "IDT Descriptors"; the Bochs user manual,
 *      "Using Bochs internal debugger" (`info gdt`, `sreg`), for the text.
 */
import {
  AR_ACCESSED,
  AR_AVL,
  AR_CODE,
  AR_DB,
  AR_DC,
  AR_G,
  AR_P,
  AR_RW,
  AR_S,
  AR_UNUSABLE,
  arDpl,
  decodeDescriptor,
  decodeGate,
  encodeDescriptor,
} from '../arch/segments';
import { hex, hex16 } from './format';
import { readLinear } from './guest-memory';
import type { CacheValue, GuestView, SegmentName } from './guest-view';
import type { InspectNode } from './tree';

/** The descriptor tables (SDM names). */
export type TableName = 'GDT' | 'LDT' | 'IDT';

/** One table entry read from guest-linear memory, or why it could not be. */
export type TableEntry =
  | { ok: true; table: TableName; index: number; lo: number; hi: number; /** guest-linear address of the entry */ address: number }
  | { ok: false; table: TableName; index: number; reason: string; /** whether the entry lies beyond the table limit (a load would fault) */ beyondLimit: boolean };

/** The table's base and limit as the guest holds them (LDT: the LDTR cache). */
export function tableRegister(view: GuestView, table: TableName): { base: number; limit: number; usable: boolean } {
  if (table === 'GDT') return { ...view.gdtr, usable: true };
  if (table === 'IDT') return { ...view.idtr, usable: true };
  const ldtr = view.segments[6];
  return { base: ldtr.base, limit: ldtr.limit, usable: (ldtr.ar & AR_UNUSABLE) === 0 && (ldtr.selector & 0xfffc) !== 0 };
}

/** Entry `index` of a descriptor table, read through the guest's page tables without side effects. */
export function readTableEntry(view: GuestView, table: TableName, index: number): TableEntry {
  const t = tableRegister(view, table);
  if (!t.usable) return { ok: false, table, index, reason: 'no LDT is loaded (LDTR is null)', beyondLimit: true };
  if (index * 8 + 7 > t.limit) {
    return { ok: false, table, index, reason: `entry ${index} lies beyond the ${table} limit ${hex(t.limit, 4)}`, beyondLimit: true };
  }
  const address = (t.base + index * 8) >>> 0;
  const r = readLinear(view, address, 8);
  if (r.unreadable.length) return { ok: false, table, index, reason: `${table}[${index}] at linear ${hex(address)}: ${r.unreadable[0].reason}`, beyondLimit: false };
  const b = r.bytes;
  const lo = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const hi = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
  return { ok: true, table, index, lo, hi, address };
}

/** The descriptor a selector names (TI picks the GDT or LDT). */
export function readSelectorEntry(view: GuestView, selector: number): TableEntry {
  return readTableEntry(view, selector & 4 ? 'LDT' : 'GDT', selector >>> 3);
}

/** Number of entries inside a table's limit (the IDT has at most 256: SDM Vol. 3A §6.10). */
export function tableEntries(view: GuestView, table: TableName): number {
  const t = tableRegister(view, table);
  const n = t.usable ? Math.floor((t.limit + 1) / 8) : 0;
  return table === 'IDT' ? Math.min(n, 256) : n;
}

const SYSTEM_TYPE_NAMES: readonly (string | null)[] = [
  null,
  '16-Bit TSS (available)',
  'LDT',
  '16-Bit TSS (Busy)',
  '16-Bit Call Gate',
  'Task Gate',
  '16-Bit Interrupt Gate',
  '16-Bit Trap Gate',
  null,
  '32-Bit TSS (Available)',
  null,
  '32-Bit TSS (Busy)',
  '32-Bit Call Gate',
  null,
  '32-Bit Interrupt Gate',
  '32-Bit Trap Gate',
];

/** Bochs' text for a code or data segment's cache or descriptor ('Code segment, base=0x…, limit=0x…, Execute/Read, Non-Conforming, Accessed, 32-bit'). */
function describeSegment(base: number, limit: number, ar: number): string {
  const acc = ar & AR_ACCESSED ? ', Accessed' : '';
  if (ar & AR_CODE) {
    return `Code segment, base=${hex(base)}, limit=${hex(limit)}, ${ar & AR_RW ? 'Execute/Read' : 'Execute-Only'}, ${ar & AR_DC ? 'Conforming' : 'Non-Conforming'}${acc}, ${ar & AR_DB ? 32 : 16}-bit`;
  }
  return `Data segment, base=${hex(base)}, limit=${hex(limit)}, ${ar & AR_RW ? 'Read/Write' : 'Read-Only'}${ar & AR_DC ? ', Expand-down' : ''}${acc}`;
}

/**
 * Bochs' one-line description of a descriptor (`info gdt`, `info idt`), from its two dwords.
 * Additions to Bochs' text: LDT descriptors show their base and length, and a descriptor
 * with P = 0 ends in ', not present'.
 */
export function describeDescriptor(lo: number, hi: number): string {
  const d = decodeDescriptor(lo, hi);
  const np = d.ar & AR_P ? '' : ', not present';
  if (d.ar & AR_S) return describeSegment(d.base, d.limit, d.ar) + np;
  const type = d.ar & 0xf;
  const name = SYSTEM_TYPE_NAMES[type];
  if (name === null) return `??? descriptor hi=${hex(hi)}, lo=${hex(lo)}`;
  switch (type) {
    case 1:
    case 3:
    case 9:
    case 11:
    case 2:
      return `${name} at ${hex(d.base)}, length ${hex(d.limit, 5)}${np}`;
    default: {
      const g = decodeGate(lo, hi);
      return `${name} target=${hex16(g.selector)}:${hex(g.offset)}, DPL=${arDpl(g.ar)}${np}`;
    }
  }
}

/** A cache's raw limit field: in 4-KiB units when G = 1. */
const rawLimit = (c: CacheValue): number => (c.ar & AR_G ? c.limit >>> 12 : c.limit) & 0xfffff;

/** The cache as descriptor dwords (Bochs' `sreg` dh/dl). */
export function cacheDwords(c: CacheValue): { lo: number; hi: number } {
  const [lo, hi] = encodeDescriptor(c.base, rawLimit(c), c.ar & 0xf0ff);
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

/** Bochs' description of a cache, with the DPL added ('…, 32-bit, DPL=0'); 'unusable (null selector)' for an unusable one. */
export function describeCache(c: CacheValue): string {
  if (c.ar & AR_UNUSABLE) return 'unusable (null selector)';
  const { lo, hi } = cacheDwords(c);
  const text = describeDescriptor(lo, hi);
  return c.ar & AR_S ? `${text}, DPL=${arDpl(c.ar)}` : text;
}

/** The fields of a cache or descriptor the debugger shows and compares (SDM Vol. 3A Figure 3-8). */
const CACHE_FIELDS: readonly { name: string; get: (c: CacheValue) => number; fmt: (v: number) => string; type: string }[] = [
  { name: 'base', get: (c) => c.base >>> 0, fmt: (v) => hex(v), type: 'u32' },
  { name: 'limit', get: (c) => c.limit >>> 0, fmt: (v) => hex(v), type: 'u32 (bytes)' },
  // The accessed bit is left out of the comparison: a load sets it in both.
  { name: 'type', get: (c) => (c.ar & AR_S ? c.ar & 0xe : c.ar & 0xf), fmt: (v) => `${v} (${hex(v, 1)})`, type: '4-bit field' },
  { name: 'S', get: (c) => (c.ar & AR_S ? 1 : 0), fmt: (v) => `${v} (${v ? 'code or data' : 'system'})`, type: 'bit' },
  { name: 'DPL', get: (c) => arDpl(c.ar), fmt: String, type: '2-bit field' },
  { name: 'P', get: (c) => (c.ar & AR_P ? 1 : 0), fmt: String, type: 'bit' },
  { name: 'D/B', get: (c) => (c.ar & AR_DB ? 1 : 0), fmt: String, type: 'bit' },
  { name: 'G', get: (c) => (c.ar & AR_G ? 1 : 0), fmt: String, type: 'bit' },
  { name: 'AVL', get: (c) => (c.ar & AR_AVL ? 1 : 0), fmt: String, type: 'bit' },
];

/** Names of the fields where `a` and `b` differ (the accessed bit ignored). Unusable caches differ from any usable one. */
export function cacheDifferences(a: CacheValue, b: CacheValue): string[] {
  const ua = (a.ar & AR_UNUSABLE) !== 0;
  const ub = (b.ar & AR_UNUSABLE) !== 0;
  if (ua || ub) return ua === ub ? [] : ['usable'];
  return CACHE_FIELDS.filter((f) => f.get(a) !== f.get(b)).map((f) => f.name);
}

/** One node per field of `c`; with `against`, the fields that differ from it are marked `differs`. */
export function cacheFieldNodes(c: CacheValue, against?: CacheValue): InspectNode[] {
  const diff = new Set(against ? cacheDifferences(c, against) : []);
  const nodes = CACHE_FIELDS.map((f): InspectNode => {
    const node: InspectNode = { name: f.name, value: f.fmt(f.get(c)), type: f.type };
    if (diff.has(f.name)) node.differs = true;
    return node;
  });
  if (c.ar & AR_S) nodes.splice(3, 0, { name: 'accessed', value: c.ar & AR_ACCESSED ? '1' : '0', type: 'bit' });
  return nodes;
}

/** The cache a selector load gives in real-address or virtual-8086 mode: base = selector × 16, limit 0xFFFF (SDM Vol. 3A §20.1.1). */
export function realModeCache(selector: number, ar: number): CacheValue {
  return { base: (selector & 0xffff) << 4, limit: 0xffff, ar };
}

/** How the hidden cache of one segment register compares with what a load would give now. */
export interface CacheComparison {
  /** What the memory side holds: 'GDT[7] 0x38' and the descriptor, or why there is none. */
  label: string;
  /** The descriptor's decoded value (null when none could be read). */
  descriptor: CacheValue | null;
  /** The descriptor's dwords and linear address, when read. */
  entry: (TableEntry & { ok: true }) | null;
  /** The cache a load of that descriptor would give in this mode (null when none). */
  expected: CacheValue | null;
  /** Fields where the cache differs from `expected`; ['selector beyond the table'] style reasons when a reload would fault. */
  differences: string[];
  /** A reason the comparison could not be made (unreadable page), else ''. */
  unknown: string;
}

/**
 * Compare segment register `seg`'s hidden cache with the descriptor its selector names now
 * (protected mode), or with the real-mode rule (real-address and virtual-8086 mode).
 */
export function compareCache(view: GuestView, seg: SegmentName, cache: CacheValue & { selector: number }): CacheComparison {
  const realMode = !(view.cr0 & 1) || (view.eflags & (1 << 17)) !== 0;
  if (realMode && seg !== 'LDTR' && seg !== 'TR') {
    const expected = realModeCache(cache.selector, cache.ar);
    const differences = ['base', 'limit'].filter((k) => (k === 'base' ? expected.base !== cache.base : expected.limit !== cache.limit));
    return { label: `real mode: a load gives base = selector × 16 = ${hex(expected.base)}, limit 0x0000ffff`, descriptor: null, entry: null, expected, differences, unknown: '' };
  }
  const none = (label: string, differences: string[], unknown = ''): CacheComparison => ({ label, descriptor: null, entry: null, expected: null, differences, unknown });
  if ((cache.selector & 0xfffc) === 0) {
    return none('null selector: no descriptor', []);
  }
  if ((seg === 'LDTR' || seg === 'TR') && cache.selector & 4) return none(`selector ${hex16(cache.selector)} has TI = 1: ${seg} selectors index the GDT`, ['selector']);
  const e = readSelectorEntry(view, cache.selector);
  if (!e.ok) return e.beyondLimit ? none(e.reason, [`a reload faults: ${e.reason}`]) : none(e.reason, [], e.reason);
  const descriptor = decodeDescriptor(e.lo, e.hi);
  const expected = view.mode.expectedCache(seg, descriptor, cache);
  const label = `${e.table}[${e.index}] ${hex16(cache.selector & 0xfff8)}: ${describeDescriptor(e.lo, e.hi)}`;
  return { label, descriptor, entry: e, expected, differences: cacheDifferences(cache, expected), unknown: '' };
}
