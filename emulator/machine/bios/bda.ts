/**
 * The BIOS data area (segment 0040h, linear 400h) fields the built-in BIOS keeps, by
 * linear address, and the extended BIOS data area.
 *
 * @see IBM PC AT Technical Reference, "BIOS Data Area"; Ralf Brown's Interrupt List,
 *      MEMORY.LST "Format of BIOS Data Segment at segment 40h".
 */
export const BDA = {
  /** COM1–COM4 base I/O ports (words). */
  comPorts: 0x400,
  /** LPT1–LPT3 base I/O ports (words). */
  lptPorts: 0x408,
  /** Segment of the extended BIOS data area (word). */
  ebdaSegment: 0x40e,
  /** Equipment list (word): the value INT 11h returns. */
  equipment: 0x410,
  /** Base memory size in KiB (word): the value INT 12h returns. */
  baseMemoryKiB: 0x413,
  /** Keyboard status flags 1 and 2 (bytes). */
  kbdFlags1: 0x417,
  kbdFlags2: 0x418,
  /** Keyboard buffer head and tail (words, offsets from segment 40h). */
  kbdHead: 0x41a,
  kbdTail: 0x41c,
  /** The 16-word keyboard buffer. */
  kbdBuffer: 0x41e,
  /** Diskette: last operation status (byte). */
  floppyLastStatus: 0x441,
  /** Video: current mode (byte), columns (word), page size (word), page offset (word). */
  videoMode: 0x449,
  videoColumns: 0x44a,
  videoPageSize: 0x44c,
  videoPageStart: 0x44e,
  /** Cursor positions of pages 0–7 (words: low byte column, high byte row). */
  cursorPos: 0x450,
  /** Cursor shape (word: CH start line, CL end line). */
  cursorShape: 0x460,
  videoActivePage: 0x462,
  /** CRT controller base port (word). */
  crtcPort: 0x463,
  videoModeSelect: 0x465,
  videoPalette: 0x466,
  /** Timer ticks since midnight (dword) and the midnight-rollover flag (byte). */
  ticks: 0x46c,
  midnight: 0x470,
  /** Fixed disk: last operation status, number of drives (bytes). */
  diskLastStatus: 0x474,
  hardDiskCount: 0x475,
  /** Keyboard buffer start and end (words, offsets from segment 40h). */
  kbdBufferStart: 0x480,
  kbdBufferEnd: 0x482,
  /** Video: rows on screen minus one, character height (word), EGA feature bits. */
  videoRows: 0x484,
  videoCharHeight: 0x485,
  videoEgaMisc: 0x487,
  videoEgaSwitches: 0x488,
} as const;

/** Ticks per day of the 18.2-Hz BIOS timer: 1,573,040 (1800B0h; IBM TIMER_INT). */
export const TICKS_PER_DAY = 0x1800b0;

/** The extended BIOS data area: 1 KiB at 9FC00h, the top of conventional memory (639 KiB below it). */
export const EBDA_BASE = 0x9fc00;
export const EBDA_KIB = 1;
export const BASE_MEMORY_KIB = EBDA_BASE / 1024;

/** The PIT's input clock (1.193182 MHz) over the 65536 count BIOS uses: ticks per second. */
export const PIT_HZ = 1193182;
