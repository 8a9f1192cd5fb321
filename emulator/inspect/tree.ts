/**
 * The inspection tree: what a debugger shows about a stopped guest, as a
 * tree of named values, independent of any debugger protocol.
 *
 * emulator/inspect/scopes.ts builds these trees from a GuestVm (registers,
 * segments, control registers, descriptor tables, paging, VMCS, VM exits);
 * the debug adapter (debug-adapter/) maps them onto DAP `Scope` and
 * `Variable` objects and answers `setVariable` through `set`. Nothing here
 * imports `vscode` or a DAP library.
 */

/** One node of an inspection tree (a register, a bit field, a descriptor, a page-table entry …). */
export interface InspectNode {
  /** Display name: 'EAX', 'CR0', 'PG', 'GDT[5] 0x28', 'PDE 0x100 → 0x40000000'. Unique among siblings (stable handles are built from name paths). */
  name: string;
  /** Display value, hex where numeric ('0x00100234'), or a summary for a group. */
  value: string;
  /** Short type text for DAP's Variable.type: 'u32', 'bit', 'descriptor', 'selector' … */
  type?: string;
  /** True when this node shows a difference the user should notice (hidden cache ≠ descriptor in memory, guest PTE ≠ shadow PTE). */
  differs?: boolean;
  /** Children, computed lazily (descriptor tables and page tables are loaded only when expanded). */
  children?: () => InspectNode[];
  /** Present when the value can be written (setVariable): parses `text` (hex 0x…, decimal, or a flag 0/1), writes it to the guest, returns the new display value; throws InspectError with a clear message on bad input. */
  set?: (text: string) => string;
  /** A guest address the node refers to, for DAP memoryReference (e.g. 'lin:0x00100000' / 'phys:0x00001000'). */
  memoryReference?: string;
}

/** One top-level group of nodes (a DAP Scope): 'General registers', 'Segments', 'Paging', 'VMCS' … */
export interface InspectScope {
  name: string;
  presentationHint?: 'registers' | 'locals';
  /** True when computing `nodes()` walks guest memory (descriptor tables, page tables) — DAP Scope.expensive. */
  expensive: boolean;
  nodes: () => InspectNode[];
}

/** Bad input to an inspection call (unparsable value, unknown command or register, unreadable address); the message names the problem. */
export class InspectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectError';
  }
}
