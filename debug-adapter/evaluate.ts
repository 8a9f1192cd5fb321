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

/**
 * A breakpoint condition: expressions (`evaluateNumber`) compared with `==`, `!=`, `<`, `<=`,
 * `>`, `>=` (unsigned), joined by `&&` and `||` (`||` binds loosest), or one expression that
 * holds when it is not zero. Operators inside `[…]` or `(…)` belong to the expression.
 * @throws Error naming the expression or operator that cannot be evaluated
 */
export function evaluateCondition(target: Target, text: string): boolean {
  const any = splitTopLevel(text, '||');
  if (any.length > 1) return any.some((part) => evaluateCondition(target, part));
  const all = splitTopLevel(text, '&&');
  if (all.length > 1) return all.every((part) => evaluateCondition(target, part));
  for (const op of ['==', '!=', '<=', '>=', '<', '>'] as const) {
    const sides = splitTopLevel(text, op);
    if (sides.length === 1) continue;
    if (sides.length > 2) throw new AdapterError(`condition '${text}': chain comparisons with && instead of a second '${op}'`);
    const [a, b] = sides.map((side) => {
      if (side.trim() === '') throw new AdapterError(`condition '${text}': '${op}' needs an expression on both sides`);
      return evaluateNumber(target, side);
    });
    switch (op) {
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '<=':
        return a <= b;
      case '>=':
        return a >= b;
      case '<':
        return a < b;
      case '>':
        return a > b;
    }
  }
  return evaluateNumber(target, text) !== 0;
}

/** Split at `op` outside brackets and parentheses ('<' is not matched inside '<=' and so on). */
function splitTopLevel(text: string, op: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (depth === 0 && text.startsWith(op, k)) {
      const next = text[k + op.length];
      const prev = text[k - 1];
      // '<' and '>' alone must not be part of '<=', '>=', '==', '!='.
      if (op.length === 1 && (next === '=' || prev === '<' || prev === '>' || prev === '=' || prev === '!')) continue;
      parts.push(text.slice(from, k));
      from = k + op.length;
      k += op.length - 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
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
