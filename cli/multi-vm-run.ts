/**
 * `vanderpool run A.asm B.asm … --vmm trap-and-emulate` and `vanderpool run A.asm --vms N
 * --vmm trap-and-emulate`: several guests at once, each in its own VM, on the multi-VM host
 * (emulator/vmm/host.ts: round-robin slices of `--slice` instructions, a world switch
 * between slices; issue 5, "Many VMs" and "The command line and the demo").
 *
 *   - VM i is named `vm<i> <file name without extension>`; its COM1 output goes where
 *     --serial says, line by line, each line prefixed `[vm0 hello] ` (prefixed-console.ts).
 *   - Each VM gets --memory MiB of its own; --max-instructions is per VM.
 *   - A VM that ends (isa-debug-exit, a VMM stop, its instruction limit) leaves the schedule
 *     and the others run to their end. Ends other than isa-debug-exit status 1 are reported
 *     on stderr, one line per VM.
 *   - Exit status (`MULTI_VM_EXIT_STATUS_HELP`): 0 when every guest exited through
 *     isa-debug-exit with status 1 (value 0, the examples' success); otherwise the status
 *     of the first VM (in command-line order) that did not, as a single run would give it:
 *     its odd guest status, 8 for a VMM stop, 6 for --max-instructions; 130 on Ctrl-C.
 *   - `--stats`: the host's block (VMs, slice, world switches, host time), then each VM's
 *     statistics and exit table (vmm-run.ts `formatVmStats`).
 * Several VMs need a VMM: with `--vmm native` (the bare machine, which runs one guest that
 * owns the processor) `--vms` and a list of files are usage errors.
 */
import { basename, extname } from 'node:path';
import { Host, type HostedVm } from '../emulator/vmm/host';
import { TrapAndEmulateVm } from '../emulator/vmm/trap-and-emulate/vm';
import { planBoot, type ProgramOptions } from './boot-program';
import { EXIT_INSTRUCTION_LIMIT, EXIT_INTERRUPTED, EXIT_OK, EXIT_VMM_STOPPED, guestExitCode } from './exit-codes';
import { OutputSink } from './output-sink';
import { PrefixedConsole } from './prefixed-console';
import { UsageError } from './usage-error';
import { bootTrapAndEmulate, checkVmmOptions, checkVmmPlan, formatVmStats, where, type VmmOptions } from './vmm-run';

/** Default `--slice`: instructions a VM runs before the host switches to the next. */
export const DEFAULT_SLICE = 100_000;
/** Most VMs one command runs (each has its own RAM). */
export const MAX_VMS = 64;
/** Host milliseconds between returns to the event loop (Ctrl-C, output). */
const YIELD_MS = 50;

/** The exit-status lines added to `vanderpool run --help` for several VMs. */
export const MULTI_VM_EXIT_STATUS_HELP = `
With several VMs (--vms N or several FILEs): 0 when every guest wrote 0 to isa-debug-exit
(status 1); otherwise the status above of the first VM, in command-line order, that did not.`;

export interface MultiVmOptions extends ProgramOptions, VmmOptions {
  memory: number;
  maxInstructions?: number;
  serial: string;
  stats?: boolean;
  trace?: boolean;
  vms?: number;
  slice?: number;
  /** `--no-preserve-hidden-state` (when the command has it): passed to each VM. */
  preserveHiddenState?: boolean;
}

/**
 * Whether the command line asks for several VMs.
 * @throws UsageError for --slice with one VM (it has no one to share the processor with)
 */
export function wantsSeveralVms(files: readonly string[], options: { vms?: number; slice?: number }): boolean {
  const several = files.length > 1 || options.vms !== undefined;
  if (!several && options.slice !== undefined) throw new UsageError('--slice applies to several VMs (--vms N or several FILEs)');
  return several;
}

/**
 * Check the options of a several-VM run before anything is read or created.
 * @returns the files to boot, one per VM, and the ring model
 * @throws UsageError for --vms with several files, either with the bare machine, or --slice with one VM
 */
export function planVms(files: readonly string[], options: MultiVmOptions): { files: string[]; ringModel: NonNullable<VmmOptions['ringModel']> } {
  if ((options.vmm ?? 'native') === 'native') {
    throw new UsageError(`several VMs (${options.vms !== undefined ? `--vms ${options.vms}` : `${files.length} FILEs`}) need a VMM (add --vmm trap-and-emulate): the bare machine (--vmm native) runs one guest, which owns the processor`);
  }
  if (options.vms !== undefined && files.length !== 1) throw new UsageError(`--vms ${options.vms} runs copies of ONE file; give one FILE, or several FILEs without --vms`);
  if (files.length === 0) throw new UsageError('--vms needs a FILE to run');
  const vmm = checkVmmOptions(options);
  if (vmm.vmm === 'native') throw new Error('internal: checkVmmOptions returned native for a VMM');
  const list = options.vms !== undefined ? Array.from({ length: options.vms }, () => files[0]) : [...files];
  if (list.length > MAX_VMS) throw new UsageError(`at most ${MAX_VMS} VMs, not ${list.length}`);
  return { files: list, ringModel: vmm.ringModel };
}

const num = (n: number): string => n.toLocaleString('en-US');

/** The status a single run would give, the message (or none) and the `stopped` line of --stats, for how a VM ended. */
function conclude(h: HostedVm, interrupted: boolean): { status: number; message: string | null; stopped: string } {
  const vm = h.vm as TrapAndEmulateVm;
  const end = h.end;
  if (end === null) {
    return interrupted
      ? { status: EXIT_INTERRUPTED, message: `interrupted (${where(vm)})`, stopped: 'interrupted' }
      : { status: EXIT_VMM_STOPPED, message: `paused (${where(vm)})`, stopped: 'paused' };
  }
  switch (end.kind) {
    case 'exit':
      return { status: guestExitCode(end.status), message: end.status === 1 ? null : `the guest exited through isa-debug-exit with status ${end.status}`, stopped: `isa-debug-exit, status ${end.status}` };
    case 'stopped':
      return { status: EXIT_VMM_STOPPED, message: `the VMM stopped the VM: ${end.message} (${where(vm)})`, stopped: `the VMM stopped the VM: ${end.message}` };
    case 'limit':
      return { status: EXIT_INSTRUCTION_LIMIT, message: `stopped: --max-instructions ${num(end.instructions)} reached before the guest exited (${where(vm)})`, stopped: '--max-instructions reached' };
  }
}

/**
 * Run several VMs (see the file header).
 * @returns the exit status
 * @throws UsageError for bad options or a file that is not a Multiboot kernel the VMM can load
 */
export async function runMultiVmCommand(files: readonly string[], options: MultiVmOptions): Promise<number> {
  const stderr = (text: string): void => {
    process.stderr.write(text);
  };
  const planned = planVms(files, options);
  const slice = options.slice ?? DEFAULT_SLICE;
  const plans = planned.files.map((f) => {
    const plan = planBoot(f, options, stderr);
    checkVmmPlan(plan);
    return plan;
  });
  const serial = OutputSink.open(options.serial, '--serial');
  const consoles: PrefixedConsole[] = [];
  const host = new Host({ sliceInstructions: slice, maxInstructionsPerVm: options.maxInstructions });
  try {
    for (const [i, plan] of plans.entries()) {
      const name = `vm${i} ${basename(plan.file, extname(plan.file))}`;
      const console_ = new PrefixedConsole(`[${name}] `, (text) => serial.writeText(text));
      consoles.push(console_);
      const vm = bootTrapAndEmulate(plan, { memoryMiB: options.memory, serial: (b: number) => console_.writeByte(b), ringModel: planned.ringModel, preserveHiddenState: options.preserveHiddenState ?? true }, stderr);
      host.add(name, vm);
    }

    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
    };
    process.on('SIGINT', onSigint);
    const hostMs = host.vms.map(() => 0);
    const t0 = performance.now();
    let lastYield = t0;
    try {
      for (;;) {
        const ts = performance.now();
        const r = host.runSlice();
        if (r === null) break;
        hostMs[r.hosted.index] += performance.now() - ts;
        if (r.stop.kind === 'request' || r.stop.kind === 'breakpoint' || r.stop.kind === 'io') throw new Error(`internal: VM ${r.hosted.name} stopped for ${r.stop.kind}, which the command line never asks for`);
        if (serial.pending) serial.flush();
        if (performance.now() - lastYield >= YIELD_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        if (interrupted) break;
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    const hostSeconds = (performance.now() - t0) / 1000;
    for (const c of consoles) c.flush();
    serial.flush();

    let status = EXIT_OK;
    const ends = host.vms.map((h) => conclude(h, interrupted));
    for (const [i, h] of host.vms.entries()) {
      const end = ends[i];
      if (end.message) stderr(`vanderpool: ${h.name}: ${end.message}\n`);
      const ok = h.end?.kind === 'exit' && h.end.status === 1;
      if (!ok && status === EXIT_OK) status = end.status;
    }
    if (interrupted) status = EXIT_INTERRUPTED;
    if (options.stats) stderr(formatHostStats(host, ends, hostSeconds, hostMs, planned.ringModel));
    return status;
  } finally {
    for (const c of consoles) c.flush();
    serial.flush();
    serial.close();
  }
}

/** The `--stats` block of a several-VM run: the host's, then each VM's (vmm-run.ts `formatVmStats`, with the host time of its own slices). */
function formatHostStats(host: Host, ends: { stopped: string }[], hostSeconds: number, hostMs: number[], ringModel: NonNullable<VmmOptions['ringModel']>): string {
  const slices = host.vms.reduce((n, h) => n + h.slices, 0);
  const instructions = host.vms.reduce((n, h) => n + h.vm.cpu.icount, 0);
  const rows: [string, string][] = [
    ['VMs', `${host.vms.length}, round-robin`],
    ['slice', `${num(host.sliceInstructions)} instructions`],
    ['slices', num(slices)],
    ['world switches', num(host.worldSwitches)],
    ['instructions', num(instructions)],
    ['host time', `${hostSeconds.toFixed(3)} s (${(hostSeconds > 0 ? instructions / hostSeconds / 1e6 : 0).toFixed(2)} MIPS)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  let out = `vanderpool statistics: host\n${rows.map(([k, v]) => `  ${k.padEnd(width)} ${v}\n`).join('')}`;
  for (const [i, h] of host.vms.entries()) {
    const vm = h.vm as TrapAndEmulateVm;
    const block = formatVmStats(vm, ringModel, ends[i].stopped, vm.cpu.icount, hostMs[i] / 1000).replace(/^vanderpool statistics\n/, `vanderpool statistics: ${h.name}\n`);
    out += block;
    if (h.hiddenStateLossCount > 0) out += `  hidden segment state lost at world switches: ${num(h.hiddenStateLossCount)} register reloads\n`;
  }
  return out;
}
