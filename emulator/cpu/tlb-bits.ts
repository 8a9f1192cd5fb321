/**
 * Bits of a TLB entry (Cpu.tlb), kept in bits 11:0 beside the physical page base.
 * Permissions are precomputed when the entry is filled (as Bochs' TLB_SysReadOK etc.),
 * so an access needs one AND and one compare: `(entry & mask) === mask`.
 * Write permissions are only granted once the dirty flag is set in the paging entry, so
 * the first write to a clean page takes the slow path and sets D as hardware does.
 */
export const TLB_VALID = 1 << 0;
/** Supervisor (CPL < 3, or an implicit system access) may read. */
export const TLB_SR = 1 << 1;
/** Supervisor may write (R/W = 1, or CR0.WP = 0), and D is set. */
export const TLB_SW = 1 << 2;
/** User (CPL = 3) may read. */
export const TLB_UR = 1 << 3;
/** User may write, and D is set. */
export const TLB_UW = 1 << 4;
/** The physical page is plain RAM (no MMIO), so the fast path may use Cpu.ram8/ramView. */
export const TLB_RAM = 1 << 5;
/** From a global page (PTE.G with CR4.PGE): survives CR3 loads. */
export const TLB_GLOBAL = 1 << 6;
/** From a 4-MiB page. */
export const TLB_LARGE = 1 << 7;
export const TLB_FRAME_MASK = -4096;
