/**
 * `vanderpool compare FILE [--json] [--memory MIB] [--max-instructions N] [--repeat N] [-I DIR]... [-D NAME[=VALUE]]...`:
 * run one guest headless under every VMM technique Vanderpool implements (emulator/vmm/guest-vm.ts
 * `VMM_KINDS`; trap-and-emulate under each ring model of `RING_MODELS`) and compare them: instructions retired,
 * VM exits by reason, the VMM's deterministic work units, host time, and the slowdown against the
 * bare machine (`native`, the baseline). The guest's COM1 output is captured, not shown; each mode
 * reports how many bytes it sent and whether they equal what the bare machine sent, so a mode that
 * changes what the guest does is visible next to its speed.
 *
 * Host time is the run loop's wall-clock time only (building the VM and loading the image are
 * not counted), the smallest of `--repeat` runs (default 3, in rounds over all modes, after an
 * untimed warm-up round) to damp the host's noise; the slowdown is that time divided by the bare
 * machine's. For guests that run a few milliseconds it stays noisy. Instructions and exits are deterministic.
 * The extension's "Vanderpool: Compare VMM modes" command runs `compare --json` and draws the
 * result (extension/compare-modes.ts).
 *
 * `--json` prints one object (`CompareReport`) on stdout; without it a text table. Exit status 0
 * when the comparison was made (a mode that cannot run the program — trap-and-emulate takes
 * Multiboot kernels only — is a row with `error`, not a failure), 2 for bad input (options, an
 * unreadable file, a source that does not assemble, a program the bare machine cannot boot).
 */
import { Command } from 'commander';
import type { Scheduler } from '../emulator/machine/scheduler';
import { exitCauseName } from '../emulator/vmm/exit-cause';
import type { ExitStats } from '../emulator/vmm/exit-stats';
import { RING_MODELS, VMM_KINDS, type GuestStop, type GuestVm, type RingModel, type VmmKind } from '../emulator/vmm/guest-vm';
import { NativeVm } from '../emulator/vmm/native-vm';
import { TrapAndEmulateVm } from '../emulator/vmm/trap-and-emulate/vm';
import { VmmUnsupported } from '../emulator/vmm/trap-and-emulate/virtual-delivery';
import { bootMachine, describePlan, planBoot, type BootPlan } from './boot-program';
import { EXIT_OK } from './exit-codes';
import { collect, parseDefine, wholeNumber } from './usage-error';

/** Instructions per `GuestVm.run` call (as run-loop.ts). */
const SLICE_INSTRUCTIONS = 1 << 22;
/** Default instruction budget per mode: a guest that never exits must not hang the command (or the editor waiting for it). */
export const DEFAULT_COMPARE_MAX_INSTRUCTIONS = 50_000_000;

/** The ring models of each VMM technique (null: the bare machine has none). */
const MODES: Record<VmmKind, readonly (RingModel | null)[]> = {
  native: [null],
  'trap-and-emulate': RING_MODELS,
};

export interface CompareOptions {
  json?: boolean;
  memory: number;
  maxInstructions: number;
  repeat: number;
  include?: string[];
  define?: Record<string, string>;
}

/** One mode's row of the comparison. */
export interface CompareModeResult {
  vmm: VmmKind;
  /** Null on the bare machine. */
  ringModel: RingModel | null;
  /** Why this mode could not run the program (then the measurements are absent). */
  error?: string;
  /** How the run ended: "isa-debug-exit, status 0", "instruction limit", "halted: …", "stopped: …". */
  stopped?: string;
  /** Instructions the guest retired (deterministic). */
  instructions?: number;
  /** VM exits: total and by SDM / VMM reason name ("CR_ACCESS", "HIDDEN_PAGE_FAULT"); 0 and {} on the bare machine. */
  exits?: { total: number; byReason: Record<string, number> };
  /** The VMM's deterministic cost of its exits, in work units (exit-stats.ts); 0 on the bare machine. */
  vmmWorkUnits?: number;
  /** Host wall-clock milliseconds of the run loop, the smallest of `repeat` runs. */
  hostMs?: number;
  /** hostMs / the bare machine's hostMs (1 for the bare machine; absent when it did not run). */
  slowdown?: number;
  /** Bytes the guest sent to COM1. */
  serialBytes?: number;
  /** Whether the COM1 bytes equal the bare machine's. */
  sameOutputAsNative?: boolean;
}

/** What `compare --json` prints. */
export interface CompareReport {
  program: string;
  /** describePlan's line: what was booted. */
  booted: string;
  memoryMiB: number;
  maxInstructions: number;
  repeat: number;
  modes: CompareModeResult[];
}

/** A mode that cannot run this program (its row says why; the other modes still run). */
class ModeCannotRun extends Error {}

/** One measured run. */
interface Measured {
  stopped: string;
  instructions: number;
  stats: ExitStats | null;
  hostMs: number;
  serial: Uint8Array;
}

/** Describe a stop that ends a headless run, or null when the run goes on (a slice's `limit`). */
function endOf(stop: GuestStop): string | null {
  switch (stop.kind) {
    case 'limit':
      return null;
    case 'exit':
      return `isa-debug-exit, status ${stop.status}`;
    case 'halted':
      return `halted: ${stop.reason}`;
    case 'shutdown':
      return `triple fault: ${stop.reason}`;
    case 'stopped':
      return `the VMM stopped the VM: ${stop.message}`;
    case 'breakpoint':
    case 'io':
    case 'request':
      return `unexpected stop (${stop.kind})`;
  }
}

/**
 * Run a loaded guest until it ends or `maxInstructions` (or the virtual time they take, for a
 * guest idling in HLT) is used up.
 */
function runToEnd(vm: GuestVm, clock: Scheduler, maxInstructions: number): { stopped: string; instructions: number; hostMs: number } {
  const cpu = vm.cpu;
  const start = cpu.icount;
  const startNs = clock.now();
  const t0 = performance.now();
  let stopped: string | null = null;
  while (stopped === null) {
    const done = cpu.icount - start;
    if (done >= maxInstructions || clock.now() - startNs >= maxInstructions * clock.nsPerInstruction) {
      stopped = 'instruction limit';
      break;
    }
    stopped = endOf(vm.run(Math.min(SLICE_INSTRUCTIONS, maxInstructions - done)));
  }
  return { stopped, instructions: cpu.icount - start, hostMs: performance.now() - t0 };
}

/** Build, load and run `plan` once under one mode. @throws Error with the reason the mode cannot run it */
function runOnce(plan: BootPlan, vmm: VmmKind, ringModel: RingModel | null, options: CompareOptions): Measured {
  const serial: number[] = [];
  const onSerial = (byte: number): void => {
    serial.push(byte);
  };
  if (vmm === 'native') {
    const machine = bootMachine(plan, { memoryMiB: options.memory, serial: onSerial }, () => {});
    const run = runToEnd(new NativeVm(machine), machine.clock, options.maxInstructions);
    return { ...run, stats: null, serial: Uint8Array.from(serial) };
  }
  if (plan.kind !== 'multiboot') throw new ModeCannotRun(`${vmm} runs Multiboot kernels only; this program boots as ${plan.kind === 'elf' ? 'an ELF executable' : `a ${plan.kind} image`}`);
  let vm: TrapAndEmulateVm;
  let loaded;
  try {
    vm = new TrapAndEmulateVm({ memoryMiB: options.memory, serial: onSerial, ringModel: ringModel ?? undefined });
    loaded = vm.loadMultiboot(plan.image);
  } catch (err) {
    if (err instanceof VmmUnsupported || err instanceof RangeError) throw new ModeCannotRun(err.message);
    throw err;
  }
  if (!loaded.ok) throw new ModeCannotRun(loaded.error.message);
  const run = runToEnd(vm, vm.devices.clock, options.maxInstructions);
  return { ...run, stats: vm.stats, serial: Uint8Array.from(serial) };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Run `file` under every implemented mode.
 * @throws UsageError when the file cannot be read, does not assemble, or the bare machine cannot boot it
 * (a VMM mode that cannot run it is a row with `error`)
 */
export function compareModes(file: string, options: CompareOptions, stderr: (text: string) => void): CompareReport {
  const plan = planBoot(file, { include: options.include, define: options.define }, stderr);
  const list = VMM_KINDS.flatMap((vmm) => MODES[vmm].map((ringModel) => ({ vmm, ringModel })));
  const best = new Map<number, Measured>();
  const errors = new Map<number, string>();
  // Round 0 is an untimed warm-up of every mode, so that the JIT has compiled the emulator's and
  // each VMM's code before anything is timed (otherwise the first runs pay for it); then rounds
  // over all modes, so that a change in the host's load affects every mode alike. Each mode
  // keeps its fastest run.
  for (let round = 0; round <= options.repeat; round++) {
    for (const [i, { vmm, ringModel }] of list.entries()) {
      if (errors.has(i)) continue;
      try {
        const m = runOnce(plan, vmm, ringModel, options);
        const b = best.get(i);
        if (round > 0 && (b === undefined || m.hostMs < b.hostMs)) best.set(i, m);
      } catch (err) {
        // The bare machine is the baseline: a program it cannot boot is bad input (UsageError, exit 2).
        if (!(err instanceof ModeCannotRun)) throw err;
        errors.set(i, err.message);
      }
    }
  }
  const native = best.get(list.findIndex((m) => m.vmm === 'native')) ?? null;
  const modes = list.map(({ vmm, ringModel }, i): CompareModeResult => {
    const m = best.get(i);
    if (m === undefined) return { vmm, ringModel, error: errors.get(i) ?? 'did not run' };
    const byReason: Record<string, number> = {};
    for (const c of m.stats?.causes() ?? []) byReason[exitCauseName(c.cause)] = c.count;
    return {
      vmm,
      ringModel,
      stopped: m.stopped,
      instructions: m.instructions,
      exits: { total: m.stats?.total ?? 0, byReason },
      vmmWorkUnits: m.stats?.totalCost ?? 0,
      hostMs: Math.round(m.hostMs * 1000) / 1000,
      ...(native ? { slowdown: Math.round((m.hostMs / Math.max(native.hostMs, 1e-3)) * 1000) / 1000, sameOutputAsNative: sameBytes(m.serial, native.serial) } : {}),
      serialBytes: m.serial.length,
    };
  });
  return { program: file, booted: describePlan(plan), memoryMiB: options.memory, maxInstructions: options.maxInstructions, repeat: options.repeat, modes };
}

const num = (n: number): string => n.toLocaleString('en-US');

/** The text table of a report (lines ending in newlines). */
export function formatCompareTable(report: CompareReport): string {
  const head = ['mode', 'instructions', 'VM exits', 'host ms', 'slowdown', 'output', 'ended'];
  const rows = report.modes.map((m) => {
    const mode = m.ringModel ? `${m.vmm} ${m.ringModel}` : m.vmm;
    if (m.error !== undefined) return [mode, '-', '-', '-', '-', '-', `cannot run: ${m.error}`];
    return [
      mode,
      num(m.instructions!),
      num(m.exits!.total),
      m.hostMs!.toFixed(1),
      m.slowdown === undefined ? '-' : `${m.slowdown.toFixed(2)}x`,
      m.sameOutputAsNative === undefined ? '-' : m.sameOutputAsNative ? 'same' : 'DIFFERS',
      m.stopped!,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n';
  let out = `${report.booted}\n${line(head)}${rows.map(line).join('')}`;
  for (const m of report.modes) {
    const reasons = Object.entries(m.exits?.byReason ?? {});
    if (reasons.length === 0) continue;
    out += `VM exits by reason, ${m.vmm}${m.ringModel ? ` ${m.ringModel}` : ''}\n`;
    for (const [name, count] of reasons) out += `  ${name.padEnd(28)} ${num(count)}\n`;
  }
  return out;
}

/** Register `vanderpool compare` on the program. */
export function addCompareCommand(program: Command, setExit: (status: number) => void): void {
  program
    .command('compare')
    .description(`run FILE headless under every VMM mode (${VMM_KINDS.join(', ')}; ring models ${RING_MODELS.join(', ')} where implemented) and compare instructions, VM exits by reason, host time and slowdown against the bare machine`)
    .argument('<FILE>', 'the guest: .asm source, Multiboot or ELF kernel, or flat binary (trap-and-emulate runs Multiboot kernels only)')
    .option('--json', 'print the comparison as one JSON object on stdout')
    .option('--memory <MIB>', 'RAM size in MiB (1-2048)', wholeNumber('--memory', 1, 2048), 32)
    .option('--max-instructions <N>', `instruction budget per mode (default ${num(DEFAULT_COMPARE_MAX_INSTRUCTIONS)})`, wholeNumber('--max-instructions', 1, Number.MAX_SAFE_INTEGER), DEFAULT_COMPARE_MAX_INSTRUCTIONS)
    .option('--repeat <N>', 'runs per mode; host time is the smallest (1-20)', wholeNumber('--repeat', 1, 20), 3)
    .option('-I, --include <DIR>', '.asm files: search DIR for %include and incbin (repeatable)', collect)
    .option('-D, --define <NAME[=VALUE]>', '.asm files: predefine a macro (repeatable)', parseDefine)
    .action((file: string, options: CompareOptions) => {
      const report = compareModes(file, options, (text) => process.stderr.write(text));
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatCompareTable(report));
      setExit(EXIT_OK);
    });
}
