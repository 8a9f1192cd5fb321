/**
 * Segment selectors and segment descriptors: pure codecs.
 *
 * Selector:  15            3  2  1 0
 *            |    index     |TI| RPL|
 *
 * Descriptor (8 bytes, little-endian), low dword then high dword:
 *   low : base 15:0 (31:16) | limit 15:0 (15:0)
 *   high: base 31:24 (31:24) | G(23) D/B(22) L(21) AVL(20) | limit 19:16 (19:16)
 *         | P(15) DPL(14:13) S(12) Type(11:8) | base 23:16 (7:0)
 *
 * "Access rights" below are the 16 bits of the high dword 23:8 shifted down by 8
 * (type, S, DPL, P in 7:0; AVL, L, D/B, G in 15:12), the layout the VMCS uses for
 * GUEST_xx_AR_BYTES (SDM Vol. 3C §24.4.1, Table 24-2) so the debugger and VMM share it.
 *
 * @see Intel SDM Vol. 3A §3.4.2 "Segment Selectors", §3.4.5 "Segment Descriptors", §3.5 "System Descriptor Types".
 */

/** Segment-register numbers in the SDM's encoding order (ModRM.reg of MOV Sreg, prefix choice). */
export enum SegReg {
  ES = 0,
  CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5,
}
export const SEGREG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'] as const;

export const SELECTOR_RPL_MASK = 3;
export const SELECTOR_TI = 1 << 2;
export const selectorIndex = (sel: number): number => sel >>> 3;
export const selectorRpl = (sel: number): number => sel & 3;
export const selectorIsLdt = (sel: number): boolean => (sel & SELECTOR_TI) !== 0;
/** A null selector: index 0 in the GDT, any RPL. */
export const selectorIsNull = (sel: number): boolean => (sel & 0xfffc) === 0;

/* Access-rights bits (the descriptor's high dword, bits 23:8, shifted right by 8). */
export const AR_TYPE_MASK = 0xf;
/** Type bit 0: accessed (code/data). */
export const AR_ACCESSED = 1 << 0;
/** Type bit 1: writable (data) / readable (code). */
export const AR_RW = 1 << 1;
/** Type bit 2: expand-down (data) / conforming (code). */
export const AR_DC = 1 << 2;
/** Type bit 3: code (1) or data (0), when S = 1. */
export const AR_CODE = 1 << 3;
/** S: code or data (1) vs system (0). */
export const AR_S = 1 << 4;
export const AR_DPL_SHIFT = 5;
export const AR_DPL_MASK = 3 << 5;
export const AR_P = 1 << 7;
export const AR_AVL = 1 << 12;
export const AR_L = 1 << 13;
export const AR_DB = 1 << 14;
export const AR_G = 1 << 15;
/** VMCS "segment unusable" bit (SDM Vol. 3C Table 24-2); set for a null-selector load in protected mode. */
export const AR_UNUSABLE = 1 << 16;

/** System-descriptor types (S = 0), SDM Vol. 3A Table 3-2. */
export enum SystemType {
  TSS16_AVAILABLE = 1,
  LDT = 2,
  TSS16_BUSY = 3,
  CALL_GATE16 = 4,
  TASK_GATE = 5,
  INTERRUPT_GATE16 = 6,
  TRAP_GATE16 = 7,
  TSS32_AVAILABLE = 9,
  TSS32_BUSY = 11,
  CALL_GATE32 = 12,
  INTERRUPT_GATE32 = 14,
  TRAP_GATE32 = 15,
}

/** A segment descriptor decoded from its two dwords. */
export interface SegmentDescriptor {
  base: number;
  /** Limit in bytes (already scaled by G), as an unsigned 32-bit number. */
  limit: number;
  /** Access rights in the VMCS layout (see the file header). */
  ar: number;
}

/** Decode a code, data or system-segment descriptor (not a gate). */
export function decodeDescriptor(lo: number, hi: number): SegmentDescriptor {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const ar = (hi >>> 8) & 0xf0ff;
  if (ar & AR_G) limit = ((limit << 12) | 0xfff) >>> 0;
  return { base, limit: limit >>> 0, ar };
}

/** Encode a descriptor; `limit` is the raw 20-bit field (in pages when G = 1). Returns [lo, hi]. */
export function encodeDescriptor(base: number, rawLimit: number, ar: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (rawLimit & 0xffff);
  const hi = (base & 0xff000000) | ((ar & 0xf0ff) << 8) | (rawLimit & 0xf0000) | ((base >>> 16) & 0xff);
  return [lo | 0, hi | 0];
}

/** A gate descriptor (call, interrupt, trap or task gate), SDM Vol. 3A §5.8.3 and §6.11. */
export interface GateDescriptor {
  selector: number;
  offset: number;
  /** Parameter count (call gates only, bits 4:0 of byte 4). */
  paramCount: number;
  ar: number;
}

export function decodeGate(lo: number, hi: number): GateDescriptor {
  return {
    selector: lo >>> 16,
    offset: ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0,
    paramCount: hi & 0x1f,
    ar: (hi >>> 8) & 0xff,
  };
}

export const arType = (ar: number): number => ar & AR_TYPE_MASK;
export const arDpl = (ar: number): number => (ar >>> AR_DPL_SHIFT) & 3;
export const arIsCode = (ar: number): boolean => (ar & (AR_S | AR_CODE)) === (AR_S | AR_CODE);
export const arIsData = (ar: number): boolean => (ar & (AR_S | AR_CODE)) === AR_S;
