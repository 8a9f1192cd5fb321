/**
 * The `vanderpool` command (package.json `bin`, bundled by esbuild.mjs to dist/cli.js):
 *
 *   vanderpool asm FILE.asm [-o FILE.bin] [-l FILE.lst] [-I DIR]... [-D NAME[=VALUE]]...
 *   vanderpool run [options] [FILE]
 *   vanderpool compare FILE [--json]   (compare-command.ts)
 *
 * Subcommands live in asm-command.ts and run-command.ts. Errors in the command line or the
 * input (unknown option, bad number, missing file, a program that cannot be booted) are
 * one line on stderr and exit status 2, never a stack trace; only a bug in Vanderpool
 * prints a stack trace (exit status 70). Exit statuses: exit-codes.ts.
 */
import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { addAsmCommand } from './asm-command';
import { addCompareCommand } from './compare-command';
import { EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './exit-codes';
import { addRunCommand } from './run-command';
import { UsageError } from './usage-error';

/** Commander's codes for help and version output, which are not errors. */
const INFORMATIONAL = new Set(['commander.helpDisplayed', 'commander.version']);

function buildProgram(setExit: (status: number) => void): Command {
  const program = new Command('vanderpool')
    .description('Vanderpool, an x86 virtualization lab: assemble and run guest programs on an emulated IA-32 PC')
    .version(version, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error:/, 'vanderpool: error:')) });
  addAsmCommand(program, setExit);
  addRunCommand(program, setExit);
  addCompareCommand(program, setExit);
  return program;
}

async function main(argv: string[]): Promise<number> {
  let status = EXIT_OK;
  const program = buildProgram((s) => {
    status = s;
  });
  try {
    await program.parseAsync(argv);
    return status;
  } catch (err) {
    if (err instanceof CommanderError) return INFORMATIONAL.has(err.code) ? EXIT_OK : EXIT_USAGE;
    if (err instanceof UsageError) {
      process.stderr.write(`vanderpool: error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`vanderpool: internal error (a bug in Vanderpool; please report it with this trace):\n${err instanceof Error ? err.stack : String(err)}\n`);
    return EXIT_INTERNAL;
  }
}

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw err;
  });
}

void main(process.argv).then((status) => {
  process.exitCode = status;
});
