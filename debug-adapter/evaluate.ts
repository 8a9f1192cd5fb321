/**
 * `evaluate`: the debug console runs Bochs-style commands (`info gdt`, `sreg`, `creg`,
 * `page LADDR`, `x /nuf LADDR`, `xp /nuf PADDR`, `vmcs [FIELD]`, `exits`, `help`:
 * emulator/inspect/commands.ts `evaluateCommand`); hovers, watches and breakpoint conditions
 * evaluate expressions (registers, numbers, symbols, + - *, [addr]: `evaluateExpression`).
 * Both read the guest through emulator/inspect; this file only picks the one the context
 * asks for and shapes the answer.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { evaluateCommandText, evaluateNumberOf } from './inspect-bridge';
import { memoryReference } from '../emulator/inspect/guest-memory';
import { AdapterError, hex32 } from './errors';
import type { Target } from './launch';

/** Symbols of the target's program, for expressions (`puts`, `stack_top`). */
function symbolsOf(target: Target): Map<string, number> {
  return target.sources?.symbolValues() ?? new Map();
}

/**
 * Evaluate an expression to a number (uint32).
 * @throws Error (InspectError) naming the problem in the expression
 */
export function evaluateNumber(target: Target, text: string): number {
  return evaluateNumberOf(target.vm, text, symbolsOf(target)) >>> 0;
}

/** Answer `evaluate` for a stopped target. */
export function evaluate(target: Target, args: DebugProtocol.EvaluateArguments): DebugProtocol.EvaluateResponse['body'] {
  const text = args.expression.trim();
  if (args.context === 'repl' && !/^[=?]/.test(text)) {
    try {
      return { result: evaluateCommandText(target.vm, text, symbolsOf(target)), variablesReference: 0 };
    } catch (e) {
      throw new AdapterError((e as Error).message);
    }
  }
  const expr = text.replace(/^[=?]\s*/, '');
  let value: number;
  try {
    value = evaluateNumber(target, expr);
  } catch (e) {
    throw new AdapterError((e as Error).message);
  }
  return { result: `${hex32(value)} (${value})`, type: 'u32', variablesReference: 0, memoryReference: memoryReference('lin', value) };
}
