/**
 * The built-in BIOS's 64-KiB ROM image (segment F000h): the code the real-mode interrupt
 * vectors point at, the reset vector and the BIOS's data tables.
 *
 * Each BIOS service is an entry stub at the IBM PC AT's traditional ROM address (IBM PC AT
 * Technical Reference, BIOS listing: INT 13h at F000:EC59, INT 10h at F000:F065, INT 1Ah at
 * F000:FE6E, the dummy IRET at F000:FF53, …; compatible BIOSes such as SeaBIOS keep them
 * because some programs jump to them directly). A service stub is
 *
 *     out  BIOS_TRAP_PORT, al     ; E6 EF — the machine answers the service in TypeScript
 *     iret                        ; CF
 *
 * The OUT is the trap: the machine's trap device (bios.ts) recognises an OUT to its port
 * made *from one of these stub addresses* in real mode, and runs the service on the
 * registers and on the FLAGS image the INT pushed (SS:SP+4), which the IRET then restores.
 * So the trap fires when execution reaches the BIOS handler, however it got there: an
 * INT n through an untouched vector, or a guest handler that took the vector over and
 * chains to the saved old vector with PUSHF / CALL FAR. An INT n whose vector the guest
 * replaced never reaches it. Nothing happens per INT instruction and nothing depends on
 * host timing, so runs repeat exactly.
 *
 * Hardware-interrupt handlers are real code: IRQ 0 (INT 08h) counts the BIOS tick through
 * a trap, calls INT 1Ch and sends the 8259A a non-specific EOI; the other IRQs get an EOI
 * (to both PICs for IRQ 8–15), as SeaBIOS's default handlers do.
 *
 * @see IBM Personal Computer AT Technical Reference (1984), System BIOS listing and
 *      "BIOS Interrupt Vectors"; Ralf Brown's Interrupt List (INTER61), MEMORY.LST for F000:xxxx.
 */

/** The private I/O port a stub writes to hand a service to the machine. */
export const BIOS_TRAP_PORT = 0xef;

export const BIOS_SEGMENT = 0xf000;
export const BIOS_ROM_SIZE = 0x10000;
/** Physical base of the ROM in the first MiB, and of its alias below 4 GiB. */
export const BIOS_ROM_BASE_LOW = 0xf0000;
export const BIOS_ROM_BASE_HIGH = 0xffff0000;

/** Entry points (offsets in segment F000h). */
export const BiosEntry = {
  /** Master-PIC IRQ default handler (EOI to the master). */
  irqMaster: 0xe010,
  /** Slave-PIC IRQ default handler (EOI to slave and master). */
  irqSlave: 0xe020,
  /** INT 18h: no bootable device. */
  int18: 0xe030,
  /** POST entry; the reset vector jumps here (IBM: RESET at E05B). */
  post: 0xe05b,
  /** Fixed-disk parameter table (INT 41h), 16 bytes. */
  fixedDiskTable: 0xe401,
  int19: 0xe6f2,
  /** System configuration table (INT 15h AH=C0h). */
  configTable: 0xe6f5,
  int14: 0xe739,
  int16: 0xe82e,
  /** The keyboard wait loop INT 16h AH=00h/10h resumes at while no key is buffered. */
  int16Wait: 0xe831,
  int13: 0xec59,
  /** Diskette parameter table (INT 1Eh), 11 bytes + the 3 bytes of the extended table. */
  disketteTable: 0xefc7,
  int17: 0xefd2,
  int10: 0xf065,
  int12: 0xf841,
  int11: 0xf84d,
  int15: 0xf859,
  int1a: 0xfe6e,
  int08: 0xfea5,
  iret: 0xff53,
  int05: 0xff54,
  reset: 0xfff0,
  date: 0xfff5,
  model: 0xfffe,
} as const;

/** The service behind each trap stub, by the stub's offset (the address of its OUT). */
export type BiosService =
  | 'post'
  | 'int08'
  | 'int10'
  | 'int11'
  | 'int12'
  | 'int13'
  | 'int15'
  | 'int16'
  | 'int18'
  | 'int19'
  | 'int1a';

export const TRAP_STUBS: ReadonlyMap<number, BiosService> = new Map<number, BiosService>([
  [BiosEntry.post, 'post'],
  [BiosEntry.int08, 'int08'],
  [BiosEntry.int10, 'int10'],
  [BiosEntry.int11, 'int11'],
  [BiosEntry.int12, 'int12'],
  [BiosEntry.int13, 'int13'],
  [BiosEntry.int15, 'int15'],
  [BiosEntry.int16, 'int16'],
  [BiosEntry.int18, 'int18'],
  [BiosEntry.int19, 'int19'],
  [BiosEntry.int1a, 'int1a'],
]);

/** Length of `out imm8, al`: the trap device sees CS:IP just past it. */
export const TRAP_INSN_LENGTH = 2;

const OUT_IMM8_AL = 0xe6;
const IRET = 0xcf;

/** The diskette parameter table for a 1.44-MB drive (IBM AT DISK_BASE, SeaBIOS diskette_param_table2). */
const DISKETTE_TABLE = [
  0xaf, // step rate 0Ah (SRT), head unload 0Fh (HUT)
  0x02, // head load 01h, DMA mode
  0x25, // motor-off delay in ticks
  0x02, // 512 bytes per sector
  18, // sectors per track
  0x1b, // gap length
  0xff, // data length
  0x6c, // format gap length
  0xf6, // format fill byte
  0x0f, // head settle time (ms)
  0x08, // motor start time (1/8 s)
  79, // extended table: maximum track
  0x00, // data rate
  0x04, // drive type (CMOS type 4: 1.44 MB)
];

/**
 * Build the ROM: every byte not written below is 0xFF (unprogrammed EPROM).
 * @param fixedDisk the hard disk's logical geometry for the INT 41h table, if there is one
 */
export function buildBiosRom(fixedDisk?: { cylinders: number; heads: number; sectorsPerTrack: number }): Uint8Array {
  const rom = new Uint8Array(BIOS_ROM_SIZE).fill(0xff);
  const put = (offset: number, bytes: number[]): void => {
    rom.set(bytes, offset);
  };
  const trapThenIret = [OUT_IMM8_AL, BIOS_TRAP_PORT, IRET];

  for (const [offset, service] of TRAP_STUBS) {
    if (service === 'post' || service === 'int08' || service === 'int18') continue;
    put(offset, trapThenIret);
  }
  // INT 16h wait loop: sti; hlt; cli; jmp short int16 (the trap looks again).
  put(BiosEntry.int16Wait, [0xfb, 0xf4, 0xfa, 0xeb, (BiosEntry.int16 - (BiosEntry.int16Wait + 5)) & 0xff]);
  // IRQ 0 (IBM TIMER_INT): count the tick, INT 1Ch, EOI, IRET.
  put(BiosEntry.int08, [
    OUT_IMM8_AL, BIOS_TRAP_PORT, // out 0EFh, al    ; tick count (and midnight flag) in the BDA
    0xcd, 0x1c, //                  int 1Ch
    0x50, //                        push ax
    0xb0, 0x20, //                  mov al, 20h     ; OCW2 non-specific EOI
    0xe6, 0x20, //                  out 20h, al
    0x58, //                        pop ax
    IRET,
  ]);
  put(BiosEntry.irqMaster, [0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, IRET]); // push ax; mov al,20h; out 20h,al; pop ax; iret
  put(BiosEntry.irqSlave, [0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, IRET]); // … out 0A0h,al; out 20h,al …
  // INT 18h: report, then stop for good with interrupts off.
  put(BiosEntry.int18, [OUT_IMM8_AL, BIOS_TRAP_PORT, 0xfa, 0xf4, 0xeb, 0xfd]); // out; cli; hlt; jmp short hlt
  // POST: the trap resets the machine (a jump to the reset vector is a warm boot); should
  // execution ever continue here, stop.
  put(BiosEntry.post, [OUT_IMM8_AL, BIOS_TRAP_PORT, 0xfa, 0xf4, 0xeb, 0xfd]);
  put(BiosEntry.iret, [IRET]);
  put(BiosEntry.int05, [IRET]);
  put(BiosEntry.int14, [IRET]); // serial services: not offered (registers come back unchanged)
  put(BiosEntry.int17, [IRET]); // printer services: no printer
  // Reset vector: jmp far F000:E05B.
  put(BiosEntry.reset, [0xea, BiosEntry.post & 0xff, BiosEntry.post >> 8, BIOS_SEGMENT & 0xff, BIOS_SEGMENT >> 8]);
  put(BiosEntry.date, [...'06/01/25'].map((c) => c.charCodeAt(0)));
  put(BiosEntry.model, [0xfc, 0x00]); // model byte FCh: PC AT class

  put(BiosEntry.disketteTable, DISKETTE_TABLE);
  // INT 15h AH=C0h configuration table: length 8, model FCh, submodel 01h, BIOS revision 0,
  // feature byte 1: bit 6 second 8259A, bit 5 RTC, bit 2 EBDA allocated (RBIL INT 15/AH=C0h).
  put(BiosEntry.configTable, [0x08, 0x00, 0xfc, 0x01, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00]);
  if (fixedDisk) {
    const t = new Uint8Array(16);
    const c = Math.min(fixedDisk.cylinders, 0xffff);
    t[0] = c & 0xff;
    t[1] = c >> 8;
    t[2] = fixedDisk.heads & 0xff;
    t[5] = 0xff; // write precompensation: none
    t[6] = 0xff;
    t[8] = fixedDisk.heads > 8 ? 0x08 : 0x00; // control byte: more than 8 heads
    t[12] = t[0]; // landing zone
    t[13] = t[1];
    t[14] = fixedDisk.sectorsPerTrack;
    put(BiosEntry.fixedDiskTable, [...t]);
  }
  return rom;
}
