/**
 * `scopes(vm)`: what a debugger shows about a stopped guest, as DAP-shaped scopes of
 * inspection trees (tree.ts), in this order:
 *
 *   General registers            EAX..EDI, EIP, EFLAGS with its flags (writable)
 *   Segments                     ES..GS, LDTR, TR: selector, hidden cache, descriptor in memory, `differs`
 *   Control & system registers   CR0–CR4 with their bits, CPL, GDTR, IDTR, LDTR, TR, DR0–DR7, MSRs
 *   Descriptor tables            GDT, LDT, IDT entries decoded (lazily)
 *   Paging                       guest page directory → PDEs → PTEs; shadow tables under a VMM (lazily)
 *   VMCS                         only with a VMM: every field, by SDM area
 *   VM exits                     only with a VMM: counts per reason, the last exits
 *
 * Each scope's `nodes()` takes a fresh look at the guest (guest-view.ts), so a scope object
 * stays usable across stops; names are stable (registers, 'GDT[5] 0x28', 'PDE 0x001 →
 * 0x00400000'), so handles built from name paths survive stops too. Everything is the
 * GUEST's view: under a VMM the virtual CR0/CR3/GDTR…, guest-linear memory through the
 * guest's own page tables, without touching accessed/dirty bits or the TLB.
 */
import type { GuestVm } from '../vmm/guest-vm';
import { guestView } from './guest-view';
import { pagingNodes } from './paging-scope';
import { generalRegisterNodes, systemRegisterNodes } from './registers-scope';
import { descriptorTableNodes, segmentNodes } from './segments-scope';
import type { InspectNode, InspectScope } from './tree';
import { exitNodes, vmcsNodes, type SourceLocator } from './vmm-scopes';

/** The scope names, in order (the last two only under a VMM). */
export const SCOPE_NAMES = ['General registers', 'Segments', 'Control & system registers', 'Descriptor tables', 'Paging', 'VMCS', 'VM exits'] as const;
export type ScopeName = (typeof SCOPE_NAMES)[number];

/** Options of `scopes`. */
export interface ScopeOptions {
  /** Source location of a guest-linear address, for the VM exits scope ('kernel.asm:42'). */
  where?: SourceLocator;
}

/** The scopes for `vm` (see the file header). */
export function scopes(vm: GuestVm, options: ScopeOptions = {}): InspectScope[] {
  const out: InspectScope[] = [
    { name: 'General registers', presentationHint: 'registers', expensive: false, nodes: () => generalRegisterNodes(guestView(vm)) },
    { name: 'Segments', presentationHint: 'registers', expensive: false, nodes: () => segmentNodes(guestView(vm)) },
    { name: 'Control & system registers', presentationHint: 'registers', expensive: false, nodes: () => systemRegisterNodes(guestView(vm)) },
    { name: 'Descriptor tables', expensive: true, nodes: () => descriptorTableNodes(guestView(vm)) },
    { name: 'Paging', expensive: true, nodes: () => pagingNodes(guestView(vm)) },
  ];
  const monitor = vm.monitor;
  if (monitor) {
    out.push({ name: 'VMCS', expensive: false, nodes: () => vmcsNodes(monitor) });
    out.push({ name: 'VM exits', expensive: false, nodes: () => exitNodes(monitor, options.where) });
  }
  return out;
}

/**
 * The node at `path` (names from the scope's top level down) in scope `scope`, or undefined
 * when a name is not found — for the `vanderpool/inspect` request and for handle lookups.
 * `path` = [] gives the scope's top-level nodes' parent (undefined: use `scope.nodes()`).
 */
export function findNode(scope: InspectScope, path: readonly string[]): InspectNode | undefined {
  let nodes = scope.nodes();
  let node: InspectNode | undefined;
  for (const name of path) {
    node = nodes.find((n) => n.name === name);
    if (!node) return undefined;
    nodes = node.children?.() ?? [];
  }
  return node;
}
