/**
 * Control-register bits.
 *
 * CR0:  PG(31) CD(30) NW(29) AM(18) WP(16) NE(5) ET(4) TS(3) EM(2) MP(1) PE(0)
 * CR3:  page-directory base (31:12), PCD(4), PWT(3)
 * CR4:  PGE(7) PAE(5) PSE(4) DE(3) TSD(2) PVI(1) VME(0)
 *
 * @see Intel SDM Vol. 3A §2.5 "Control Registers".
 */
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 1 << 31;
/** CR0 bits a MOV to CR0 can set on this model; ET is hard-wired to 1 (Pentium and later). */
export const CR0_WRITABLE = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;
/** CR0 value after RESET: CD and NW set, ET set (SDM Vol. 3A §9.1.1, Table 9-1). */
export const CR0_RESET = CR0_CD | CR0_NW | CR0_ET;

export const CR3_PWT = 1 << 3;
export const CR3_PCD = 1 << 4;
export const CR3_PDB_MASK = 0xfffff000 | 0;

export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_MCE = 1 << 6;
export const CR4_PGE = 1 << 7;
/**
 * CR4 bits this model supports (CPUID.1:EDX reports DE, PSE, TSC, PGE; no VME, PAE or MCE).
 * Setting any other bit is a #GP(0) (SDM Vol. 3A §2.5, "MOV—Move to/from Control Registers").
 */
export const CR4_SUPPORTED = CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE;

/** DR6/DR7 bits (SDM Vol. 3B §18.2). */
export const DR6_B0 = 1 << 0;
export const DR6_BD = 1 << 13;
export const DR6_BS = 1 << 14;
export const DR6_BT = 1 << 15;
/** DR6 reads with bits 31:16 and 11:4 set on Pentium-class processors. */
export const DR6_FIXED1 = 0xffff0ff0 | 0;
export const DR7_GD = 1 << 13;
/** DR7 bit 10 reads as 1. */
export const DR7_FIXED1 = 1 << 10;
