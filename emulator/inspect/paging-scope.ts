/**
 * The "Paging" scope: the guest's page directory → present PDEs → present PTEs, loaded as
 * they are expanded, and under a VMM whose host runs on shadow page tables, the shadow tables
 * beside them.
 *
 * What counts as a difference between a shadow entry and the guest's (the `differs` marker):
 * the shadow is the VMM's cache of the guest's translation (guest-virtual → host-physical;
 * guest RAM is host-physical from 0), filled on demand, so
 *  - a shadow PTE that is not present is NEVER a difference (not filled yet, or dropped);
 *  - a present shadow PTE differs when it maps a linear page the guest's tables do not map,
 *    or maps another frame than the guest's walk gives, or grants an access the guest's
 *    entries deny: U/S = 1 where the guest's effective U/S (PDE AND PTE) is 0 (not compared
 *    under 0/3/3 while the guest kernel runs at host CPL 3, whose shadow must map supervisor
 *    pages user-accessible), or R/W = 1 where the guest's effective R/W is 0 — except the
 *    guest CR0.WP = 0 case, where a supervisor-only writable shadow entry is what the guest's
 *    MMU would allow (SDM Vol. 3A §4.6.1);
 *  - a shadow that is STRICTER than the guest (R/W = 0 while the guest's D flag is clear or
 *    the page holds a guest paging structure; U/S = 0 after a WP = 0 supervisor write) is
 *    the VMM's tracing, not a difference: it is named in the value;
 *  - a shadow PTE mapping a host frame at or above the guest's RAM limit is the VMM's own
 *    mapping of its area, not a difference.
 * A guest PDE or PTE is marked when a shadow entry for its range differs.
 *
 * @see Intel SDM Vol. 3A §4.3 "32-Bit Paging", §4.6 "Access Rights"; Adams & Agesen,
 *      ASPLOS 2006, §3.2 (shadow page tables as a cache of the guest's).
 */
import { CR0_PG, CR0_WP, CR4_PSE } from '../arch/control-registers';
import { PTE_P, PTE_PS, PTE_RW, PTE_US } from '../arch/paging';
import { PDE_FIELDS, PTE_FIELDS } from './bit-fields';
import { bitNodes, hex, setFlagNames } from './format';
import { memoryReference, walk, type GuestTranslation } from './guest-memory';
import type { GuestView } from './guest-view';
import type { InspectNode } from './tree';

/** The verdict on one present shadow PTE (see the file header). */
export interface ShadowJudgement {
  differs: boolean;
  note: string;
}

type GuestWalk = Omit<GuestTranslation, 'shadow'>;

/** Judge the present shadow PTE `spte` for the linear page the guest's walk `g` describes (see the file header). */
export function judgeShadowEntry(view: GuestView, g: GuestWalk, spte: number): ShadowJudgement {
  const frame = (spte & -4096) >>> 0;
  if (frame >= view.ramLimit) return { differs: false, note: "the VMM's own mapping of its area" };
  if (g.physical === null) return { differs: true, note: `maps a page the guest's tables do not (${g.fault ?? 'not mapped'})` };
  const gframe = (g.physical & -4096) >>> 0;
  if (frame !== gframe) return { differs: true, note: `maps frame ${hex(frame)}, the guest's entry gives ${hex(gframe)}` };
  const sUs = (spte & PTE_US) !== 0;
  const sRw = (spte & PTE_RW) !== 0;
  if (sUs && !g.user && view.mode.shadowUserBitCompared()) return { differs: true, note: "allows user access the guest's entries deny (U/S)" };
  const wp0 = !(view.cr0 & CR0_WP);
  if (sRw && !g.writable && !(wp0 && !sUs)) return { differs: true, note: "allows writes the guest's entries deny (R/W)" };
  const notes: string[] = [];
  if (g.writable && !sRw) notes.push('write-protected by the VMM (dirty-bit tracing or a guest paging structure)');
  if (sRw && !g.writable) notes.push('writable for the supervisor only: the guest has CR0.WP = 0');
  if (g.user && !sUs && view.mode.shadowUserBitCompared()) notes.push('supervisor-only in the shadow');
  return { differs: false, note: notes.length ? notes.join('; ') : "agrees with the guest's entry" };
}

const flagsOf = (v: number, fields: typeof PTE_FIELDS): string => `(${setFlagNames(v, fields)})`;

/** The host-physical address of the shadow page directory, or null. */
function shadowDirectory(view: GuestView): number | null {
  return view.vm.monitor?.shadowPageDirectory() ?? null;
}

/** Verdicts for the present shadow PTEs under shadow PDE `k` (empty when there is no shadow or the PDE is not present). */
function shadowTableVerdicts(view: GuestView, k: number): Map<number, { spte: number; verdict: ShadowJudgement }> {
  const out = new Map<number, { spte: number; verdict: ShadowJudgement }>();
  const dir = shadowDirectory(view);
  if (dir === null) return out;
  const mem = view.vm.memory;
  const spde = mem.read32(dir + k * 4);
  if (!(spde & PTE_P)) return out;
  const pt = (spde & -4096) >>> 0;
  for (let i = 0; i < 1024; i++) {
    const spte = mem.read32(pt + i * 4) >>> 0;
    if (!(spte & PTE_P)) continue;
    out.set(i, { spte, verdict: judgeShadowEntry(view, walk(view, ((k << 22) | (i << 12)) >>> 0), spte) });
  }
  return out;
}

const linearOf = (k: number, i = 0): number => ((k << 22) | (i << 12)) >>> 0;
const pdeName = (k: number): string => `PDE ${hex(k, 3)} → ${hex(linearOf(k))}`;
const pteName = (k: number, i: number): string => `PTE ${hex(i, 3)} → ${hex(linearOf(k, i))}`;

function shadowPteNode(name: string, entry: { spte: number; verdict: ShadowJudgement } | undefined): InspectNode {
  if (!entry) return { name, value: 'not filled (the VMM fills it on the first access)', type: 'shadow PTE' };
  const { spte, verdict } = entry;
  const node: InspectNode = {
    name,
    value: `${hex(spte)} → host ${hex(spte & -4096)} ${flagsOf(spte, PTE_FIELDS)} — ${verdict.note}`,
    type: 'shadow PTE',
    children: () => bitNodes(spte, PTE_FIELDS),
  };
  if (verdict.differs) node.differs = true;
  return node;
}

/** The guest's PTE nodes of the page table under guest PDE `k` (present ones, and absent ones a shadow entry maps). */
function guestPteNodes(view: GuestView, k: number, pde: number, verdicts: ReturnType<typeof shadowTableVerdicts>, withShadow: boolean): InspectNode[] {
  const mem = view.vm.memory;
  const pt = (pde & -4096) >>> 0;
  const nodes: InspectNode[] = [];
  if (pt >= view.ramLimit) return [{ name: 'page table', value: `<the page table at ${hex(pt)} lies beyond guest RAM>`, type: 'error' }];
  for (let i = 0; i < 1024; i++) {
    const address = pt + i * 4;
    const pte = mem.read32(address) >>> 0;
    const s = verdicts.get(i);
    if (!(pte & PTE_P) && !s) continue;
    const node: InspectNode = {
      name: pteName(k, i),
      value: pte & PTE_P ? `${hex(pte)} → ${hex(pte & -4096)} ${flagsOf(pte, PTE_FIELDS)}` : `${hex(pte)} not present`,
      type: 'PTE',
      memoryReference: memoryReference('phys', address),
      children: () => [
        { name: 'flags', value: setFlagNames(pte, PTE_FIELDS), type: 'flags', children: () => bitNodes(pte, PTE_FIELDS) },
        ...(pte & PTE_P ? [{ name: 'page', value: hex(pte & -4096), type: 'u32 (guest-physical)', memoryReference: memoryReference('phys', pte & -4096) }] : []),
        ...(withShadow ? [shadowPteNode('shadow PTE', s)] : []),
      ],
    };
    if (s?.verdict.differs) node.differs = true;
    nodes.push(node);
  }
  return nodes;
}

/** The guest page directory's nodes: present PDEs (and absent ones under which a shadow entry differs). */
function guestPdeNodes(view: GuestView): InspectNode[] {
  const mem = view.vm.memory;
  const pd = (view.cr3 & -4096) >>> 0;
  if (pd >= view.ramLimit) return [{ name: 'page directory', value: `<the page directory at ${hex(pd)} lies beyond guest RAM>`, type: 'error' }];
  const withShadow = shadowDirectory(view) !== null;
  const nodes: InspectNode[] = [];
  for (let k = 0; k < 1024; k++) {
    const address = pd + k * 4;
    const pde = mem.read32(address) >>> 0;
    const verdicts = withShadow ? shadowTableVerdicts(view, k) : new Map();
    const anyDiffers = [...verdicts.values()].some((v) => v.verdict.differs);
    if (!(pde & PTE_P) && !anyDiffers) continue;
    const large = (pde & PTE_PS) !== 0 && (view.cr4 & CR4_PSE) !== 0;
    let value: string;
    if (!(pde & PTE_P)) value = `${hex(pde)} not present`;
    else if (large) value = `${hex(pde)} → 4-MiB page ${hex(pde & 0xffc00000)} ${flagsOf(pde, PDE_FIELDS)}`;
    else value = `${hex(pde)} → page table ${hex(pde & -4096)} ${flagsOf(pde, PDE_FIELDS)}`;
    const node: InspectNode = {
      name: pdeName(k),
      value,
      type: large ? 'PDE (4-MiB page)' : 'PDE',
      memoryReference: memoryReference('phys', address),
      children: () => {
        const flags: InspectNode = { name: 'flags', value: setFlagNames(pde, PDE_FIELDS), type: 'flags', children: () => bitNodes(pde, PDE_FIELDS) };
        if (!(pde & PTE_P) || large) {
          const shadow = [...verdicts.entries()].map(([i, e]) => shadowPteNode(`shadow PTE ${hex(i, 3)} → ${hex(linearOf(k, i))}`, e));
          return [flags, ...shadow];
        }
        return [flags, ...guestPteNodes(view, k, pde, verdicts, withShadow)];
      },
    };
    if (anyDiffers) node.differs = true;
    nodes.push(node);
  }
  return nodes;
}

/** The guest's view of one linear page, for a shadow PTE's 'guest entry' child. */
function guestEntryText(g: GuestWalk): string {
  if (!g.paging) return `no guest paging: guest-physical ${hex(g.linear & -4096)}`;
  if (g.physical === null) return `not mapped: ${g.fault}`;
  const e = g.large ? g.pde! : g.pte!;
  return `${hex(e.value)} → ${hex(g.physical & -4096)} (${g.writable ? 'RW' : 'R'} ${g.user ? 'US' : 'S'} effective)`;
}

/** The shadow page directory's nodes: present shadow PDEs → present shadow PTEs, each judged against the guest's walk. */
function shadowPdeNodes(view: GuestView, dir: number): InspectNode[] {
  const mem = view.vm.memory;
  const nodes: InspectNode[] = [];
  for (let k = 0; k < 1024; k++) {
    const spde = mem.read32(dir + k * 4) >>> 0;
    if (!(spde & PTE_P)) continue;
    const verdicts = shadowTableVerdicts(view, k);
    const differing = [...verdicts.values()].filter((v) => v.verdict.differs).length;
    const node: InspectNode = {
      name: pdeName(k),
      value: `${hex(spde)} → shadow page table ${hex(spde & -4096)} ${flagsOf(spde, PDE_FIELDS)}: ${verdicts.size} present${differing ? `, ${differing} differ` : ''}`,
      type: 'shadow PDE',
      children: () => [
        { name: 'flags', value: setFlagNames(spde, PDE_FIELDS), type: 'flags', children: () => bitNodes(spde, PDE_FIELDS) },
        ...[...verdicts.entries()].map(([i, e]) => {
          const n = shadowPteNode(pteName(k, i), e);
          const inner = n.children!;
          n.children = () => [...inner(), { name: 'guest entry', value: guestEntryText(walk(view, linearOf(k, i))), type: 'guest walk' }];
          return n;
        }),
      ],
    };
    if (differing) node.differs = true;
    nodes.push(node);
  }
  return nodes;
}

/** The "Paging" nodes (see the file header). */
export function pagingNodes(view: GuestView): InspectNode[] {
  const paging = (view.cr0 & CR0_PG) !== 0;
  const pd = (view.cr3 & -4096) >>> 0;
  const nodes: InspectNode[] = [
    {
      name: 'paging',
      value: paging ? `on (CR0.PG = 1, CR4.PSE = ${view.cr4 & CR4_PSE ? 1 : 0}, CR0.WP = ${view.cr0 & CR0_WP ? 1 : 0})` : 'off (CR0.PG = 0): linear = guest-physical',
      type: 'mode',
    },
    { name: 'CR3', value: hex(view.cr3), type: 'u32', memoryReference: memoryReference('phys', pd) },
  ];
  if (paging) {
    const present = pd < view.ramLimit ? countPresent(view, pd) : 0;
    nodes.push({ name: 'page directory', value: `${hex(pd)}: ${present} present entries`, type: 'page directory', memoryReference: memoryReference('phys', pd), children: () => guestPdeNodes(view) });
  }
  const dir = shadowDirectory(view);
  if (dir !== null) {
    nodes.push({
      name: 'shadow page directory',
      value: `host-physical ${hex(dir)} (the host CR3): ${countPresent(view, dir)} present entries`,
      type: 'shadow page directory',
      children: () => shadowPdeNodes(view, dir),
    });
  } else if (view.vm.monitor) {
    nodes.push({ name: 'shadow page directory', value: 'none: the host runs this guest without paging', type: 'shadow page directory' });
  }
  return nodes;
}

function countPresent(view: GuestView, table: number): number {
  let n = 0;
  for (let k = 0; k < 1024; k++) if (view.vm.memory.read32(table + k * 4) & PTE_P) n++;
  return n;
}
