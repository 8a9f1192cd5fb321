/**
 * Source, function and instruction breakpoints (DAP setBreakpoints, setFunctionBreakpoints,
 * setInstructionBreakpoints), and the check made when the guest reaches one: condition,
 * hit count, logpoint.
 *
 * Every kind becomes a guest-linear address handed to the VM's code cache
 * (`GuestVm.setBreakpoints` → executor.ts CodeCache: the address ends a compiled block and
 * its instruction is replaced by a stub), so the guest pays nothing per instruction; the
 * adapter only looks at the address when the VM stops there. Sources resolve through each
 * program's source map, function names through its symbols (or any expression that
 * evaluates to an address); one breakpoint applies to every VM whose program has it.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { hex32 } from './errors';
import { evaluateCondition, evaluateNumber } from './evaluate';
import type { Target } from './launch';

/** The DAP request a breakpoint came from: setBreakpoints, setFunctionBreakpoints, setInstructionBreakpoints. */
export type BreakpointKind = 'source' | 'function' | 'instruction';

/** One breakpoint the user set (it may resolve in several VMs). */
export interface BreakpointSpec {
  id: number;
  kind: BreakpointKind;
  /** 'hello.asm:42', 'puts', '0x00100010': for stop descriptions. */
  label: string;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
  hits: number;
  /** Source breakpoints: file and requested line. */
  file?: string;
  line?: number;
  /** Function breakpoints: the name; instruction breakpoints: the reference and offset. */
  name?: string;
  reference?: string;
  offset?: number;
}

/** What the adapter does when the guest reaches a breakpoint address. */
export type BreakpointDecision =
  | { stop: true; specs: BreakpointSpec[]; description: string; reason: 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' }
  | { stop: false; logs: string[] };

/**
 * The session's source, function and instruction breakpoints, resolved per VM to guest-linear
 * addresses (`apply` installs them in each VM's code cache); `decide` judges a stop at one.
 * Bad conditions, unknown functions and unresolvable lines come back unverified with a message.
 */
export class Breakpoints {
  private nextId = 1;
  private readonly source = new Map<string, BreakpointSpec[]>();
  private functions: BreakpointSpec[] = [];
  private instructions: BreakpointSpec[] = [];
  /** Per thread: linear address → specs resolved there. */
  private readonly resolved = new Map<number, Map<number, BreakpointSpec[]>>();

  constructor(private readonly targets: () => readonly Target[]) {}

  /** Replace the breakpoints of one source file; returns them in request order, verified where some VM has code there. */
  setSource(file: string, requested: readonly DebugProtocol.SourceBreakpoint[]): DebugProtocol.Breakpoint[] {
    const specs = requested.map((b) => ({
      id: this.nextId++,
      kind: 'source' as const,
      label: `${file.split(/[\\/]/).pop()}:${b.line}`,
      condition: b.condition || undefined,
      hitCondition: b.hitCondition || undefined,
      logMessage: b.logMessage || undefined,
      hits: 0,
      file,
      line: b.line,
    }));
    this.source.set(file, specs);
    this.apply();
    return withHitConditionChecked(specs, (s) => {
      for (const t of this.targets()) {
        const r = t.sources?.resolveLine(file, s.line!);
        if (r) return { id: s.id, verified: true, line: r.line, source: { path: file, name: file.split(/[\\/]/).pop() }, instructionReference: hex32(r.address) };
      }
      const known = this.targets().some((t) => t.sources?.hasFile(file));
      return { id: s.id, verified: false, line: s.line, message: known ? `no code at or below line ${s.line} of ${file}` : `${file} is not part of the program being debugged (only .asm programs assembled by the adapter have source lines)` };
    });
  }

  setFunction(requested: readonly DebugProtocol.FunctionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.functions = requested.map((b) => ({
      id: this.nextId++,
      kind: 'function' as const,
      label: b.name,
      name: b.name,
      condition: b.condition || undefined,
      hitCondition: b.hitCondition || undefined,
      hits: 0,
    }));
    this.apply();
    return withHitConditionChecked(this.functions, (s) => {
      for (const t of this.targets()) {
        const a = this.functionAddress(t, s.name!);
        if (a !== null) return { id: s.id, verified: true, instructionReference: hex32(a), ...this.sourceOf(t, a) };
      }
      return { id: s.id, verified: false, message: `no symbol '${s.name}' in the program (and it is not an address expression)` };
    });
  }

  setInstruction(requested: readonly DebugProtocol.InstructionBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.instructions = requested.map((b) => ({
      id: this.nextId++,
      kind: 'instruction' as const,
      label: b.instructionReference,
      reference: b.instructionReference,
      offset: b.offset ?? 0,
      condition: b.condition || undefined,
      hitCondition: b.hitCondition || undefined,
      hits: 0,
    }));
    this.apply();
    return withHitConditionChecked(this.instructions, (s) => {
      const a = instructionAddress(s);
      return a === null ? { id: s.id, verified: false, message: `instruction reference '${s.reference}' is not an address` } : { id: s.id, verified: true, instructionReference: hex32(a) };
    });
  }

  private sourceOf(t: Target, address: number): Partial<DebugProtocol.Breakpoint> {
    const l = t.sources?.lineAt(address);
    return l ? { line: l.line, source: { path: l.file, name: l.file.split(/[\\/]/).pop() } } : {};
  }

  private functionAddress(t: Target, name: string): number | null {
    const sym = t.sources?.symbol(name);
    if (sym) return sym.address >>> 0;
    try {
      return evaluateNumber(t, name) >>> 0;
    } catch {
      return null;
    }
  }

  /** Resolve every breakpoint in every VM and hand the addresses to the VMs (plus `extra`: a step's temporary one). */
  apply(extra: ReadonlyMap<number, readonly number[]> = new Map()): void {
    for (const t of this.targets()) {
      const at = new Map<number, BreakpointSpec[]>();
      const add = (a: number, s: BreakpointSpec) => {
        const list = at.get(a >>> 0);
        if (list) list.push(s);
        else at.set(a >>> 0, [s]);
      };
      for (const [file, specs] of this.source) {
        for (const s of specs) {
          const r = t.sources?.resolveLine(file, s.line!);
          if (r) add(r.address, s);
        }
      }
      for (const s of this.functions) {
        const a = this.functionAddress(t, s.name!);
        if (a !== null) add(a, s);
      }
      for (const s of this.instructions) {
        const a = instructionAddress(s);
        if (a !== null) add(a, s);
      }
      this.resolved.set(t.threadId, at);
      t.vm.setBreakpoints([...at.keys(), ...(extra.get(t.threadId) ?? [])]);
    }
  }

  /** Whether the user has a breakpoint at `linear` in this VM. */
  has(target: Target, linear: number): boolean {
    return this.resolved.get(target.threadId)?.has(linear >>> 0) ?? false;
  }

  /**
   * The guest reached `linear`: count hits, check conditions, format logpoints.
   * Conditions that cannot be evaluated stop the guest (with the error in the description).
   */
  decide(target: Target, linear: number): BreakpointDecision {
    const specs = this.resolved.get(target.threadId)?.get(linear >>> 0) ?? [];
    const stopping: BreakpointSpec[] = [];
    const logs: string[] = [];
    const notes: string[] = [];
    for (const s of specs) {
      if (s.condition) {
        try {
          if (!evaluateCondition(target, s.condition)) continue;
        } catch (e) {
          notes.push(`condition '${s.condition}' failed: ${(e as Error).message}`);
          stopping.push(s);
          continue;
        }
      }
      s.hits++;
      if (s.hitCondition && !hitConditionMet(s.hitCondition, s.hits)) continue;
      if (s.logMessage) {
        logs.push(interpolate(target, s.logMessage));
        continue;
      }
      stopping.push(s);
    }
    if (stopping.length === 0) return { stop: false, logs };
    const first = stopping[0];
    const reason = first.kind === 'source' ? 'breakpoint' : first.kind === 'function' ? 'function breakpoint' : 'instruction breakpoint';
    const where = target.sources?.lineAt(linear);
    const at = where ? `${where.file.split(/[\\/]/).pop()}:${where.line}` : hex32(linear);
    const what = first.kind === 'function' ? `function breakpoint ${first.label} at ${at}` : first.kind === 'instruction' ? `instruction breakpoint at ${hex32(linear)}` : `breakpoint at ${at}`;
    for (const l of logs) notes.unshift(l);
    return { stop: true, specs: stopping, reason, description: [what, ...notes.filter((n) => !logs.includes(n))].join('; ') };
  }
}

/** Guest-linear address of an instruction breakpoint, or null when the reference is no number. */
function instructionAddress(s: BreakpointSpec): number | null {
  const m = /^\s*(?:lin:)?\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(s.reference ?? '');
  if (!m) return null;
  return (Number(m[1]) + (s.offset ?? 0)) >>> 0;
}

/** The hit-condition forms `hitConditionMet` understands. */
const HIT_CONDITION = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/;

/**
 * The breakpoints as `answer` reports them, except that one whose hitCondition is not a form
 * `hitConditionMet` knows is unverified with a message saying so (it could never stop).
 */
function withHitConditionChecked(specs: readonly BreakpointSpec[], answer: (s: BreakpointSpec) => DebugProtocol.Breakpoint): DebugProtocol.Breakpoint[] {
  return specs.map((s) => {
    const b = answer(s);
    const problem = hitConditionProblem(s.hitCondition);
    return problem === null ? b : { ...b, verified: false, message: problem };
  });
}

/** Why a DAP hitCondition can never hold (for the breakpoint's message), or null when it is a known form or absent. */
export function hitConditionProblem(text: string | undefined): string | null {
  if (text === undefined || HIT_CONDITION.test(text)) return null;
  return `hit condition '${text}' is not one of N, == N, >= N, > N, <= N, < N, % N`;
}

/**
 * DAP hitCondition: 'N' or '== N' (exactly the Nth hit), '>= N', '> N', '< N', '<= N',
 * '% N' (every Nth hit). Anything else never holds (setting such a breakpoint says so).
 */
export function hitConditionMet(text: string, hits: number): boolean {
  const m = HIT_CONDITION.exec(text);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return hits >= n;
    case '>':
      return hits > n;
    case '<':
      return hits < n;
    case '<=':
      return hits <= n;
    case '%':
      return n > 0 && hits % n === 0;
    default:
      return hits === n;
  }
}

/** A logpoint message with each {expression} replaced by its value in hex (or the error). */
export function interpolate(target: Target, message: string): string {
  return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
    try {
      return hex32(evaluateNumber(target, expr));
    } catch (e) {
      return `<${(e as Error).message}>`;
    }
  });
}
