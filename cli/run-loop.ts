/**
 * The run loop of `vanderpool run`: runs the machine in slices of instructions until the
 * guest exits, halts for good, shuts down, reaches the instruction limit, or the user
 * interrupts it. Between slices it hands control back to Node's event loop now and then,
 * so that Ctrl-C (SIGINT) is noticed, and calls `onSlice` (flush the guest's output, redraw
 * the progress line). Slicing does not change what the guest does: virtual time comes from
 * the instruction count, so a run repeats exactly whatever the slice size.
 */
import type { Machine, MachineStop } from '../emulator/machine/machine';

/** Instructions per slice of an untraced run (about 10–30 ms of host time). */
const SLICE_INSTRUCTIONS = 1 << 22;
/** Host milliseconds between returns to the event loop. */
const YIELD_MS = 50;

export type RunOutcome =
  | { kind: 'exit'; status: number }
  | { kind: 'halted'; reason: string }
  | { kind: 'shutdown'; reason: string }
  | { kind: 'limit' }
  | { kind: 'interrupted' }
  /** A stop the command line never asks for (breakpoint, watched port, host request). */
  | { kind: 'unexpected'; stop: MachineStop };

export interface RunLoopOptions {
  /**
   * Stop with `limit` once this many instructions have retired in this run, or once the
   * virtual time that many instructions take has passed (Infinity: no limit). The second
   * bound ends a guest that idles in HLT with a timer running, which retires almost
   * nothing while virtual time advances — as `Machine.run` bounds its own slices.
   */
  maxInstructions: number;
  /** Execute at most one instruction (the tracer); when absent the machine runs in slices. */
  step?: () => MachineStop;
  /** Called after every slice or traced step. */
  onSlice: () => void;
  /** Whether the user asked to stop (checked between slices). */
  interrupted: () => boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function outcomeOf(stop: MachineStop): RunOutcome | null {
  switch (stop.kind) {
    case 'limit':
      return null;
    case 'exit':
      return { kind: 'exit', status: stop.status };
    case 'halted':
      return { kind: 'halted', reason: stop.reason };
    case 'shutdown':
      return { kind: 'shutdown', reason: stop.reason };
    default:
      return { kind: 'unexpected', stop };
  }
}

/** Run until something ends the run. */
export async function runMachine(machine: Machine, options: RunLoopOptions): Promise<RunOutcome> {
  const cpu = machine.cpu;
  const clock = machine.clock;
  const start = cpu.icount;
  const startNs = clock.now();
  const budgetNs = options.maxInstructions * clock.nsPerInstruction;
  const step = options.step;
  let lastYield = performance.now();
  for (let n = 0; ; n++) {
    const done = cpu.icount - start;
    const leftNs = budgetNs - (clock.now() - startNs);
    if (done >= options.maxInstructions || leftNs <= 0) return { kind: 'limit' };
    const slice = Math.min(SLICE_INSTRUCTIONS, options.maxInstructions - done, Math.ceil(leftNs / clock.nsPerInstruction));
    const stop = step ? step() : machine.run(slice);
    const outcome = outcomeOf(stop);
    if (outcome) return outcome;
    options.onSlice();
    if (!step || (n & 1023) === 1023) {
      const now = performance.now();
      if (now - lastYield >= YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      if (options.interrupted()) return { kind: 'interrupted' };
    }
  }
}
