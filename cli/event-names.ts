/**
 * Names of delivered events for the trace and the statistics: exceptions by their SDM
 * mnemonic (`#PF`), interrupts by vector (`INT 08h`) — in real mode the BIOS puts IRQ 0 at
 * vector 08h, which is not a double fault there — and `NMI`.
 * @see Intel SDM Vol. 3A §6.3, Table 6-1 (vectors and mnemonics)
 */
import { vectorName } from '../emulator/arch/exceptions';
import type { EventKind } from '../emulator/machine/stats';

/** The display name of an event of `kind` with `vector`. */
export function eventName(kind: EventKind, vector: number): string {
  if (kind === 'exception') return vectorName(vector);
  if (kind === 'nmi') return 'NMI';
  return `INT ${vector.toString(16).toUpperCase().padStart(2, '0')}h`;
}
