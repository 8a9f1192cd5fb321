/**
 * INT 10h video services of the built-in BIOS, for a colour text screen (mode 03h,
 * 80 × 25, at B8000h; the 40-column modes 00h/01h and the monochrome mode 07h at B0000h
 * too). There is no display adapter in this machine: the "screen" is the text buffer in
 * RAM plus the host's view of it, the `video` sink, which receives every character written
 * as teletype output (AH=0Eh) or as a string (AH=13h), control characters (BEL, BS, LF, CR)
 * included. Characters written in place (AH=09h/0Ah) change the buffer only, since
 * programs use them together with cursor moves and teletype output.
 *
 * Implemented: AH=00h set mode (text modes clear the buffer; other modes are only
 * recorded), 01h cursor shape, 02h/03h set/get cursor position, 05h active page, 06h/07h
 * scroll window up/down, 08h read character and attribute, 09h/0Ah write character(s),
 * 0Eh teletype output, 0Fh get mode, 12h BL=10h EGA information, 13h write string,
 * 1Ah display combination. Every other function returns with the registers unchanged.
 *
 * @see IBM PC AT Technical Reference, "Video I/O" (INT 10h); Ralf Brown's Interrupt List,
 *      INT 10 (AH=00h…13h, 1Ah).
 */
import type { BiosCall } from './call';
import { BDA } from './bda';
import type { BiosEnv } from './env';

const BLANK = 0x0720; // space, light grey on black
/** The characters the teletype acts on instead of drawing them. */
const CONTROL = new Set([0x07, 0x08, 0x0a, 0x0d]);

interface TextMode {
  columns: number;
  buffer: number;
}

/** The text modes this BIOS draws: mode number → columns and buffer address. */
function textMode(mode: number): TextMode | null {
  if (mode === 0 || mode === 1) return { columns: 40, buffer: 0xb8000 };
  if (mode === 2 || mode === 3) return { columns: 80, buffer: 0xb8000 };
  if (mode === 7) return { columns: 80, buffer: 0xb0000 };
  return null;
}

/** The text screen as the BDA describes it. */
class Screen {
  readonly mode: number;
  readonly text: TextMode | null;
  readonly columns: number;
  readonly rows: number;

  constructor(private readonly env: BiosEnv) {
    const m = env.mem;
    this.mode = m.read8(BDA.videoMode) & 0x7f;
    this.text = textMode(this.mode);
    this.columns = m.read16(BDA.videoColumns) || 80;
    this.rows = m.read8(BDA.videoRows) + 1;
  }

  private cellAddr(page: number, row: number, col: number): number {
    const pageSize = this.env.mem.read16(BDA.videoPageSize) || 4096;
    return this.text!.buffer + (page & 7) * pageSize + (row * this.columns + col) * 2;
  }

  cursor(page: number): { row: number; col: number } {
    const w = this.env.mem.read16(BDA.cursorPos + (page & 7) * 2);
    return { row: w >> 8, col: w & 0xff };
  }

  setCursor(page: number, row: number, col: number): void {
    this.env.mem.write16(BDA.cursorPos + (page & 7) * 2, ((row & 0xff) << 8) | (col & 0xff));
  }

  read(page: number, row: number, col: number): number {
    return this.text ? this.env.mem.read16(this.cellAddr(page, row, col)) : 0;
  }

  write(page: number, row: number, col: number, cell: number): void {
    if (this.text && row < this.rows && col < this.columns) this.env.mem.write16(this.cellAddr(page, row, col), cell);
  }

  /** Scroll the window [top..bottom] × [left..right] by `lines` (0 = clear it), up or down, filling with `attr`. */
  scroll(page: number, lines: number, attr: number, top: number, left: number, bottom: number, right: number, up: boolean): void {
    if (!this.text) return;
    bottom = Math.min(bottom, this.rows - 1);
    right = Math.min(right, this.columns - 1);
    if (top > bottom || left > right) return;
    const height = bottom - top + 1;
    if (lines === 0 || lines > height) lines = height;
    const fill = ((attr & 0xff) << 8) | 0x20;
    for (let k = 0; k < height; k++) {
      const row = up ? top + k : bottom - k;
      const from = up ? row + lines : row - lines;
      const inside = up ? from <= bottom : from >= top;
      for (let col = left; col <= right; col++) this.write(page, row, col, inside ? this.read(page, from, col) : fill);
    }
  }

  /** Write one character as the teletype does, moving the cursor and scrolling the page. */
  teletype(page: number, ch: number): void {
    let { row, col } = this.cursor(page);
    switch (ch) {
      case 0x07: // BEL: nothing changes on the screen
        return;
      case 0x08: // BS
        if (col > 0) col--;
        break;
      case 0x0a: // LF
        row++;
        break;
      case 0x0d: // CR
        col = 0;
        break;
      default: {
        const attr = this.read(page, row, col) >> 8 || 0x07;
        this.write(page, row, col, (attr << 8) | ch);
        if (++col >= this.columns) {
          col = 0;
          row++;
        }
      }
    }
    if (row >= this.rows) {
      const attr = this.read(page, this.rows - 1, 0) >> 8 || 0x07;
      this.scroll(page, 1, attr, 0, 0, this.rows - 1, this.columns - 1, true);
      row = this.rows - 1;
    }
    this.setCursor(page, row, col);
  }
}

/** Set video mode `mode` (bit 7: keep the buffer) in the BDA and clear a text screen. */
export function setVideoMode(env: BiosEnv, mode: number): void {
  const m = env.mem;
  const keep = (mode & 0x80) !== 0;
  mode &= 0x7f;
  const text = textMode(mode);
  m.write8(BDA.videoMode, mode);
  m.write16(BDA.videoColumns, text ? text.columns : 80);
  m.write16(BDA.videoPageSize, text ? (text.columns === 40 ? 2048 : 4096) : 0);
  m.write16(BDA.videoPageStart, 0);
  for (let p = 0; p < 8; p++) m.write16(BDA.cursorPos + p * 2, 0);
  m.write16(BDA.cursorShape, 0x0607);
  m.write8(BDA.videoActivePage, 0);
  m.write16(BDA.crtcPort, mode === 7 ? 0x3b4 : 0x3d4);
  m.write8(BDA.videoModeSelect, 0x29);
  m.write8(BDA.videoPalette, 0x30);
  m.write8(BDA.videoRows, 24);
  m.write16(BDA.videoCharHeight, 16);
  m.write8(BDA.videoEgaMisc, 0x60);
  m.write8(BDA.videoEgaSwitches, 0x09);
  if (text && !keep) {
    const bytes = new Uint8Array(text.columns === 40 ? 0x4000 : 0x8000);
    for (let i = 0; i < bytes.length; i += 2) {
      bytes[i] = BLANK & 0xff;
      bytes[i + 1] = BLANK >> 8;
    }
    m.writeBytes(text.buffer, bytes);
  }
}

/** Print `text` as INT 10h AH=0Eh would on the active page (the BIOS's own messages). */
export function biosPrint(env: BiosEnv, text: string): void {
  const screen = new Screen(env);
  const page = env.mem.read8(BDA.videoActivePage);
  for (const c of text) {
    const b = c.charCodeAt(0) & 0xff;
    env.video(b);
    screen.teletype(page, b);
  }
}

/** INT 10h. */
export function int10(call: BiosCall, env: BiosEnv): void {
  const m = env.mem;
  const screen = new Screen(env);
  switch (call.ah) {
    case 0x00:
      setVideoMode(env, call.al);
      break;
    case 0x01:
      m.write16(BDA.cursorShape, call.cx);
      break;
    case 0x02:
      screen.setCursor(call.bh, call.dh, call.dl);
      break;
    case 0x03: {
      const { row, col } = screen.cursor(call.bh);
      call.dh = row;
      call.dl = col;
      call.cx = m.read16(BDA.cursorShape);
      break;
    }
    case 0x05:
      m.write8(BDA.videoActivePage, call.al & 7);
      m.write16(BDA.videoPageStart, (call.al & 7) * (m.read16(BDA.videoPageSize) || 4096));
      break;
    case 0x06:
    case 0x07:
      screen.scroll(m.read8(BDA.videoActivePage), call.al, call.bh, call.ch, call.cl, call.dh, call.dl, call.ah === 0x06);
      break;
    case 0x08: {
      const { row, col } = screen.cursor(call.bh);
      call.ax = screen.read(call.bh, row, col);
      break;
    }
    case 0x09:
    case 0x0a: {
      const { row, col } = screen.cursor(call.bh);
      for (let k = 0; k < call.cx; k++) {
        const c = row * screen.columns + col + k;
        const r = Math.floor(c / screen.columns);
        if (r >= screen.rows) break;
        const cc = c % screen.columns;
        const attr = call.ah === 0x09 ? call.bl : screen.read(call.bh, r, cc) >> 8;
        screen.write(call.bh, r, cc, (attr << 8) | call.al);
      }
      break;
    }
    case 0x0e:
      env.video(call.al);
      screen.teletype(m.read8(BDA.videoActivePage), call.al);
      break;
    case 0x0f:
      call.al = m.read8(BDA.videoMode);
      call.ah = m.read16(BDA.videoColumns);
      call.bh = m.read8(BDA.videoActivePage);
      break;
    case 0x12:
      if (call.bl === 0x10) {
        call.bh = 0; // colour
        call.bl = 3; // 256 KiB of video memory
        call.cx = 0x0009; // feature bits 0, switch setting 9
      }
      break;
    case 0x13:
      writeString(call, env, screen);
      break;
    case 0x1a:
      if (call.al === 0x00) {
        call.al = 0x1a;
        call.bx = 0x0008; // VGA with colour analogue display, no alternate
      }
      break;
    default:
      break;
  }
}

/** AH=13h: write CX characters from ES:BP at row DH, column DL of page BH (AL bit 0: move the cursor; bit 1: character/attribute pairs). */
function writeString(call: BiosCall, env: BiosEnv, screen: Screen): void {
  const page = call.bh;
  const mode = call.al;
  const saved = screen.cursor(page);
  screen.setCursor(page, call.dh, call.dl);
  let at = call.esAddr(call.bp);
  for (let k = 0; k < call.cx; k++) {
    const ch = env.mem.read8(at++);
    let attr = call.bl;
    if (mode & 2) attr = env.mem.read8(at++);
    env.video(ch);
    // Give the cell the string's attribute first: the teletype keeps the attribute it finds.
    const { row, col } = screen.cursor(page);
    if (!CONTROL.has(ch)) screen.write(page, row, col, (attr << 8) | ch);
    screen.teletype(page, ch);
  }
  if (!(mode & 1)) screen.setCursor(page, saved.row, saved.col);
}
