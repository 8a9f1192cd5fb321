/**
 * Exception breakpoint filters (DAP `setExceptionBreakpoints`): each guest exception vector,
 * the triple fault, each VM exit reason, virtualization holes; and the hooks that turn them
 * into stops.
 *
 * Where each comes from:
 *  - guest exceptions on the bare machine: `CpuHooks.onEvent` (called as the exception is
 *    delivered; the stop comes before the handler's first instruction), chained after the
 *    machine's own statistics hook;
 *  - guest exceptions under a VMM: its EXCEPTION_NMI exits (the vector from VM_EXIT_INTR_INFO,
 *    SDM Vol. 3C §25.9.2), as the VMM reflects them to the guest;
 *  - VM exits: `monitor.stats.onRecord` (every exit the VMM records, exit-stats.ts);
 *  - holes: `monitor.onHole`;
 *  - triple fault: the VM's own stop (native `shutdown`, VMM `stopped` with "triple fault").
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Vector } from '../emulator/arch/exceptions';
import { VMCS } from '../emulator/arch/vmcs';
import { ExitReason } from '../emulator/arch/vmx-exit-reasons';
import { exitCauseName, VmmExitReason } from '../emulator/vmm/exit-cause';
import { TRAP_AND_EMULATE } from '../emulator/vmm/trap-and-emulate/mode';
import type { VirtualizationHole } from '../emulator/vmm/hole-log';
import { instructionText } from './disassembly';
import { hex32 } from './errors';
import { linearEip } from './guest';
import type { Target } from './launch';

/** The exception vectors offered as filters, with their SDM names (Vol. 3A Table 6-1). */
const VECTORS: [Vector, string][] = [
  [Vector.DE, 'Divide error'],
  [Vector.DB, 'Debug'],
  [Vector.BP, 'Breakpoint (INT3)'],
  [Vector.OF, 'Overflow (INTO)'],
  [Vector.BR, 'BOUND range exceeded'],
  [Vector.UD, 'Invalid opcode'],
  [Vector.NM, 'Device not available'],
  [Vector.DF, 'Double fault'],
  [Vector.TS, 'Invalid TSS'],
  [Vector.NP, 'Segment not present'],
  [Vector.SS, 'Stack-segment fault'],
  [Vector.GP, 'General protection'],
  [Vector.PF, 'Page fault'],
  [Vector.MF, 'x87 floating-point error'],
  [Vector.AC, 'Alignment check'],
  [Vector.MC, 'Machine check'],
];

/** Filter id of the triple fault (SDM Vol. 3A §6.15, interrupt 8: a fault while delivering #DF shuts the processor down). */
export const TRIPLE_FAULT_FILTER = 'triple-fault';
/** Filter id of virtualization holes (sensitive, unprivileged instructions the VMM cannot trap). */
export const HOLES_FILTER = 'virtualization-hole';

/** Exit reasons a VMM of ours can produce (the handler tables' keys: new modes' tables add theirs). */
function exitReasonNames(): string[] {
  const keys = Object.keys(TRAP_AND_EMULATE.handlers).map(Number);
  return keys.map((k) => (k >= 0x10000 ? VmmExitReason[k] : ExitReason[k])).filter((n): n is string => typeof n === 'string');
}

/** The filters the adapter announces in its capabilities. */
export function exceptionFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  return [
    ...VECTORS.map(([v, label]) => ({ filter: `#${Vector[v]}`, label: `#${Vector[v]} ${label}`, description: `Stop when the guest raises #${Vector[v]} (vector ${v})`, default: v === Vector.DF })),
    { filter: TRIPLE_FAULT_FILTER, label: 'Triple fault', description: 'Stop when the guest triple-faults (the VM cannot go on); off: the VM ends instead', default: true },
    ...exitReasonNames().map((n) => ({ filter: `exit:${n}`, label: `VM exit ${n}`, description: `Stop at each VM exit with reason ${n} (under a VMM)`, default: false })),
    { filter: HOLES_FILTER, label: 'Virtualization holes', description: 'Stop when the guest executes a sensitive, unprivileged instruction the VMM cannot trap (under a VMM)', default: false },
  ];
}

/** Asks the run control for a stop with a reason and description (the VM stops before its next instruction). */
export type StopRequester = (target: Target, reason: string, description: string) => void;

/** The enabled filters and the hooks on each VM. */
export class ExceptionBreakpoints {
  private enabled = new Set<string>(exceptionFilters().filter((f) => f.default).map((f) => f.filter));
  /** Called for each hole (events.ts sends them as `vanderpool/hole`). */
  onHole: ((target: Target, hole: VirtualizationHole) => void) | null = null;

  constructor(private readonly requestStop: StopRequester) {}

  /**
   * Replace the enabled filters.
   * @returns the unknown filter names (the caller reports them)
   */
  set(filters: readonly string[]): string[] {
    const known = new Set(exceptionFilters().map((f) => f.filter));
    this.enabled = new Set(filters.filter((f) => known.has(f)));
    return filters.filter((f) => !known.has(f));
  }

  /** Whether the filter with this id is enabled. */
  isEnabled(filter: string): boolean {
    return this.enabled.has(filter);
  }

  /** Install the hooks on a new VM. */
  attach(target: Target): void {
    const vm = target.vm;
    const monitor = vm.monitor;
    if (monitor === null) {
      const cpu = vm.cpu;
      const prev = cpu.hooks.onEvent;
      cpu.hooks.onEvent = (vector, errorCode, kind, fault) => {
        prev?.(vector, errorCode, kind, fault);
        if (kind !== 'exception' || !this.enabled.has(`#${Vector[vector]}`)) return;
        const at = linearEip(vm);
        this.requestStop(target, 'exception', `${describeVector(vector, errorCode)} at ${hex32(at)}: ${instructionText(target, at)}${fault ? ` (${fault.reason})` : ''}`);
      };
      return;
    }
    monitor.stats.onRecord((cause, _cs, _eip, linear) => {
      const name = exitCauseName(cause);
      if (cause.kind === 'sdm' && cause.reason === ExitReason.EXCEPTION_NMI) {
        const info = monitor.vmcs.read(VMCS.VM_EXIT_INTR_INFO);
        const vector = info & 0xff;
        const code = monitor.vmcs.read(VMCS.VM_EXIT_INTR_ERROR_CODE);
        if (this.enabled.has(`#${Vector[vector]}`)) {
          this.requestStop(target, 'exception', `${describeVector(vector, info & (1 << 11) ? code : -1)} at ${hex32(linear)}: ${instructionText(target, linear)}`);
          return;
        }
      }
      if (this.enabled.has(`exit:${name}`)) this.requestStop(target, 'exception', `VM exit ${name}: ${instructionText(target, linear)} at ${hex32(linear)}`);
    });
    monitor.onHole((hole) => {
      this.onHole?.(target, hole);
      if (this.enabled.has(HOLES_FILTER)) this.requestStop(target, 'exception', `virtualization hole ${hole.kind}: ${hole.mnemonic} at ${hex32(hole.linearEip)}`);
    });
  }
}

/** '#GP(0x0000)', '#UD'. */
function describeVector(vector: number, errorCode: number): string {
  const name = Vector[vector] ? `#${Vector[vector]}` : `vector ${vector}`;
  return errorCode >= 0 ? `${name}(0x${(errorCode & 0xffff).toString(16).padStart(4, '0')})` : name;
}
