/**
 * The adapter's one doorway to emulator/inspect (scopes, Bochs-style commands, expressions),
 * so the requests do not depend on how the inspection library is split.
 */
import { evaluateCommand } from '../emulator/inspect/commands';
import { evaluateExpression } from '../emulator/inspect/expression';
import { scopes } from '../emulator/inspect/scopes';
import type { InspectScope } from '../emulator/inspect/tree';
import type { GuestVm } from '../emulator/vmm/guest-vm';

/** The inspection scopes of a stopped guest (registers, segments, control registers, tables, paging, and under a VMM the VMCS and VM exits). */
export function scopesOf(vm: GuestVm): InspectScope[] {
  return scopes(vm);
}

/** An expression's value (uint32). @throws InspectError naming what could not be parsed or read */
export function evaluateNumberOf(vm: GuestVm, text: string, symbols: ReadonlyMap<string, number>): number {
  return evaluateExpression(vm, text, symbols) >>> 0;
}

/** Debug-console output of a Bochs-style command. @throws InspectError for an unknown command or bad arguments */
export function evaluateCommandText(vm: GuestVm, line: string, symbols: ReadonlyMap<string, number>): string {
  return evaluateCommand(vm, line, symbols);
}
