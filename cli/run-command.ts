/**
 * `vanderpool run [FILE]`: boot a program on a Vanderpool PC (emulator/machine/machine.ts)
 * and run it until it exits through isa-debug-exit, halts for good, shuts down, or reaches
 * `--max-instructions`. What FILE can be is described in boot-program.ts; the exit
 * statuses in exit-codes.ts (and `vanderpool run --help`).
 *
 * Standard output carries exactly what the guest sends to COM1 (as QEMU's `-serial stdio`
 * shows it); the debug console (port E9h) and the BIOS's screen output (INT 10h teletype,
 * "No bootable device.") go to stderr unless told otherwise; Vanderpool's own messages,
 * the trace and the statistics go to stderr; POST codes (port 80h) are shown on request.
 */
import { Command, Option } from 'commander';
import type { IcedModule } from '../emulator/cpu/disasm';
import { SegReg } from '../emulator/arch/segments';
import type { Machine } from '../emulator/machine/machine';
import { bootMachine, describePlan, planBoot, type ProgramOptions } from './boot-program';
import {
  EXIT_INSTRUCTION_LIMIT,
  EXIT_INTERNAL,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_TRIPLE_FAULT,
  guestExitCode,
  RUN_EXIT_STATUS_HELP,
} from './exit-codes';
import { OutputSink } from './output-sink';
import { ProgressLine, progressWanted } from './progress';
import { runMachine, type RunOutcome } from './run-loop';
import { formatStats, UnassignedTally } from './stats-report';
import { Tracer } from './tracer';
import { collect, parseDefine, wholeNumber } from './usage-error';
import { checkVmmOptions, checkVmmPlan, RING_MODELS, runTrapAndEmulate, VMM_KINDS, type VmmOptions } from './vmm-run';
import { DEFAULT_SLICE, MAX_VMS, MULTI_VM_EXIT_STATUS_HELP, runMultiVmCommand, wantsSeveralVms } from './multi-vm-run';

export interface RunCommandOptions extends ProgramOptions, VmmOptions {
  memory: number;
  maxInstructions?: number;
  serial: string;
  debugcon: string;
  video: string;
  postCodes: string;
  trace?: boolean;
  traceFile?: string;
  traceRegs?: boolean;
  stats?: boolean;
  progress: boolean;
  /** `--vms N`: N copies of FILE, each in its own VM (multi-vm-run.ts). */
  vms?: number;
  /** `--slice N`: instructions per VM slice with several VMs. */
  slice?: number;
}

const stderr = (text: string): void => {
  process.stderr.write(text);
};

/** Where the CPU is, for messages: `CS:EIP = 0010:00100234`. */
function location(machine: Machine): string {
  const cpu = machine.cpu;
  const cs = cpu.segs[SegReg.CS];
  const eip = cs.big ? cpu.eip.toString(16).toUpperCase().padStart(8, '0') : cpu.eip.toString(16).toUpperCase().padStart(4, '0');
  return `CS:EIP = ${cs.selector.toString(16).toUpperCase().padStart(4, '0')}:${eip}`;
}

/** The message (or none) and exit status for how the run ended. */
function conclude(outcome: RunOutcome, machine: Machine, options: RunCommandOptions): { message: string | null; status: number; stopped: string } {
  const n = machine.cpu.icount;
  const where = `after ${n.toLocaleString('en-US')} instruction${n === 1 ? '' : 's'}, ${location(machine)}`;
  switch (outcome.kind) {
    case 'exit':
      return { message: null, status: guestExitCode(outcome.status), stopped: `isa-debug-exit, status ${outcome.status}` };
    case 'halted':
      return { message: `the guest halted for good: ${outcome.reason} (${where})`, status: EXIT_OK, stopped: 'halted' };
    case 'shutdown': {
      const reason = outcome.reason.replace(/^triple fault: /, '');
      return { message: `triple fault: the processor shut down: ${reason} (${where})`, status: EXIT_TRIPLE_FAULT, stopped: 'triple fault' };
    }
    case 'limit':
      return {
        message: `stopped: --max-instructions ${options.maxInstructions!.toLocaleString('en-US')} reached before the guest exited (${where})`,
        status: EXIT_INSTRUCTION_LIMIT,
        stopped: '--max-instructions reached',
      };
    case 'interrupted':
      return { message: `interrupted (${where})`, status: EXIT_INTERRUPTED, stopped: 'interrupted' };
    case 'unexpected':
      return { message: `internal error: the machine stopped for a reason the command line never asks for: ${JSON.stringify(outcome.stop)} (${where})`, status: EXIT_INTERNAL, stopped: outcome.stop.kind };
  }
}

/**
 * Run `vanderpool run` with parsed options.
 * @returns the exit status
 * @throws UsageError for bad input (reported by the caller with exit status 2)
 */
export async function runRunCommand(file: string | undefined, options: RunCommandOptions): Promise<number> {
  const tracing = options.trace === true || options.traceFile !== undefined || options.traceRegs === true;
  // Decide what to boot first: bad input must not create or truncate any output file.
  const vmm = checkVmmOptions(options);
  const plan = planBoot(file, options, stderr);
  if (vmm.vmm !== 'native') checkVmmPlan(plan);
  const serial = OutputSink.open(options.serial, '--serial');
  const debugcon = OutputSink.open(options.debugcon, '--debugcon');
  const video = OutputSink.open(options.video, '--video');
  const post = OutputSink.open(options.postCodes, '--post-codes');
  const traceOut = tracing ? OutputSink.open(options.traceFile ?? 'stderr', '--trace-file') : null;
  const sinks = [serial, debugcon, video, post, ...(traceOut ? [traceOut] : [])];
  const progress = new ProgressLine(progressWanted(options.progress) && !(traceOut?.isStderr ?? false), stderr);
  const flush = (): void => {
    progress.clear();
    for (const s of sinks) s.flush();
  };

  let tracer: Tracer | null = null;
  try {
    if (vmm.vmm === 'trap-and-emulate') {
      checkVmmPlan(plan);
      let interrupted = false;
      const onSigint = (): void => {
        interrupted = true;
      };
      process.on('SIGINT', onSigint);
      try {
        return await runTrapAndEmulate(
          plan,
          { memoryMiB: options.memory, ringModel: vmm.ringModel, preserveHiddenState: options.preserveHiddenState ?? true, maxInstructions: options.maxInstructions ?? Infinity, stats: options.stats === true },
          {
            serial: (b) => serial.writeByte(b),
            stderr,
            onSlice: (icount) => {
              if (sinks.some((s) => s.pending)) flush();
              progress.update(icount, sinks.every((s) => s.atLineStart));
            },
            interrupted: () => interrupted,
          },
          flush,
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    }
    const machine = bootMachine(
      plan,
      {
        memoryMiB: options.memory,
        serial: (b) => serial.writeByte(b),
        debugConsole: (b) => debugcon.writeByte(b),
        video: (b) => video.writeByte(b),
        postCode: post.discards ? undefined : (code) => post.writeText(`POST ${code.toString(16).toUpperCase().padStart(2, '0')}h\n`),
      },
      (w) => stderr(`vanderpool: warning: ${w}\n`),
    );
    const unassigned = new UnassignedTally();
    machine.onUnassigned = (a) => unassigned.record(a);
    if (traceOut) {
      const iced = (await import('iced-x86')) as IcedModule;
      tracer = new Tracer(machine, iced, traceOut, { registers: options.traceRegs === true });
      traceOut.writeText(`vanderpool trace: ${describePlan(plan)}\n`);
      tracer.header();
    }

    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
    };
    process.on('SIGINT', onSigint);
    const t0 = performance.now();
    let outcome: RunOutcome;
    try {
      const t = tracer;
      outcome = await runMachine(machine, {
        maxInstructions: options.maxInstructions ?? Infinity,
        step: t ? () => t.step() : undefined,
        onSlice: () => {
          if (sinks.some((s) => s.pending)) flush();
          progress.update(machine.cpu.icount, sinks.every((s) => s.atLineStart));
        },
        interrupted: () => interrupted,
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
    const hostSeconds = (performance.now() - t0) / 1000;
    flush();

    const end = conclude(outcome, machine, options);
    if (end.message) stderr(`vanderpool: ${end.message}\n`);
    if (options.stats) {
      const postCodes = { count: machine.postPort.count, last: machine.postPort.last };
      stderr(formatStats({ snapshot: machine.stats.snapshot(), hostSeconds, unassigned, stopped: end.stopped, postCodes }));
    }
    return end.status;
  } finally {
    tracer?.dispose();
    flush();
    for (const s of sinks) s.close();
  }
}

/** Add the `run` subcommand to the program; `setExit` receives its exit status. */
export function addRunCommand(program: Command, setExit: (status: number) => void): void {
  program
    .command('run')
    .description('boot a program on an emulated PC: an .asm source (assembled first), a Multiboot or ELF kernel, a flat binary, or a disk image')
    .argument('[FILE...]', 'the program (omit it with --bios); several FILEs with --vmm trap-and-emulate run at once, one VM each')
    .addOption(new Option('--boot <KIND>', 'boot FILE as a disk image through the BIOS (floppy: drive 00h, padded to 1.44 MB; hdd: drive 80h)').choices(['floppy', 'hdd']))
    .addOption(new Option('--vmm <KIND>', 'run the guest on the bare machine (native) or under the trap-and-emulate VMM, which runs Multiboot kernels without paging; its COM1 goes where --serial says').choices([...VMM_KINDS]).default('native'))
    .addOption(new Option('--ring-model <MODEL>', `--vmm trap-and-emulate: rings of the guest kernel/user code (default 0/1/3: the guest kernel in ring 1; 0/3/3: in ring 3, with a kernel and a user shadow page table)`).choices([...RING_MODELS]))
    .option('--no-preserve-hidden-state', '--vmm trap-and-emulate: after each VM exit restore the segment registers by reloading them from the descriptor tables, as a VMM before VT had to (a segment whose descriptor changed since it was loaded comes back different)')
    .option('--memory <MIB>', 'RAM size in MiB (1-2048)', wholeNumber('--memory', 1, 2048), 32)
    .option('--vms <N>', `--vmm trap-and-emulate: run N copies of FILE at once, each in its own VM (1-${MAX_VMS}); COM1 lines are prefixed [vm0 NAME]`, wholeNumber('--vms', 1, MAX_VMS))
    .option('--slice <N>', `several VMs: instructions each VM runs before the host switches to the next (default ${DEFAULT_SLICE.toLocaleString('en-US')})`, wholeNumber('--slice', 1, Number.MAX_SAFE_INTEGER))
    .option('--bios <FILE>', 'run this firmware ROM (binary or .asm, a multiple of 64 KiB) from the reset vector instead of the built-in BIOS')
    .option('--max-instructions <N>', 'stop after N instructions or the virtual time N instructions take (a guest idling in HLT), exit status 6 (default: no limit)', wholeNumber('--max-instructions', 1, Number.MAX_SAFE_INTEGER))
    .option('--serial <DEST>', 'COM1 output: stdio, stderr, none or a file name', 'stdio')
    .option('--debugcon <DEST>', 'port E9h debug-console output: stdio, stderr, none or a file name', 'stderr')
    .option('--video <DEST>', 'BIOS screen output (INT 10h teletype, boot messages): stdio, stderr, none or a file name', 'stderr')
    .option('--post-codes <DEST>', 'POST codes written to port 80h, one line each (POST 11h): stdio, stderr, none or a file name', 'none')
    .option('--trace', 'print each instruction before it executes (count, CS:EIP, bytes, iced-x86 disassembly) and each event, on stderr')
    .addOption(new Option('--trace-file <FILE>', 'write the trace to FILE instead of stderr').implies({ trace: true }))
    .addOption(new Option('--trace-regs', 'add the general registers and EFLAGS to each trace line').implies({ trace: true }))
    .option('--stats', 'print statistics on stderr at the end: instructions, MIPS, exceptions and interrupts by vector, unassigned accesses; under a VMM, the VM exits by reason and the guest EIPs that exit most')
    .option('--no-progress', 'no progress line (it is drawn only when stderr is a terminal and CI is not set)')
    .option('--load-address <ADDR>', 'flat binaries: physical load and entry address (default: the .asm org if non-zero, else 0x7C00)', wholeNumber('--load-address', 0, 0xffffffff))
    .addOption(new Option('--mode <MODE>', 'flat binaries: enter in real mode (CS:IP = 0:address) or flat 32-bit protected mode (default real)').choices(['real', 'protected']))
    .option('--append <TEXT>', 'Multiboot kernels: the command line passed in the information structure')
    .option('-I, --include <DIR>', '.asm files: search DIR for %include and incbin (repeatable)', collect)
    .option('-D, --define <NAME[=VALUE]>', '.asm files: predefine a macro (repeatable)', parseDefine)
    .addHelpText('after', RUN_EXIT_STATUS_HELP + MULTI_VM_EXIT_STATUS_HELP)
    .action(async (files: string[], options: RunCommandOptions) => {
      if (wantsSeveralVms(files, options)) setExit(await runMultiVmCommand(files, options));
      else setExit(await runRunCommand(files[0], options));
    });
}
