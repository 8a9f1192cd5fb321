/**
 * 32-bit paging-structure entries (no PAE).
 *
 *   PDE (4 KiB table): addr 31:12 | AVL 11:9 | G 8 (ignored) | PS=0 7 | 0 6 | A 5 | PCD 4 | PWT 3 | U/S 2 | R/W 1 | P 0
 *   PDE (4 MiB page):  addr 31:22 | reserved 21:13 | PAT 12 | AVL 11:9 | G 8 | PS=1 7 | D 6 | A 5 | PCD 4 | PWT 3 | U/S 2 | R/W 1 | P 0
 *   PTE:               addr 31:12 | AVL 11:9 | G 8 | PAT 7 | D 6 | A 5 | PCD 4 | PWT 3 | U/S 2 | R/W 1 | P 0
 *
 * @see Intel SDM Vol. 3A §4.3 "32-Bit Paging", Tables 4-4 to 4-6 and Figure 4-4.
 */
export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_PWT = 1 << 3;
export const PTE_PCD = 1 << 4;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
export const PTE_G = 1 << 8;
export const PTE_FRAME_MASK = 0xfffff000 | 0;
export const PDE_4M_FRAME_MASK = 0xffc00000 | 0;
/**
 * Reserved bits of a 4-MiB PDE on a processor without PSE-36 (this model): 21:13.
 * A set reserved bit gives #PF with the RSVD error-code bit (SDM Vol. 3A §4.3, Table 4-4 note).
 */
export const PDE_4M_RESERVED = 0x003fe000;

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
