/**
 * Exit statuses of the `vanderpool` command.
 *
 * `vanderpool run` passes the guest's isa-debug-exit status through. QEMU's device makes
 * that status `(value << 1) | 1` (QEMU hw/misc/debugexit.c), so it is always odd; every
 * status Vanderpool chooses itself is even, and a script can tell them apart. The operating
 * system keeps only the low 8 bits of an exit status, so a guest status is reported `& 0xFF`.
 */

/** `asm`: assembled without errors. `run`: the guest halted for good without using isa-debug-exit. */
export const EXIT_OK = 0;
/** `asm`: the source has errors (as nasm exits). Never used by `run`, where 1 is a guest status. */
export const EXIT_ASSEMBLY_ERRORS = 1;
/** Bad command line or input: unknown option, bad number, missing file, image that cannot be booted, source with errors (`run`). */
export const EXIT_USAGE = 2;
/** `run`: triple fault (the processor entered the shutdown state). */
export const EXIT_TRIPLE_FAULT = 4;
/** `run`: `--max-instructions` instructions retired and the guest had not exited. */
export const EXIT_INSTRUCTION_LIMIT = 6;
/**
 * `run --vmm trap-and-emulate`: the VMM stopped the VM (message on stderr): the guest did
 * something the VMM does not support yet (e.g. enable paging), an exit had no handler, the
 * guest triple-faulted, or it halted with nothing to wake it.
 */
export const EXIT_VMM_STOPPED = 8;
/** An internal error of Vanderpool (a bug: please report it with the stack trace printed). */
export const EXIT_INTERNAL = 70;
/** `run`: interrupted by SIGINT (Ctrl-C), 128 + 2 as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** Standard output or error was closed under us (the reader of a pipe quit): 128 + SIGPIPE. */
export const EXIT_BROKEN_PIPE = 141;

/** The exit status for an isa-debug-exit status. */
export function guestExitCode(status: number): number {
  return status & 0xff;
}

/** The table printed at the end of `vanderpool run --help`. */
export const RUN_EXIT_STATUS_HELP = `
Exit status:
  odd 1-255  the guest wrote V to isa-debug-exit (port 0xF4): status (V << 1) | 1, low 8 bits
  0          the guest halted for good (HLT that nothing can end) without isa-debug-exit
  2          bad command line or input (message on stderr)
  4          triple fault: the processor shut down (reported on stderr)
  6          --max-instructions reached before the guest exited (reported on stderr)
  8          --vmm trap-and-emulate: the VMM stopped the VM (its message on stderr): a guest
             situation it does not support yet (e.g. enabling paging), an exit with no
             handler, a guest triple fault, or a HLT nothing can end
  70         internal error in Vanderpool
  130        interrupted (Ctrl-C)
  141        standard output or error was closed (the reader of a pipe quit)`;

/** The table printed at the end of `vanderpool asm --help`. */
export const ASM_EXIT_STATUS_HELP = `
Exit status:
  0  assembled (warnings may have been printed)
  1  the source has errors; no output or listing file is written (an old one is removed, as nasm does)
  2  bad command line, or FILE cannot be read`;
