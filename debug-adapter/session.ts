/**
 * The Vanderpool debug session: DAP request dispatch only. Each request's work lives in the
 * module of its concern (launch, breakpoints, data-breakpoints, exceptions, run-control,
 * stack, variables, memory, disassembly, evaluate, events); every handler returns or throws,
 * and one wrapper (`handle`) turns a thrown error into an error response that names the
 * request and the problem, so the session keeps going after bad arguments.
 */
import { InitializedEvent, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent, ExitedEvent, ThreadEvent, Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { INSPECT_REQUEST } from './protocol';
import { Breakpoints } from './breakpoints';
import { DataBreakpoints } from './data-breakpoints';
import { disassemble } from './disassembly';
import { AdapterError } from './errors';
import { evaluate } from './evaluate';
import { EventBatcher } from './events';
import { ExceptionBreakpoints, exceptionFilters } from './exceptions';
import { checkLaunchArguments, createTarget, type LaunchArguments, type LaunchConfig, type Target } from './launch';
import { readMemory, writeMemory } from './memory';
import { RunControl, whereIs, type StopInfo } from './run-control';
import { frameOf, stackTrace } from './stack';
import { Variables } from './variables';


/** How long `launch` waits for `configurationDone` before it starts the guest anyway. */
const CONFIGURATION_WAIT_MS = 5000;

/** One DAP session (see the file header); @vscode/debugadapter's `DebugSession.run` creates it per connection (main.ts). */
export class VanderpoolSession extends LoggingDebugSession {
  private config: LaunchConfig | null = null;
  private targets: Target[] = [];
  private readonly breakpoints = new Breakpoints(() => this.targets);
  private readonly control: RunControl;
  private readonly exceptions: ExceptionBreakpoints;
  private readonly data: DataBreakpoints;
  private readonly variables = new Variables((id) => this.target(id));
  private readonly events = new EventBatcher((e) => this.sendEvent(e), () => this.targets);
  private configurationDone: () => void = () => {};
  private readonly configured = new Promise<void>((r) => (this.configurationDone = r));
  private terminated = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    const host = this;
    this.control = new RunControl({
      targets: () => host.targets,
      breakpoints: this.breakpoints,
      get exceptions() {
        return host.exceptions;
      },
      get maxInstructions() {
        return host.config?.maxInstructions ?? null;
      },
      stopped: (info) => host.onStopped(info),
      ended: (t, message) => host.onEnded(t, message),
      log: (text) => host.sendEvent(new OutputEvent(text, 'console')),
      tick: () => host.events.tick(),
    });
    this.exceptions = new ExceptionBreakpoints((t, reason, description) => this.control.requestStop(t, reason, description));
    this.exceptions.onHole = (t, hole) => this.events.hole(t, hole);
    this.data = new DataBreakpoints((t, description) => this.control.requestStop(t, 'data breakpoint', description));
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  /** Run a handler; a thrown error becomes an error response naming the request. */
  private handle<R extends DebugProtocol.Response>(response: R, work: () => R['body'] | void): void {
    try {
      const body = work();
      if (body !== undefined) response.body = body;
      this.sendResponse(response);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const known = e instanceof AdapterError || (e instanceof Error && e.name === 'InspectError');
      this.sendErrorResponse(response, { id: 1001, format: `${response.command}: ${message.replace(/\{/g, '(').replace(/\}/g, ')')}`, showUser: known ? undefined : true });
      if (!known) this.sendEvent(new OutputEvent(`vanderpool: internal error in ${response.command}: ${(e as Error).stack ?? message}\n`, 'console'));
    }
  }

  private target(threadId: number | undefined): Target {
    const t = threadId === undefined ? this.targets[0] : this.targets.find((x) => x.threadId === threadId);
    if (!t) throw new AdapterError(threadId === undefined ? 'no program is running (launch first)' : `unknown thread ${threadId}`);
    return t;
  }

  private stoppedTarget(threadId: number | undefined): Target {
    if (this.control.isRunning) throw new AdapterError('the guest is running: pause it first');
    return this.target(threadId);
  }

  private onStopped(info: StopInfo): void {
    this.variables.invalidate();
    this.events.flush(true);
    const e = new StoppedEvent(info.reason, info.threadId) as DebugProtocol.StoppedEvent;
    e.body.description = info.description;
    e.body.text = info.description;
    e.body.allThreadsStopped = true;
    if (info.hitBreakpointIds) e.body.hitBreakpointIds = info.hitBreakpointIds;
    this.sendEvent(e);
  }

  private onEnded(t: Target, message: string): void {
    this.events.flush(true);
    this.sendEvent(new OutputEvent(`vanderpool: ${t.name}: ${message}\n`, 'console'));
    if (this.targets.length > 1) this.sendEvent(new ThreadEvent('exited', t.threadId));
    if (this.targets.every((x) => x.ended !== null)) this.terminate(this.targets.length === 1 ? exitCodeOf(message) : 0);
  }

  private terminate(code: number): void {
    if (this.terminated) return;
    this.terminated = true;
    this.events.flush(true);
    this.sendEvent(new ExitedEvent(code));
    this.sendEvent(new TerminatedEvent());
  }

  /** Resume after arming data breakpoints (their linear addresses are translated now). */
  private resume(run: () => void): void {
    for (const p of this.data.arm(this.targets)) this.sendEvent(new OutputEvent(`vanderpool: ${p}\n`, 'console'));
    run();
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      exceptionBreakpointFilters: exceptionFilters(),
    };
    this.sendResponse(response);
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  protected launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): void {
    let started = false;
    this.handle(response, () => {
      this.config = checkLaunchArguments(args);
      this.targets = this.buildTargets(this.config);
      started = true;
    });
    if (!started) return;
    this.sendEvent(new InitializedEvent());
    const timeout = new Promise<void>((r) => setTimeout(r, CONFIGURATION_WAIT_MS).unref());
    void Promise.race([this.configured, timeout]).then(() => this.startGuest());
  }

  private buildTargets(config: LaunchConfig): Target[] {
    const targets = config.programs.map((file, k) =>
      createTarget(file, k + 1, config, (b) => this.events.serialByte(k + 1, b), (w) => this.sendEvent(new OutputEvent(`vanderpool: warning: ${w}\n`, 'console'))),
    );
    for (const t of targets) {
      this.exceptions.attach(t);
      this.data.attach(t);
    }
    return targets;
  }

  /** After configuration: announce the VMs, then stop on entry or run. */
  private startGuest(): void {
    this.breakpoints.apply();
    for (const t of this.targets) this.events.vmInfo(t);
    // Only after a stop on entry does the first run step over a breakpoint at the entry point.
    if (this.config?.stopOnEntry) this.control.markStopped();
    if (this.config?.stopOnEntry) this.onStopped({ threadId: this.targets[0].threadId, reason: 'entry', description: `entry of ${this.targets[0].name} at ${whereIs(this.targets[0])}` });
    else this.resume(() => this.control.continueAll());
  }

  protected restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.handle(response, () => {
      this.control.abandon();
      const config = args?.arguments ? checkLaunchArguments(args.arguments as LaunchArguments) : this.config;
      if (!config) throw new AdapterError('nothing to restart: launch first');
      for (const t of this.targets) this.data.watcher(t)?.dispose();
      this.config = config;
      this.targets = this.buildTargets(config);
      this.terminated = false;
      setImmediate(() => this.startGuest());
    });
  }

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handle(response, () => ({ threads: this.targets.filter((t) => t.ended === null || this.targets.length === 1).map((t) => new Thread(t.threadId, `${t.name} (${t.vm.vmm})`)) }));
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.handle(response, () => {
      const file = args.source.path;
      if (!file) throw new AdapterError('source breakpoints need a source path');
      const requested = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      return { breakpoints: this.breakpoints.setSource(file, requested) };
    });
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.handle(response, () => ({ breakpoints: this.breakpoints.setFunction(args.breakpoints) }));
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handle(response, () => ({ breakpoints: this.breakpoints.setInstruction(args.breakpoints) }));
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.handle(response, () => {
      const unknown = this.exceptions.set(args.filters);
      if (unknown.length > 0) throw new AdapterError(`unknown exception filter${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`);
    });
  }

  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.handle(response, () => this.data.info(this.control.isRunning ? undefined : this.targets[0], args));
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, () => {
      const breakpoints = this.data.set(args.breakpoints);
      if (!this.control.isRunning) this.data.arm(this.targets);
      return { breakpoints };
    });
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.handle(response, () => {
      if (this.control.isRunning) throw new AdapterError('the guest is running already');
      this.resume(() => this.control.continueAll());
      return { allThreadsContinued: true };
    });
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handle(response, () => {
      if (!this.control.isRunning) throw new AdapterError('the guest is not running');
      this.control.pause();
    });
  }

  private stepRequest(response: DebugProtocol.Response, threadId: number, kind: 'in' | 'over' | 'out', granularity: DebugProtocol.SteppingGranularity | undefined): void {
    this.handle(response, () => {
      const t = this.stoppedTarget(threadId);
      if (t.ended !== null) throw new AdapterError(`thread ${threadId} has ended: ${t.ended}`);
      this.resume(() => this.control.step(t, kind, granularity === 'instruction'));
    });
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.stepRequest(response, args.threadId, 'over', args.granularity);
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.stepRequest(response, args.threadId, 'in', args.granularity);
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.stepRequest(response, args.threadId, 'out', args.granularity);
  }

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, () => stackTrace(this.stoppedTarget(args.threadId), args));
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      const { threadId } = frameOf(args.frameId);
      this.stoppedTarget(threadId);
      return { scopes: this.variables.scopes(threadId) };
    });
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handle(response, () => {
      if (this.control.isRunning) throw new AdapterError('the guest is running: pause it first');
      return { variables: this.variables.variables(args) };
    });
  }

  protected setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.handle(response, () => {
      if (this.control.isRunning) throw new AdapterError('the guest is running: pause it first');
      return this.variables.setVariable(args);
    });
  }

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handle(response, () => readMemory(this.stoppedTarget(undefined), args));
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.handle(response, () => {
      const t = this.stoppedTarget(undefined);
      const w = this.data.watcher(t);
      if (w) w.armed = false;
      try {
        return writeMemory(t, args);
      } finally {
        if (w) w.armed = true;
        this.variables.invalidate();
      }
    });
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.handle(response, () => ({ instructions: disassemble(this.stoppedTarget(undefined), args) }));
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, () => {
      const threadId = args.frameId !== undefined ? frameOf(args.frameId).threadId : undefined;
      return evaluate(this.stoppedTarget(threadId), args);
    });
  }

  protected customRequest(command: string, response: DebugProtocol.Response, args: { threadId?: number; scope?: string; path?: string[] }): void {
    if (command !== INSPECT_REQUEST) {
      this.sendErrorResponse(response, { id: 1002, format: `unknown request '${command}'` });
      return;
    }
    this.handle(response, () => {
      if (typeof args?.scope !== 'string') throw new AdapterError(`${INSPECT_REQUEST}: 'scope' must be a scope name ('Paging', 'VMCS', 'VM exits', …)`);
      if (args.path !== undefined && (!Array.isArray(args.path) || !args.path.every((p) => typeof p === 'string'))) throw new AdapterError(`${INSPECT_REQUEST}: 'path' must be an array of node names`);
      const t = this.stoppedTarget(args.threadId);
      return this.variables.inspect(t.threadId, args.scope, args.path ?? []);
    });
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.control.abandon();
    this.terminate(0);
    // The VMs are gone: a loop still waiting at a yield sees that and returns silently.
    this.dropTargets();
    this.sendResponse(response);
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.control.abandon();
    this.terminated = true;
    this.dropTargets();
    this.sendResponse(response);
  }

  private dropTargets(): void {
    for (const t of this.targets) this.data.watcher(t)?.dispose();
    this.targets = [];
  }
}

/** The process-style exit code of a guest's end message: its isa-debug-exit status, else 0. */
function exitCodeOf(message: string): number {
  const m = /status (\d+)/.exec(message);
  return m ? Number(m[1]) : 0;
}
