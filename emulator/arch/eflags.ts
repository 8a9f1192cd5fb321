/**
 * EFLAGS bits.
 *
 *   31      22 21 20  19  18 17 16 15 14 13-12 11 10  9  8  7  6  5  4  3  2  1  0
 *   reserved | ID|VIP|VIF|AC|VM|RF| 0|NT|IOPL|OF|DF|IF|TF|SF|ZF| 0|AF| 0|PF| 1|CF
 *
 * @see Intel SDM Vol. 1 §3.4.3 "EFLAGS Register"; Vol. 3A §2.3 "System Flags and Fields in the EFLAGS Register".
 */
export const EFLAGS_CF = 1 << 0;
export const EFLAGS_FIXED1 = 1 << 1; // always reads as 1
export const EFLAGS_PF = 1 << 2;
export const EFLAGS_AF = 1 << 4;
export const EFLAGS_ZF = 1 << 6;
export const EFLAGS_SF = 1 << 7;
export const EFLAGS_TF = 1 << 8;
export const EFLAGS_IF = 1 << 9;
export const EFLAGS_DF = 1 << 10;
export const EFLAGS_OF = 1 << 11;
export const EFLAGS_IOPL = 3 << 12;
export const EFLAGS_IOPL_SHIFT = 12;
export const EFLAGS_NT = 1 << 14;
export const EFLAGS_RF = 1 << 16;
export const EFLAGS_VM = 1 << 17;
export const EFLAGS_AC = 1 << 18;
export const EFLAGS_VIF = 1 << 19;
export const EFLAGS_VIP = 1 << 20;
export const EFLAGS_ID = 1 << 21;

/** The six status flags written by arithmetic (OF SF ZF AF PF CF). */
export const EFLAGS_STATUS = EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF;

/**
 * Bits software can change at all on this CPU model (a Pentium-class IA-32 without VME):
 * status flags, TF, IF, DF, IOPL, NT, RF, VM, AC and ID. VIF/VIP need CR4.VME/PVI, which we do not offer.
 */
export const EFLAGS_WRITABLE =
  EFLAGS_STATUS | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_IOPL | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM | EFLAGS_AC | EFLAGS_ID;
