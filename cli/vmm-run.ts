/**
 * `vanderpool run FILE --vmm trap-and-emulate [--ring-model 0/1/3|0/3/3]`: run a guest under the
 * trap-and-emulate VMM (emulator/vmm/trap-and-emulate/vm.ts; issue 5, "The command line and
 * the demo") instead of on the bare machine (`--vmm native`, the default).
 *
 * What the VMM supports today, and so what this command accepts:
 *   - ring models 0/1/3 (the default: the guest kernel deprivileged to ring 1) and 0/3/3 (the
 *     guest kernel in ring 3, protected from its user code by two shadow page tables);
 *   - Multiboot kernels (an .asm source is assembled first), entered in flat 32-bit protected
 *     mode without paging; flat binaries, ELF executables, disk images, --bios, --append and
 *     --trace are rejected (exit 2);
 *   - the VM's devices are a PIC pair, the PIT, COM1 and isa-debug-exit: COM1 goes where
 *     --serial says; there is no debug console, BIOS screen or POST port, so --debugcon,
 *     --video and --post-codes receive nothing.
 * The run ends when the guest writes isa-debug-exit (its status passes through, as on the
 * bare machine), when --max-instructions is reached (exit 6), on Ctrl-C (exit 130), or when
 * the VMM stops the VM (exit 8, EXIT_VMM_STOPPED, with the VMM's message on stderr): an
 * unsupported guest situation such as enabling paging, an exit with no handler, a guest
 * triple fault, or a HLT that nothing can end. The VM reports all of these as one kind of
 * stop with a message, so they share the status.
 *
 * `--stats` prints the instruction count, host and virtual time, the VM exits by reason
 * (formatExitTable) and the guest EIPs that exited most often.
 */
import { SegReg } from '../emulator/arch/segments';
import { formatExitTable, type ExitStats } from '../emulator/vmm/exit-stats';
import { exitCauseLabel } from '../emulator/vmm/exit-cause';
import { TrapAndEmulateVm, type TrapAndEmulateVmOptions, type VmStop } from '../emulator/vmm/trap-and-emulate/vm';
import { VmmUnsupported } from '../emulator/vmm/trap-and-emulate/virtual-delivery';
import type { BootPlan, ProgramOptions } from './boot-program';
import { EXIT_INSTRUCTION_LIMIT, EXIT_INTERRUPTED, EXIT_VMM_STOPPED, guestExitCode } from './exit-codes';
import { UsageError } from './usage-error';

import { RING_MODELS, VMM_KINDS, type RingModel, type VmmKind } from '../emulator/vmm/guest-vm';

/** `--vmm` and `--ring-model` values: emulator/vmm/guest-vm.ts. */
export { RING_MODELS, VMM_KINDS, type RingModel, type VmmKind };

/** How many guest EIPs the `--stats` top list names. */
const TOP_EIPS = 8;
/** Instructions per slice between returns to the event loop (as run-loop.ts). */
const SLICE_INSTRUCTIONS = 1 << 22;
/** Host milliseconds between returns to the event loop. */
const YIELD_MS = 50;

/** The options of `vanderpool run` this file reads. */
export interface VmmOptions {
  vmm?: VmmKind;
  ringModel?: RingModel;
  /** false with `--no-preserve-hidden-state`: the VMM restores segment registers by reloading them after each exit (TrapAndEmulateVm option). */
  preserveHiddenState?: boolean;
}

/**
 * Check `--vmm` and `--ring-model` against each other and the rest of the command line,
 * before anything is read or created.
 * @returns the VMM to use and, for a VMM, its ring model
 * @throws UsageError for --ring-model without a VMM, an unknown ring model, or an option the VMM cannot honour
 */
export function checkVmmOptions(options: VmmOptions & ProgramOptions & { trace?: boolean }): { vmm: 'native' } | { vmm: 'trap-and-emulate'; ringModel: RingModel } {
  const vmm = options.vmm ?? 'native';
  if (vmm === 'native') {
    if (options.ringModel !== undefined) throw new UsageError(`--ring-model ${options.ringModel} applies to a VMM; the bare machine (--vmm native) runs the guest in its own rings (add --vmm trap-and-emulate)`);
    if (options.preserveHiddenState === false) throw new UsageError('--no-preserve-hidden-state applies to a VMM; the bare machine (--vmm native) never saves or reloads segment registers (add --vmm trap-and-emulate)');
    return { vmm };
  }
  const ringModel = options.ringModel ?? '0/1/3';
  if (!(RING_MODELS as readonly string[]).includes(ringModel)) {
    throw new UsageError(`--ring-model ${ringModel} is unknown: --vmm trap-and-emulate implements ring models ${RING_MODELS.join(', ')}`);
  }
  const conflict =
    options.bios !== undefined ? '--bios' : options.boot !== undefined ? '--boot' : options.loadAddress !== undefined ? '--load-address' : options.mode !== undefined ? '--mode' : options.append !== undefined ? '--append' : options.trace ? '--trace' : null;
  if (conflict) throw new UsageError(`${conflict} is not supported with --vmm trap-and-emulate (it runs Multiboot kernels without firmware, command line or trace)`);
  return { vmm, ringModel };
}

/** The boot plan's program must be one the VMM can load: a Multiboot kernel. */
export function checkVmmPlan(plan: BootPlan): asserts plan is Extract<BootPlan, { kind: 'multiboot' }> {
  if (plan.kind !== 'multiboot') throw new UsageError(`--vmm trap-and-emulate runs Multiboot kernels only, and '${plan.file}' is not one (it would boot as ${plan.kind === 'elf' ? 'an ELF executable' : `a ${plan.kind} image`})`);
}

export interface VmRunIo {
  /** Each byte the guest's COM1 transmits. */
  serial: (byte: number) => void;
  /** Vanderpool's messages and the statistics. */
  stderr: (text: string) => void;
  /** Called after every slice (flush the outputs, redraw the progress line). */
  onSlice: (icount: number) => void;
  /** Whether the user asked to stop (checked between slices). */
  interrupted: () => boolean;
}

export interface VmRunOptions {
  memoryMiB: number;
  ringModel: RingModel;
  /** The VM's `preserveHiddenState` (default true). */
  preserveHiddenState?: boolean;
  maxInstructions: number;
  stats: boolean;
}

const num = (n: number): string => n.toLocaleString('en-US');
const hex = (v: number, digits: number): string => (v >>> 0).toString(16).toUpperCase().padStart(digits, '0');

/**
 * Build a trap-and-emulate VM and load the plan's Multiboot kernel into it (used by
 * `run --vmm trap-and-emulate` and by the multi-VM run). Loader warnings go to `stderr`.
 * @param vmOptions the VM's options (memory in MiB, COM1 sink, ring model, hidden-state policy)
 * @returns the loaded VM, not yet run
 * @throws UsageError naming the file when the VM cannot be built (memory size, ring model),
 *   the image needs something the VMM does not virtualize, or the loader rejects it
 */
export function bootTrapAndEmulate(plan: Extract<BootPlan, { kind: 'multiboot' }>, vmOptions: TrapAndEmulateVmOptions, stderr: (text: string) => void): TrapAndEmulateVm {
  let vm: TrapAndEmulateVm;
  try {
    vm = new TrapAndEmulateVm(vmOptions);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`cannot boot '${plan.file}' under the VMM: ${err.message}`);
    throw err;
  }
  let result;
  try {
    result = vm.loadMultiboot(plan.image);
  } catch (err) {
    if (err instanceof VmmUnsupported) throw new UsageError(`cannot boot '${plan.file}' under the VMM: ${err.message}`);
    throw err;
  }
  if (!result.ok) throw new UsageError(`cannot boot '${plan.file}' under the VMM: ${result.error.message}`);
  for (const w of result.image.warnings) stderr(`vanderpool: warning: ${plan.file}: ${w}\n`);
  return vm;
}

/**
 * Build the VM, load the Multiboot kernel into it and run it until it ends (see the file
 * header). Messages go to `io.stderr`; the statistics too, when asked for.
 * @param finish called once the run has ended, before the end message and the statistics (flush the guest's output)
 * @returns the exit status
 * @throws UsageError when the VM cannot be built (memory size) or the loader rejects the image
 */
export async function runTrapAndEmulate(plan: Extract<BootPlan, { kind: 'multiboot' }>, options: VmRunOptions, io: VmRunIo, finish: () => void): Promise<number> {
  const vm = bootTrapAndEmulate(plan, { memoryMiB: options.memoryMiB, serial: io.serial, ringModel: options.ringModel, preserveHiddenState: options.preserveHiddenState ?? true }, io.stderr);

  const cpu = vm.cpu;
  const clock = vm.devices.clock;
  const start = cpu.icount;
  const startNs = clock.now();
  const t0 = performance.now();
  let lastYield = t0;
  let end: { status: number; message: string | null; stopped: string };
  for (;;) {
    const done = cpu.icount - start;
    if (done >= options.maxInstructions) {
      end = { status: EXIT_INSTRUCTION_LIMIT, message: `stopped: --max-instructions ${num(options.maxInstructions)} reached before the guest exited (${where(vm)})`, stopped: '--max-instructions reached' };
      break;
    }
    const stop: VmStop = vm.run(Math.min(SLICE_INSTRUCTIONS, options.maxInstructions - done));
    if (stop.kind === 'exit') {
      end = { status: guestExitCode(stop.status), message: null, stopped: `isa-debug-exit, status ${stop.status}` };
      break;
    }
    if (stop.kind === 'stopped') {
      end = { status: EXIT_VMM_STOPPED, message: `the VMM stopped the VM: ${stop.message} (${where(vm)})`, stopped: `the VMM stopped the VM: ${stop.message}` };
      break;
    }
    // A 'limit' stop also ends a guest idling in HLT: vm.run bounds virtual time by the same budget.
    if (clock.now() - startNs >= options.maxInstructions * clock.nsPerInstruction) {
      end = { status: EXIT_INSTRUCTION_LIMIT, message: `stopped: --max-instructions ${num(options.maxInstructions)} reached before the guest exited (${where(vm)})`, stopped: '--max-instructions reached' };
      break;
    }
    io.onSlice(cpu.icount);
    const now = performance.now();
    if (now - lastYield >= YIELD_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (io.interrupted()) {
      end = { status: EXIT_INTERRUPTED, message: `interrupted (${where(vm)})`, stopped: 'interrupted' };
      break;
    }
  }
  const hostSeconds = (performance.now() - t0) / 1000;
  finish();
  if (end.message) io.stderr(`vanderpool: ${end.message}\n`);
  if (options.stats) io.stderr(formatVmStats(vm, options.ringModel, end.stopped, cpu.icount - start, hostSeconds));
  return end.status;
}

/**
 * Where the guest is, for messages: `after N instructions, guest CS:EIP = 0009:00100234` (CS
 * as the host holds it, RPL 1). Also for a hosted VM that ended: it is not switched out, so
 * its processor holds the guest's last state.
 */
export function where(vm: TrapAndEmulateVm): string {
  const n = vm.cpu.icount;
  return `after ${num(n)} instruction${n === 1 ? '' : 's'}, guest CS:EIP = ${hex(vm.cpu.segs[SegReg.CS].selector, 4)}:${hex(vm.cpu.eip, 8)}`;
}

/** The `--stats` block of a VMM run (lines ending in newlines). */
export function formatVmStats(vm: TrapAndEmulateVm, ringModel: RingModel, stopped: string, instructions: number, hostSeconds: number): string {
  const mips = hostSeconds > 0 ? instructions / hostSeconds / 1e6 : 0;
  const rows: [string, string][] = [
    ['VMM', `trap-and-emulate, ring model ${ringModel}`],
    ['stopped', stopped],
    ['instructions', num(instructions)],
    ['host time', `${hostSeconds.toFixed(3)} s (${mips.toFixed(2)} MIPS)`],
    ['virtual time', `${(vm.devices.clock.now() / 1e6).toFixed(3)} ms`],
    ['VM exits', num(vm.stats.total)],
  ];
  if (!vm.preserveHiddenState) rows.push(['hidden state', `not preserved: ${num(vm.hiddenStateLossCount)} segment register${vm.hiddenStateLossCount === 1 ? '' : 's'} reloaded different from their cache`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const indent = (text: string): string => text.split('\n').map((l) => `  ${l}\n`).join('');
  let out = `vanderpool statistics\n${rows.map(([k, v]) => `  ${k.padEnd(width)} ${v}\n`).join('')}`;
  out += `VM exits by reason\n${indent(formatExitTable(vm.stats, { cost: true }))}`;
  if (vm.stats.total > 0) out += `VM exits by guest EIP (the ${TOP_EIPS} most frequent)\n${indent(formatTopEips(vm.stats, TOP_EIPS))}`;
  return out;
}

/** The `n` guest linear EIPs with the most exits: CS:EIP, count, and the reasons there. */
export function formatTopEips(stats: ExitStats, n: number): string {
  const top = stats
    .eips()
    .sort((a, b) => b.count - a.count || a.linear - b.linear)
    .slice(0, n);
  const rows = top.map((e) => [`${hex(e.cs, 4)}:${hex(e.eip, 8)}`, String(e.count), e.causes.map((c) => `${exitCauseLabel(c.cause)} ${c.count}`).join(', ')]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map((r) => `${r[0].padEnd(w0)}   ${r[1].padStart(w1)}   ${r[2]}`).join('\n');
}
