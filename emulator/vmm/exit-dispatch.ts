/**
 * The exit-dispatch skeleton every VMM mode shares: one handler per exit reason, in a keyed
 * table per mode (trap-and-emulate now; binary translation, hardware assist, paravirtual
 * later reuse the same handlers where they can), and a LOUD default.
 *
 * The order of one exit, after the VM-exit chapter of the SDM (Vol. 3C Chapter 28):
 *   1. the mode saves the guest state into the vCPU's VMCS record (guest-state.ts
 *      `saveGuestState`, §28.3) — before calling `dispatchExit`;
 *   2. `dispatchExit` records the VM-exit information fields (exit-info.ts `recordExit`,
 *      §28.2) and the exit in the statistics (exit-stats.ts), with the transition cost;
 *   3. it calls the handler registered for the cause, which works on the record and the
 *      mode's state, charges its work and says what happens next (`ExitAction`);
 *   4. the mode acts on it (VM entry: `loadGuestState`, §27.3.2).
 *
 * A cause with no handler is a `VmmError` naming the reason in hex with its SDM (or VMM)
 * name and the guest CS:EIP — never a silent `default: break` (SimpleVisor's mistake). The
 * mode's caller turns it into a stopped VM with that message (`exitActionOfError`), never a
 * host crash; the other VMs keep running.
 *
 * @see Intel SDM Vol. 3C Chapter 28 "VM Exits", Appendix C "VMX Basic Exit Reasons";
 *      ../shared/notes/style-models.md, habit 8.
 */
import { VMCS } from '../arch/vmcs';
import type { ExitReason } from '../arch/vmx-exit-reasons';
import type { Cpu } from '../cpu/cpu';
import { causeKey, exitCauseDescription, sdmCause, vmmCause, type ExitCause, type VmmExitReason } from './exit-cause';
import { recordExit, type ExitInfo } from './exit-info';
import { EXIT_TRANSITION_COST, type ExitStats } from './exit-stats';
import type { VmcsRecord } from './vmcs-record';

/** What the VMM does after handling an exit. */
export type ExitAction =
  /** Enter the guest again (at GUEST_RIP of the record). */
  | { readonly kind: 'resume' }
  /** The vCPU has nothing to run until a virtual interrupt arrives (guest HLT): the scheduler may run another VM. */
  | { readonly kind: 'wait' }
  /** This VM stops (guest shutdown, VMM failure); other VMs go on. */
  | { readonly kind: 'stop'; readonly message: string };

export const RESUME: ExitAction = Object.freeze({ kind: 'resume' });
export const WAIT: ExitAction = Object.freeze({ kind: 'wait' });
export const stop = (message: string): ExitAction => ({ kind: 'stop', message });

/** What a handler gets. `S` is the mode's per-VM state (shadow pager, virtual PIC …). */
export interface ExitContext<S> {
  /** The processor that ran the guest. */
  readonly cpu: Cpu;
  /** The vCPU's VMCS record: guest state saved, exit information recorded. */
  readonly vmcs: VmcsRecord;
  readonly state: S;
  readonly cause: ExitCause;
  readonly info: ExitInfo;
  /** Guest CS selector, EIP (offset in CS) and linear EIP at the exit, from the record. */
  readonly cs: number;
  readonly eip: number;
  readonly linear: number;
  /** Charge work units to this exit (see exit-stats.ts for the unit). */
  charge(units: number): void;
}

export type ExitHandler<S> = (ctx: ExitContext<S>) => ExitAction;

/**
 * One mode's handlers, keyed by cause: `[ExitReason.CR_ACCESS]: onCrAccess`,
 * `[VmmExitReason.HIDDEN_PAGE_FAULT]: onHiddenPageFault`. The two namespaces do not
 * overlap (exit-cause.ts), so one table holds both.
 */
export type ExitHandlerTable<S> = Partial<Record<ExitReason | VmmExitReason, ExitHandler<S>>>;

/** A VMM mode as the dispatcher sees it: its name (for messages) and its handler table. */
export interface VmmMode<S> {
  readonly name: string;
  readonly handlers: ExitHandlerTable<S>;
}

/** The vCPU an exit happened on. */
export interface ExitVcpu<S> {
  readonly cpu: Cpu;
  readonly vmcs: VmcsRecord;
  readonly stats: ExitStats;
  readonly state: S;
}

/** A failure of the VMM itself (not a guest fault): typed, with the guest location it happened at. */
export class VmmError extends Error {
  constructor(
    readonly code: 'unhandled-exit',
    readonly exitCause: ExitCause,
    /** Guest CS selector and EIP at the exit. */
    readonly cs: number,
    readonly eip: number,
    message: string,
  ) {
    super(message);
    this.name = 'VmmError';
  }
}

const hex = (v: number, digits: number): string => (v >>> 0).toString(16).padStart(digits, '0');

/**
 * Handle one exit: record its information in the vCPU's VMCS record and its statistics,
 * then call the mode's handler for its cause.
 * Precondition: the guest state has been saved into `vcpu.vmcs` (CS and EIP are read from it).
 * @param info what the exit records (exit-info.ts); `info.reason` is the SDM basic reason of
 *   the event that brought control to the VMM
 * @param vmmReason the software-VMM reason when the exit is one (the cause is then that
 *   reason; the record still holds `info`)
 * @returns the handler's action
 * @throws VmmError ('unhandled-exit') when the mode has no handler for the cause — after the
 *   exit was recorded, so the record and the statistics show it
 */
export function dispatchExit<S>(mode: VmmMode<S>, vcpu: ExitVcpu<S>, info: ExitInfo, vmmReason?: VmmExitReason): ExitAction {
  const { vmcs, stats } = vcpu;
  recordExit(vmcs, info);
  const cause = vmmReason === undefined ? sdmCause(info.reason) : vmmCause(vmmReason);
  const cs = vmcs.read(VMCS.GUEST_CS_SELECTOR);
  const eip = vmcs.read(VMCS.GUEST_RIP);
  const linear = (vmcs.read(VMCS.GUEST_CS_BASE) + eip) >>> 0;
  stats.record(cause, cs, eip, linear, EXIT_TRANSITION_COST);
  const handler = mode.handlers[causeKey(cause) as ExitReason | VmmExitReason];
  if (handler === undefined) {
    throw new VmmError(
      'unhandled-exit',
      cause,
      cs,
      eip,
      `VMM mode '${mode.name}': no handler for exit reason ${exitCauseDescription(cause)} at guest CS:EIP ${hex(cs, 4)}:${hex(eip, 8)} (linear 0x${hex(linear, 8)})`,
    );
  }
  return handler({ cpu: vcpu.cpu, vmcs, state: vcpu.state, cause, info, cs, eip, linear, charge: (units) => stats.charge(units) });
}

/**
 * What the mode's run loop does with an error thrown while handling an exit: a `VmmError`
 * stops this VM with its message (the other VMs keep running); anything else is a host bug
 * and is rethrown.
 */
export function exitActionOfError(e: unknown): ExitAction {
  if (e instanceof VmmError) return stop(e.message);
  throw e;
}
