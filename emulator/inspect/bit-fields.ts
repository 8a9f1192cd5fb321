/**
 * The named bit fields of the registers and entries the debugger decodes, with the SDM's
 * names, in bit order.
 *
 * @see Intel SDM Vol. 1 §3.4.3 "EFLAGS Register"; Vol. 3A §2.5 "Control Registers"
 *      (Figure 2-7), §3.4.2 "Segment Selectors", §3.4.5 "Segment Descriptors",
 *      §4.3 "32-Bit Paging" (Tables 4-4 to 4-6); Vol. 3B §18.2 "Debug Registers".
 */
import type { BitField } from './format';

/** EFLAGS, SDM Vol. 1 §3.4.3 (Figure 3-8). */
export const EFLAGS_FIELDS: readonly BitField[] = [
  { name: 'CF', shift: 0, meaning: 'carry' },
  { name: 'PF', shift: 2, meaning: 'parity' },
  { name: 'AF', shift: 4, meaning: 'auxiliary carry' },
  { name: 'ZF', shift: 6, meaning: 'zero' },
  { name: 'SF', shift: 7, meaning: 'sign' },
  { name: 'TF', shift: 8, meaning: 'trap' },
  { name: 'IF', shift: 9, meaning: 'interrupt enable' },
  { name: 'DF', shift: 10, meaning: 'direction' },
  { name: 'OF', shift: 11, meaning: 'overflow' },
  { name: 'IOPL', shift: 12, width: 2, meaning: 'I/O privilege level' },
  { name: 'NT', shift: 14, meaning: 'nested task' },
  { name: 'RF', shift: 16, meaning: 'resume' },
  { name: 'VM', shift: 17, meaning: 'virtual-8086 mode' },
  { name: 'AC', shift: 18, meaning: 'alignment check' },
  { name: 'VIF', shift: 19, meaning: 'virtual interrupt' },
  { name: 'VIP', shift: 20, meaning: 'virtual interrupt pending' },
  { name: 'ID', shift: 21, meaning: 'CPUID available' },
];

/** CR0, SDM Vol. 3A §2.5. */
export const CR0_FIELDS: readonly BitField[] = [
  { name: 'PE', shift: 0, meaning: 'protection enable' },
  { name: 'MP', shift: 1, meaning: 'monitor coprocessor' },
  { name: 'EM', shift: 2, meaning: 'emulation' },
  { name: 'TS', shift: 3, meaning: 'task switched' },
  { name: 'ET', shift: 4, meaning: 'extension type' },
  { name: 'NE', shift: 5, meaning: 'numeric error' },
  { name: 'WP', shift: 16, meaning: 'write protect' },
  { name: 'AM', shift: 18, meaning: 'alignment mask' },
  { name: 'NW', shift: 29, meaning: 'not write-through' },
  { name: 'CD', shift: 30, meaning: 'cache disable' },
  { name: 'PG', shift: 31, meaning: 'paging' },
];

/** CR3 without PAE, SDM Vol. 3A §4.3 (Table 4-3). */
export const CR3_FIELDS: readonly BitField[] = [
  { name: 'PWT', shift: 3, meaning: 'page-level write-through' },
  { name: 'PCD', shift: 4, meaning: 'page-level cache disable' },
];

/**
 * CR4, SDM Vol. 3A §2.5. PCE (bit 8), OSFXSR (9) and OSXMMEXCPT (10) have no constant in
 * arch/control-registers.ts because this CPU model does not support them (they can never be
 * set); they are listed so the register reads as the SDM draws it.
 */
export const CR4_FIELDS: readonly BitField[] = [
  { name: 'VME', shift: 0, meaning: 'virtual-8086 mode extensions' },
  { name: 'PVI', shift: 1, meaning: 'protected-mode virtual interrupts' },
  { name: 'TSD', shift: 2, meaning: 'time stamp disable' },
  { name: 'DE', shift: 3, meaning: 'debugging extensions' },
  { name: 'PSE', shift: 4, meaning: 'page size extensions' },
  { name: 'PAE', shift: 5, meaning: 'physical address extension' },
  { name: 'MCE', shift: 6, meaning: 'machine-check enable' },
  { name: 'PGE', shift: 7, meaning: 'page global enable' },
  { name: 'PCE', shift: 8, meaning: 'performance-monitoring counter enable' },
  { name: 'OSFXSR', shift: 9, meaning: 'OS support for FXSAVE/FXRSTOR' },
  { name: 'OSXMMEXCPT', shift: 10, meaning: 'OS support for unmasked SIMD exceptions' },
];

/** DR6, SDM Vol. 3B §18.2.3. */
export const DR6_FIELDS: readonly BitField[] = [
  { name: 'B0', shift: 0 },
  { name: 'B1', shift: 1 },
  { name: 'B2', shift: 2 },
  { name: 'B3', shift: 3 },
  { name: 'BD', shift: 13, meaning: 'debug register access detected' },
  { name: 'BS', shift: 14, meaning: 'single step' },
  { name: 'BT', shift: 15, meaning: 'task switch' },
];

/** DR7, SDM Vol. 3B §18.2.4. */
export const DR7_FIELDS: readonly BitField[] = [
  { name: 'L0', shift: 0 },
  { name: 'G0', shift: 1 },
  { name: 'L1', shift: 2 },
  { name: 'G1', shift: 3 },
  { name: 'L2', shift: 4 },
  { name: 'G2', shift: 5 },
  { name: 'L3', shift: 6 },
  { name: 'G3', shift: 7 },
  { name: 'LE', shift: 8 },
  { name: 'GE', shift: 9 },
  { name: 'GD', shift: 13, meaning: 'general detect' },
  { name: 'R/W0', shift: 16, width: 2 },
  { name: 'LEN0', shift: 18, width: 2 },
  { name: 'R/W1', shift: 20, width: 2 },
  { name: 'LEN1', shift: 22, width: 2 },
  { name: 'R/W2', shift: 24, width: 2 },
  { name: 'LEN2', shift: 26, width: 2 },
  { name: 'R/W3', shift: 28, width: 2 },
  { name: 'LEN3', shift: 30, width: 2 },
];

/** Segment selector, SDM Vol. 3A §3.4.2 (Figure 3-6). */
export const SELECTOR_FIELDS: readonly BitField[] = [
  { name: 'index', shift: 3, width: 13 },
  { name: 'TI', shift: 2, meaning: 'table indicator: 0 GDT, 1 LDT' },
  { name: 'RPL', shift: 0, width: 2, meaning: 'requested privilege level' },
];

/** Page-directory entry, SDM Vol. 3A §4.3 (Tables 4-5, 4-6): bit 7 is PS. */
export const PDE_FIELDS: readonly BitField[] = [
  { name: 'P', shift: 0, meaning: 'present' },
  { name: 'RW', shift: 1, meaning: 'read/write' },
  { name: 'US', shift: 2, meaning: 'user/supervisor' },
  { name: 'PWT', shift: 3, meaning: 'page-level write-through' },
  { name: 'PCD', shift: 4, meaning: 'page-level cache disable' },
  { name: 'A', shift: 5, meaning: 'accessed' },
  { name: 'D', shift: 6, meaning: 'dirty (4-MiB page only)' },
  { name: 'PS', shift: 7, meaning: 'page size: 4 MiB' },
  { name: 'G', shift: 8, meaning: 'global (4-MiB page only)' },
];

/** Page-table entry, SDM Vol. 3A §4.3 (Table 4-6): bit 7 is PAT. */
export const PTE_FIELDS: readonly BitField[] = [
  { name: 'P', shift: 0, meaning: 'present' },
  { name: 'RW', shift: 1, meaning: 'read/write' },
  { name: 'US', shift: 2, meaning: 'user/supervisor' },
  { name: 'PWT', shift: 3, meaning: 'page-level write-through' },
  { name: 'PCD', shift: 4, meaning: 'page-level cache disable' },
  { name: 'A', shift: 5, meaning: 'accessed' },
  { name: 'D', shift: 6, meaning: 'dirty' },
  { name: 'PAT', shift: 7, meaning: 'page attribute table' },
  { name: 'G', shift: 8, meaning: 'global' },
];
