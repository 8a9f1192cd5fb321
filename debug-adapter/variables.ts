/**
 * `scopes`, `variables`, `setVariable` over emulator/inspect's trees (scopes.ts: general
 * registers, segments, control registers, descriptor tables, paging, VMCS, VM exits).
 *
 * Handles are stable across stops (CodeLLDB's handle tree): a handle stands for the path
 * "thread/scope/name/name/…" and the same path always gets the same number, never reused for
 * another path, so VS Code keeps expanded nodes expanded from one stop to the next. The trees
 * are rebuilt lazily at each stop (`invalidate`): a handle is resolved by walking its path
 * from the scope's fresh nodes.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { scopesOf as inspectScopes } from './inspect-bridge';
import type { InspectNode, InspectScope } from '../emulator/inspect/tree';
import type { InspectResponseBody } from './protocol';
import { AdapterError } from './errors';
import type { Target } from './launch';

interface HandlePath {
  threadId: number;
  scope: string;
  path: string[];
}

/**
 * DAP `variablesReference` handles over the inspection trees of each thread (see the file
 * header). Errors: AdapterError for an unknown handle, scope or a path gone at this stop.
 */
export class Variables {
  private readonly ids = new Map<string, number>();
  private readonly paths = new Map<number, HandlePath>();
  private nextId = 1;
  /** Per stop: thread → its scopes; key → children already computed. */
  private scopeCache = new Map<number, InspectScope[]>();
  private nodeCache = new Map<number, InspectNode[]>();

  constructor(private readonly target: (threadId: number) => Target) {}

  /** Forget the trees of the last stop (handles stay). */
  invalidate(): void {
    this.scopeCache.clear();
    this.nodeCache.clear();
  }

  private handle(p: HandlePath): number {
    const key = `${p.threadId}\u0000${p.scope}\u0000${p.path.join('\u0000')}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(key, id);
      this.paths.set(id, p);
    }
    return id;
  }

  /** The inspection scopes of a thread at this stop. */
  inspectScopes(threadId: number): InspectScope[] {
    let s = this.scopeCache.get(threadId);
    if (!s) {
      s = inspectScopes(this.target(threadId).vm);
      this.scopeCache.set(threadId, s);
    }
    return s;
  }

  /** Answer `scopes` for a thread's (only) frame: one DAP scope per inspection scope. */
  scopes(threadId: number): DebugProtocol.Scope[] {
    return this.inspectScopes(threadId).map((s) => ({
      name: s.name,
      presentationHint: s.presentationHint,
      expensive: s.expensive,
      variablesReference: this.handle({ threadId, scope: s.name, path: [] }),
    }));
  }

  /** The nodes under a path. @throws AdapterError when the path no longer exists */
  nodesAt(threadId: number, scope: string, path: readonly string[]): InspectNode[] {
    const s = this.inspectScopes(threadId).find((x) => x.name === scope);
    if (!s) throw new AdapterError(`no scope '${scope}' in thread ${threadId}${this.target(threadId).vm.monitor ? '' : ' (VMCS and VM exits exist only under a VMM)'}`);
    let nodes = s.nodes();
    for (const name of path) {
      const n = nodes.find((x) => x.name === name);
      if (!n || !n.children) throw new AdapterError(`'${[scope, ...path].join(' › ')}' no longer exists at this stop`);
      nodes = n.children();
    }
    return nodes;
  }

  private resolve(ref: number): { p: HandlePath; nodes: InspectNode[] } {
    const p = this.paths.get(ref);
    if (!p) throw new AdapterError(`unknown variablesReference ${ref}`);
    let nodes = this.nodeCache.get(ref);
    if (!nodes) {
      nodes = this.nodesAt(p.threadId, p.scope, p.path);
      this.nodeCache.set(ref, nodes);
    }
    return { p, nodes };
  }

  /** Answer `variables` (paged by `start`/`count`). @throws AdapterError for an unknown or stale handle */
  variables(args: DebugProtocol.VariablesArguments): DebugProtocol.Variable[] {
    const { p, nodes } = this.resolve(args.variablesReference);
    const start = args.start ?? 0;
    const slice = args.count ? nodes.slice(start, start + args.count) : nodes.slice(start);
    return slice.map((n) => this.variable(p, n));
  }

  private variable(p: HandlePath, n: InspectNode): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = {
      name: n.name,
      value: n.differs ? `${n.value} ≠` : n.value,
      type: n.type,
      variablesReference: n.children ? this.handle({ ...p, path: [...p.path, n.name] }) : 0,
      memoryReference: n.memoryReference,
    };
    // A value that differs from its counterpart (hidden cache vs descriptor, guest vs shadow
    // entry) is marked with '≠' in the value: DAP's VariablePresentationHint has no kind or
    // attribute for "differs" ('virtual' means a synthetic row, which these are not). What
    // does fit: 'readOnly' for nodes setVariable cannot write.
    v.presentationHint = { kind: 'property', attributes: n.set ? [] : ['readOnly'] };
    return v;
  }

  /** `setVariable`: the node's own parser and writer (InspectError names bad input). */
  setVariable(args: DebugProtocol.SetVariableArguments): DebugProtocol.SetVariableResponse['body'] {
    const { p, nodes } = this.resolve(args.variablesReference);
    const n = nodes.find((x) => x.name === args.name);
    if (!n) throw new AdapterError(`setVariable: no '${args.name}' here`);
    if (!n.set) throw new AdapterError(`setVariable: ${args.name} is read-only`);
    let value: string;
    try {
      value = n.set(args.value);
    } catch (e) {
      throw new AdapterError(`setVariable ${args.name}: ${(e as Error).message}`);
    }
    this.invalidate();
    return { value, variablesReference: n.children ? this.handle({ ...p, path: [...p.path, n.name] }) : 0 };
  }

  /** `vanderpool/inspect`: the nodes of a scope at a path, in the contract's shape. */
  inspect(threadId: number, scope: string, path: readonly string[]): InspectResponseBody {
    return {
      nodes: this.nodesAt(threadId, scope, path).map((n) => ({ name: n.name, value: n.value, type: n.type, differs: n.differs, hasChildren: !!n.children, memoryReference: n.memoryReference })),
    };
  }
}
