/**
 * Errors in what the user gave the command line (an option value, a file), reported as one
 * line `vanderpool: error: …` and exit status 2, never as a stack trace; and the parsers
 * for option values that raise them.
 */
import { InvalidArgumentError } from 'commander';

/** A problem with the command line or its input files; `message` names the problem. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parse a whole number given on the command line: decimal (`1000000`, `1_000_000`),
 * hexadecimal (`0x7C00`) or scientific notation with an integral value (`1e9`, `2.5e6`).
 * @param text the option's value
 * @param what how the help names the option, for the message (`--memory`)
 * @param min smallest value allowed
 * @param max largest value allowed
 * @throws InvalidArgumentError (commander reports it with the option's name, exit 2)
 */
export function parseWholeNumber(text: string, what: string, min: number, max: number): number {
  const t = text.trim().replace(/_/g, '');
  let value = NaN;
  if (/^0x[0-9a-f]+$/i.test(t)) value = parseInt(t.slice(2), 16);
  else if (/^\d+$/.test(t)) value = Number(t);
  else if (/^\d+(\.\d+)?e\d+$/i.test(t)) value = Number(t);
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`${what} needs a whole number (decimal, 0x hex or like 1e9), not '${text}'`);
  }
  if (value < min || value > max) {
    throw new InvalidArgumentError(`${what} must be from ${min} to ${max}, not ${value}`);
  }
  return value;
}

/** A commander option parser for `parseWholeNumber`. */
export function wholeNumber(what: string, min: number, max: number): (text: string) => number {
  return (text) => parseWholeNumber(text, what, min, max);
}

/** Collect a repeatable option's values (`-I a -I b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Parse a `-D NAME[=VALUE]` option into a predefined single-line macro, as nasm does:
 * `-DNAME` defines NAME with an empty value.
 * @throws InvalidArgumentError when NAME is not an identifier
 */
export function parseDefine(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (!/^[A-Za-z_.?$][A-Za-z0-9_$#@~.?]*$/.test(name)) {
    throw new InvalidArgumentError(`'${name}' is not a macro name (-D NAME or -D NAME=VALUE)`);
  }
  return { ...previous, [name]: value };
}
