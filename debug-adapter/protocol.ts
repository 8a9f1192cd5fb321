/**
 * The `vanderpool` debugger's custom DAP events and request (contracts), as names and body
 * types. The adapter (events.ts, session.ts, variables.ts) sends them; the extension's client
 * takes them from here through extension/protocol.ts (the adapter may not import extension/:
 * test/unit/layering.test.ts). No imports, so every process can use it.
 */

/** DAP event `vanderpool/exitCounts`: the FULL current table of one VM (not a delta). */
export const EXIT_COUNTS_EVENT = 'vanderpool/exitCounts';
/** One source line's exits in a `vanderpool/exitCounts` body. */
export interface ExitCountsLine {
  /** Absolute path of the source file. */
  path: string;
  /** 1-based line. */
  line: number;
  /** Exits at this line, all reasons. */
  total: number;
  /** Exits by SDM or VMM reason name ("CR_ACCESS", "HIDDEN_PAGE_FAULT"). */
  byReason: Record<string, number>;
}
/** Body of `vanderpool/exitCounts`: one VM (DAP thread) and its VMM technique. */
export interface ExitCountsBody {
  threadId: number;
  vmm: string;
  lines: ExitCountsLine[];
}

/** DAP event `vanderpool/hole`: the guest stepped into a virtualization hole. */
export const HOLE_EVENT = 'vanderpool/hole';
/** Body of `vanderpool/hole`: hole kind, mnemonic, guest-linear EIP, and the source line when known. */
export interface HoleBody {
  threadId: number;
  kind: string;
  instruction: string;
  eip: number;
  path?: string;
  line?: number;
}

/** DAP event `vanderpool/vmInfo`: once per VM after launch. */
export const VM_INFO_EVENT = 'vanderpool/vmInfo';
/** Body of `vanderpool/vmInfo` (`ringModel` null on the bare machine). */
export interface VmInfoBody {
  threadId: number;
  name: string;
  vmm: string;
  ringModel: string | null;
}

/** DAP request `vanderpool/inspect`: one level of emulator/inspect/tree.ts's node tree. */
export const INSPECT_REQUEST = 'vanderpool/inspect';
/** The inspect scopes the extension's views ask for (emulator/inspect/scopes.ts names). */
export type InspectScope = 'Paging' | 'VMCS' | 'VM exits';
/** Arguments of `vanderpool/inspect`. */
export interface InspectArguments {
  threadId: number;
  scope: InspectScope;
  /** Names of the nodes from the scope's root down to the node whose children are wanted; [] or absent for the root level. */
  path?: string[];
}
/** One node of the inspect tree, as the adapter sends it. */
export interface InspectNode {
  name: string;
  value: string;
  type?: string;
  /** The guest's view and the VMM's (e.g. guest vs shadow PTE) differ here. */
  differs?: boolean;
  hasChildren: boolean;
  memoryReference?: string;
}
/** Body of the `vanderpool/inspect` response: the children at the requested path. */
export interface InspectResponseBody {
  nodes: InspectNode[];
}
