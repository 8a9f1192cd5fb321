/**
 * Register names the assembler knows, numbered as ModRM encodes them (SDM Vol.2 §2.1.3,
 * Table 2-1/2-2 "reg" field; Table 3-1 for segment registers).
 */

export type RegClass = 'r8' | 'r16' | 'r32' | 'sreg' | 'creg' | 'dreg' | 'treg';

export interface Register {
  name: string;
  cls: RegClass;
  /** Number in the ModRM reg/rm field. */
  num: number;
  /** Width in bytes (general and segment registers). */
  size: number;
}

const TABLE = new Map<string, Register>();

function add(cls: RegClass, size: number, names: string[]): void {
  names.forEach((name, num) => TABLE.set(name, { name, cls, num, size }));
}

add('r8', 1, ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh']);
add('r16', 2, ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di']);
add('r32', 4, ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi']);
add('sreg', 2, ['es', 'cs', 'ss', 'ds', 'fs', 'gs']);
add('creg', 4, ['cr0', 'cr1', 'cr2', 'cr3', 'cr4', 'cr5', 'cr6', 'cr7']);
add('dreg', 4, ['dr0', 'dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr6', 'dr7']);
add('treg', 4, ['tr0', 'tr1', 'tr2', 'tr3', 'tr4', 'tr5', 'tr6', 'tr7']);

/** Every register the assembler knows, in class order then ModRM number (for the grammar generator and the language server). */
export function allRegisters(): Register[] {
  return [...TABLE.values()];
}

/** Looks a register up by name (case-insensitive). */
export function lookupRegister(name: string): Register | undefined {
  return TABLE.get(name.toLowerCase());
}

/** Segment-override prefix bytes indexed by segment register number (SDM Vol.2 §2.1.1). */
export const SEGMENT_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65] as const;
