/**
 * Running the VMs: continue, pause, and stepping by source line or by instruction (stepIn,
 * next, stepOut), with every VM of the session in one all-stop model — when one stops, all
 * are stopped; `continue` resumes all (round-robin slices); a step runs only its thread.
 *
 * The guest runs in slices of SLICE instructions; between slices (at most every
 * YIELD_MS of host time) the loop yields to Node's event loop, so `pause` and other
 * requests are answered while the guest runs. Breakpoints are the VM's code-cache
 * breakpoints (breakpoints.ts): a slice ends at one, and only then does the adapter look.
 *
 * Stepping:
 *  - one instruction: `vm.run(1)` (the interpreter, never a compiled block);
 *  - over one instruction: as above; when its opcode is a CALL (E8, 9A, FF /2, FF /3 after
 *    any prefixes; SDM Vol. 2A "CALL") and it pushed its return address (ESP dropped by 4 or
 *    2; a call that faulted into a handler pushed more and is stepped into), a temporary
 *    breakpoint at that return address runs the callee at full speed until it returns there
 *    with ESP above the pushed slot (recursion-safe);
 *  - line stepIn / next: instructions (into / over calls) until EIP is on another source line;
 *  - stepOut: instructions over calls until a RET/RETF/IRET (opcode after any prefixes) leaves ESP above its value at
 *    the start (frame-pointer-free code included).
 * Without source lines (a binary), a line step is one instruction.
 *
 * Several VMs run round-robin here, not on emulator/vmm/host.ts's `Host`: the Host switches
 * each VM out after its slice (its Cpu then holds the VMM's host state until switched back
 * in, world-switch.ts), so at a stop every view of the other VMs' registers (stack, scopes,
 * evaluate) would have to read their VMCS records, and a step of one VM would need a switch
 * in and out around it. That is not a clean change of this loop, so it is not made: what the
 * adapter does not model is the world switch itself (and its hidden-state loss with
 * `preserveHiddenState: false`); the VMs share nothing either way.
 */
import { SegReg } from '../emulator/arch/segments';
import { codeCache } from '../emulator/cpu/executor';
import type { GuestStop } from '../emulator/vmm/guest-vm';
import type { Breakpoints } from './breakpoints';
import { hex32 } from './errors';
import { TRIPLE_FAULT_FILTER, type ExceptionBreakpoints } from './exceptions';
import { esp, linearEip, linearEsp, readCodeBytes, readLinearBytes, readLinearDword } from './guest';
import type { Target } from './launch';

/** Instructions per `vm.run` call while continuing. */
export const SLICE = 200_000;
/** Host milliseconds between yields to the event loop. */
const YIELD_MS = 20;
/** Instructions a step may run before it gives up and stops where it is. */
const STEP_LIMIT = 50_000_000;

/** A stop to report (DAP `stopped`), or the end of a VM. */
export interface StopInfo {
  threadId: number;
  reason: string;
  description: string;
  hitBreakpointIds?: number[];
}

/** What RunControl needs from the session: its VMs and breakpoints, and where to report stops, ends and console text. */
export interface RunHost {
  targets(): readonly Target[];
  readonly breakpoints: Breakpoints;
  readonly exceptions: ExceptionBreakpoints;
  readonly maxInstructions: number | null;
  /** All VMs have stopped. */
  stopped(info: StopInfo): void;
  /** A VM has ended for good (guest exit, VMM stop); `message` says why. */
  ended(target: Target, message: string): void;
  /** Text for the debug console. */
  log(text: string): void;
  /** Called between slices (event batching). */
  tick(): void;
}

/** DAP's stepIn, next and stepOut. */
export type StepKind = 'in' | 'over' | 'out';

const tickAfter = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Continue, pause and steps of the session's VMs in the all-stop model of the file header.
 * Each run reports through the RunHost exactly one `stopped` (or `ended` per VM, or nothing
 * once `abandon`ed); an exception thrown by the loop is reported as a stop with reason
 * `exception` and an "internal error" description, never thrown out of the adapter.
 */
export class RunControl {
  private running = false;
  private pauseRequested = false;
  /** Per thread: the stop a hook asked for (exception, exit, hole, data breakpoint). */
  private readonly pending = new Map<number, StopInfo>();
  /** Per thread: execute the instruction at EIP even if a breakpoint is set there. */
  private readonly resume = new Set<number>();
  /** Per thread: set while a step's temporary breakpoint is installed. */
  private temp: { threadId: number; address: number; aboveEsp: number } | null = null;

  constructor(private readonly host: RunHost) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** A hook asks for a stop of `target` with this reason (the VM stops before its next instruction). */
  requestStop(target: Target, reason: string, description: string): void {
    if (!this.pending.has(target.threadId)) this.pending.set(target.threadId, { threadId: target.threadId, reason, description });
    target.vm.requestStop(description);
  }

  /** After a stop, the next run of each VM first executes the instruction at its EIP. */
  markStopped(): void {
    for (const t of this.host.targets()) this.resume.add(t.threadId);
  }

  /**
   * `restart`/`terminate`: forget the run in progress without reporting a stop. Its loop,
   * suspended at a yield, sees at its next resumption that its VMs are no longer the
   * session's (`abandoned`) and returns without a word; pending stops and step state go.
   */
  abandon(): void {
    for (const t of this.live()) t.vm.requestStop('abandoned');
    this.running = false;
    this.pauseRequested = false;
    this.pending.clear();
    this.resume.clear();
    this.temp = null;
  }

  /** Whether these VMs were replaced (restart) while their loop waited. */
  private abandoned(targets: readonly Target[]): boolean {
    const now = this.host.targets();
    return targets.some((t) => !now.includes(t));
  }

  /** `pause`: stop every VM at its next slice boundary. */
  pause(): void {
    if (!this.running) return;
    this.pauseRequested = true;
    for (const t of this.live()) t.vm.requestStop('pause');
  }

  private live(): Target[] {
    return this.host.targets().filter((t) => t.ended === null);
  }

  /** `continue`: run every VM until something stops one. */
  continueAll(): void {
    void this.guard(async () => {
      const stop = await this.runSlices(this.live());
      if (stop !== 'abandoned') this.finish(stop);
    });
  }

  /** A step of one thread. */
  step(target: Target, kind: StepKind, instruction: boolean): void {
    void this.guard(async () => {
      const stop = await this.stepTarget(target, kind, instruction || target.sources === null);
      if (stop !== 'abandoned') this.finish(stop);
    });
  }

  private async guard(body: () => Promise<void>): Promise<void> {
    this.running = true;
    this.pauseRequested = false;
    try {
      await body();
    } catch (e) {
      // An adapter bug must not kill the session: stop and say what happened.
      this.running = false;
      const t = this.live()[0] ?? this.host.targets()[0];
      this.host.log(`vanderpool: internal error while running the guest: ${(e as Error).stack ?? String(e)}\n`);
      if (t) this.host.stopped({ threadId: t.threadId, reason: 'exception', description: `internal error: ${(e as Error).message}` });
    }
  }

  private finish(stop: StopInfo | 'ended'): void {
    this.running = false;
    this.temp = null;
    // A stop a hook asked for but that another stop overtook in the same run (the #DF whose
    // delivery then triple-faulted) is not reported later, as a stale stop at the next
    // continue: the reported stop supersedes it. (Only the VM that just ran can have one.)
    this.pending.clear();
    this.host.breakpoints.apply();
    if (stop === 'ended') return;
    this.markStopped();
    this.host.stopped(stop);
  }

  /** Run `target` for at most `n` instructions (first executing the instruction at a breakpoint it stopped on). */
  private runOne(target: Target, n: number): GuestStop {
    if (this.resume.delete(target.threadId)) codeCache(target.vm.cpu).resumeAt = linearEip(target.vm);
    const before = target.vm.cpu.icount;
    const stop = target.vm.run(n);
    const after = target.vm.cpu.icount;
    // A budget that ran out counts whole (while halted, `run` spends it as virtual time, as
    // the CLI's --max-instructions does); else what ran.
    target.instructions += stop.kind === 'limit' ? n : after - before;
    return stop;
  }

  /**
   * Run the VMs round-robin until one stops for a reason to report.
   * @returns the stop, 'ended' when every VM has ended, or 'abandoned' when restart/terminate replaced the VMs meanwhile
   */
  private async runSlices(targets: Target[]): Promise<StopInfo | 'ended' | 'abandoned'> {
    let last = performance.now();
    for (;;) {
      const live = targets.filter((t) => t.ended === null);
      if (live.length === 0) return 'ended';
      for (const t of live) {
        const stop = this.runOne(t, SLICE);
        const info = this.judge(t, stop);
        if (info) return info;
      }
      if (this.pauseRequested) return paused(live[0]);
      if (performance.now() - last >= YIELD_MS) {
        this.host.tick();
        await tickAfter();
        last = performance.now();
        if (this.abandoned(targets)) return 'abandoned';
        if (this.pauseRequested) return paused(live[0]);
      }
    }
  }

  /**
   * What a VM's stop means: a StopInfo to report, or null to run on (a slice's end, a
   * breakpoint whose condition does not hold, a logpoint, a VM that ended while others run).
   */
  private judge(t: Target, stop: GuestStop): StopInfo | null {
    const max = this.host.maxInstructions;
    switch (stop.kind) {
      case 'limit':
        if (max !== null && t.instructions >= max) {
          this.end(t, `maxInstructions (${max}) reached at ${hex32(linearEip(t.vm))}`);
        }
        return null;
      case 'breakpoint': {
        const temp = this.temp;
        if (temp && temp.threadId === t.threadId && stop.linear === temp.address && esp(t.vm) > temp.aboveEsp && !this.host.breakpoints.has(t, stop.linear)) {
          return { threadId: t.threadId, reason: 'step', description: 'step' };
        }
        if (!this.host.breakpoints.has(t, stop.linear)) {
          this.resume.add(t.threadId);
          return null;
        }
        const d = this.host.breakpoints.decide(t, stop.linear);
        if (!d.stop) {
          for (const l of d.logs) this.host.log(`${l}\n`);
          this.resume.add(t.threadId);
          return null;
        }
        return { threadId: t.threadId, reason: d.reason, description: d.description, hitBreakpointIds: d.specs.map((s) => s.id) };
      }
      case 'request': {
        const p = this.pending.get(t.threadId);
        this.pending.delete(t.threadId);
        if (p) return p;
        if (this.pauseRequested) return paused(t);
        return null;
      }
      case 'exit':
        this.end(t, `the guest exited with status ${stop.status} (isa-debug-exit)`);
        return null;
      case 'shutdown':
        return this.fatal(t, /triple fault/i.test(stop.reason) ? stop.reason : `triple fault: ${stop.reason}`);
      case 'stopped':
        return this.fatal(t, /triple fault/i.test(stop.message) ? stop.message : `the VMM stopped the VM: ${stop.message}`);
      case 'halted':
        return this.fatal(t, `halted: ${stop.reason}`);
      case 'io':
        return null;
    }
  }

  /** A stop the VM cannot go on from: report it once (reason `exception`); the next run ends the VM. */
  private fatal(t: Target, message: string): StopInfo | null {
    if (t.fatalReported || (/triple fault/i.test(message) && !this.host.exceptions.isEnabled(TRIPLE_FAULT_FILTER))) {
      this.end(t, message);
      return null;
    }
    t.fatalReported = true;
    return { threadId: t.threadId, reason: 'exception', description: message };
  }

  private end(t: Target, message: string): void {
    if (t.ended !== null) return;
    t.ended = message;
    this.host.ended(t, message);
  }

  // -------------------------------------------------------------------------------------------
  // Stepping

  /** One instruction; returns a stop to report, or null after a plain step. */
  private stepInstruction(t: Target): StopInfo | null {
    const stop = this.runOne(t, 1);
    if (stop.kind === 'limit') return null;
    return this.judge(t, stop);
  }

  /** One instruction, running a CALL's callee to its return (see the file header). */
  private async stepOver(t: Target): Promise<StopInfo | 'ended' | 'abandoned' | null> {
    const vm = t.vm;
    const eip0 = linearEip(vm);
    const esp0 = esp(vm);
    const call = isCall(readCodeBytes(vm, eip0));
    const s = this.stepInstruction(t);
    if (s || t.ended !== null) return s ?? 'ended';
    const esp1 = esp(vm);
    const width = esp0 - esp1;
    if (!call || (width !== 4 && width !== 2)) return null;
    const pushed = width === 4 ? readLinearDword(vm, linearEsp(vm)) : readWord(t);
    const cs = vm.cpu.segs[SegReg.CS].base >>> 0;
    const ret = pushed === null ? -1 : (cs + pushed) >>> 0;
    if (ret <= eip0 || ret > eip0 + 15 || ret === linearEip(vm)) return null;
    this.temp = { threadId: t.threadId, address: ret, aboveEsp: esp1 };
    this.host.breakpoints.apply(new Map([[t.threadId, [ret]]]));
    try {
      const r = await this.runSlices([t]);
      if (r !== 'ended' && r !== 'abandoned' && r.reason === 'step') return null;
      return r;
    } finally {
      this.temp = null;
      this.host.breakpoints.apply();
    }
  }

  private async stepTarget(t: Target, kind: StepKind, instruction: boolean): Promise<StopInfo | 'ended' | 'abandoned'> {
    const vm = t.vm;
    const startLine = t.sources?.lineAt(linearEip(vm));
    const startEsp = esp(vm);
    const what = kind === 'out' ? 'step out' : `step ${kind === 'in' ? 'in' : 'over'}${instruction ? ' (instruction)' : ''}`;
    const done = (): StopInfo => ({ threadId: t.threadId, reason: 'step', description: `${what} to ${whereIs(t)}` });
    let last = performance.now();
    for (let n = 0; n < STEP_LIMIT; n++) {
      if (t.ended !== null) return 'ended';
      const eip = linearEip(vm);
      const op = kind === 'out' ? opcodeOf(readCodeBytes(vm, eip)) : undefined;
      const r = kind === 'in' ? this.stepInstruction(t) : await this.stepOver(t);
      if (r === 'ended' || r === 'abandoned') return r;
      if (r) return r;
      if (t.ended !== null) return 'ended';
      if (kind === 'out') {
        if (op !== undefined && isReturn(op.op) && esp(vm) > startEsp) {
          if (instruction || !t.sources) return done();
          // Finish the caller's line: stop at a line start, as a line step would.
          const here = t.sources.lineAt(linearEip(vm));
          if (!here || here.address === linearEip(vm)) return done();
          kind = 'over';
          instruction = false;
          continue;
        }
      } else {
        if (instruction) return done();
        const here = t.sources?.lineAt(linearEip(vm));
        if (here && (!startLine || here.line !== startLine.line || here.file !== startLine.file || here.address === linearEip(vm))) return done();
      }
      if (this.pauseRequested) return paused(t);
      if ((n & 1023) === 1023 && performance.now() - last >= YIELD_MS) {
        this.host.tick();
        await tickAfter();
        last = performance.now();
        if (this.abandoned([t])) return 'abandoned';
      }
    }
    return { threadId: t.threadId, reason: 'step', description: `step: stopped after ${STEP_LIMIT} instructions without reaching another line` };
  }
}

/** 'hello.asm:42 (0x00100069)' or '0x00100069' when the address has no source line. */
export function whereIs(t: Target): string {
  const eip = linearEip(t.vm);
  const line = t.sources?.lineAt(eip);
  return line ? `${line.file.split(/[\\/]/).pop()}:${line.line} (${hex32(eip)})` : hex32(eip);
}

/** The stop of a `pause`: where each VM is is in the stack; the description names the reported one's place. */
function paused(t: Target): StopInfo {
  return { threadId: t.threadId, reason: 'pause', description: `paused at ${whereIs(t)}` };
}

function readWord(t: Target): number | null {
  const b = readLinearBytes(t.vm, linearEsp(t.vm), 2);
  return b === null ? null : b[0] | (b[1] << 8);
}

/** Legacy prefixes: operand/address size, segment overrides, LOCK, REP/REPNE (SDM Vol. 2A §2.1.1). */
const PREFIXES = new Set([0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf2, 0xf3]);

/** The opcode byte after the prefixes, and the ModR/M byte after it; undefined when the bytes end first. */
function opcodeOf(bytes: Uint8Array): { op: number; modrm: number | undefined } | undefined {
  let k = 0;
  while (k < bytes.length && PREFIXES.has(bytes[k])) k++;
  return k < bytes.length ? { op: bytes[k], modrm: bytes[k + 1] } : undefined;
}

/** CALL rel (E8), CALL ptr16:32 (9A), CALL r/m (FF /2) and CALL m16:32 (FF /3). */
export function isCall(bytes: Uint8Array): boolean {
  const o = opcodeOf(bytes);
  if (!o) return false;
  if (o.op === 0xe8 || o.op === 0x9a) return true;
  if (o.op !== 0xff || o.modrm === undefined) return false;
  const reg = (o.modrm >> 3) & 7;
  return reg === 2 || reg === 3;
}

/** RET near (C3, C2 iw), RET far (CB, CA iw), IRET (CF). */
function isReturn(op: number): boolean {
  return op === 0xc3 || op === 0xc2 || op === 0xcb || op === 0xca || op === 0xcf;
}
