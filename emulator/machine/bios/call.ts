/**
 * What a BIOS service written in TypeScript sees of the guest while it answers a trap: the
 * registers (AX…DI and their halves, the segment registers' hidden bases), the FLAGS image
 * the INT pushed at SS:SP+4 (which the stub's IRET restores, so CF/ZF results are written
 * there, as a real BIOS's `RETF 2` or stack-frame edit does), and real-mode memory.
 *
 * Addresses: `linear` = segment base + offset; in real mode (paging is off) that is the
 * physical address, with bit 20 forced to 0 while the A20 gate is disabled.
 */
import { EFLAGS_CF, EFLAGS_ZF } from '../../arch/eflags';
import { SegReg } from '../../arch/segments';
import { EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, REG8_INDEX, type Cpu } from '../../cpu/cpu';
import type { PhysicalMemory } from '../../memory/physical-memory';

/** Real-mode guest memory as BIOS services access it (linear = physical, A20 applied). */
export class RealMemory {
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly a20: () => boolean,
  ) {}

  /** The physical address a real-mode linear address reaches through the A20 gate. */
  phys(linear: number): number {
    linear >>>= 0;
    return this.a20() ? linear : linear & ~0x100000;
  }

  read8(linear: number): number {
    return this.memory.read8(this.phys(linear));
  }
  read16(linear: number): number {
    return this.read8(linear) | (this.read8(linear + 1) << 8);
  }
  read32(linear: number): number {
    return (this.read16(linear) | (this.read16(linear + 2) << 16)) >>> 0;
  }
  write8(linear: number, v: number): void {
    this.memory.write8(this.phys(linear), v & 0xff);
  }
  write16(linear: number, v: number): void {
    this.write8(linear, v);
    this.write8(linear + 1, v >>> 8);
  }
  write32(linear: number, v: number): void {
    this.write16(linear, v);
    this.write16(linear + 2, v >>> 16);
  }

  /** Copy `bytes` to `linear` (through PhysicalMemory.writeBytes, so decoded code there is invalidated). */
  writeBytes(linear: number, bytes: Uint8Array): void {
    linear >>>= 0;
    const wraps = !this.a20() && (linear & 0x100000) !== ((linear + bytes.length - 1) & 0x100000);
    if (wraps) {
      for (let i = 0; i < bytes.length; i++) this.write8(linear + i, bytes[i]);
    } else {
      this.memory.writeBytes(this.phys(linear), bytes);
    }
  }

  readBytes(linear: number, length: number): Uint8Array {
    linear >>>= 0;
    const wraps = !this.a20() && (linear & 0x100000) !== ((linear + length - 1) & 0x100000);
    if (!wraps) return this.memory.readBytes(this.phys(linear), length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.read8(linear + i);
    return out;
  }
}

/** Registers and the interrupt frame of one trapped BIOS call. */
export class BiosCall {
  constructor(
    readonly cpu: Cpu,
    readonly mem: RealMemory,
  ) {}

  private r16(r: number): number {
    return this.cpu.regs16[r << 1];
  }
  private w16(r: number, v: number): void {
    this.cpu.regs16[r << 1] = v;
  }
  private r8(n: number): number {
    return this.cpu.regs8[REG8_INDEX[n]];
  }
  private w8(n: number, v: number): void {
    this.cpu.regs8[REG8_INDEX[n]] = v;
  }

  get eax(): number { return this.cpu.regs[EAX] >>> 0; }
  set eax(v: number) { this.cpu.regs[EAX] = v; }
  get ebx(): number { return this.cpu.regs[EBX] >>> 0; }
  set ebx(v: number) { this.cpu.regs[EBX] = v; }
  get ecx(): number { return this.cpu.regs[ECX] >>> 0; }
  set ecx(v: number) { this.cpu.regs[ECX] = v; }
  get edx(): number { return this.cpu.regs[EDX] >>> 0; }
  set edx(v: number) { this.cpu.regs[EDX] = v; }

  get ax(): number { return this.r16(EAX); }
  set ax(v: number) { this.w16(EAX, v); }
  get bx(): number { return this.r16(EBX); }
  set bx(v: number) { this.w16(EBX, v); }
  get cx(): number { return this.r16(ECX); }
  set cx(v: number) { this.w16(ECX, v); }
  get dx(): number { return this.r16(EDX); }
  set dx(v: number) { this.w16(EDX, v); }
  get si(): number { return this.r16(ESI); }
  set si(v: number) { this.w16(ESI, v); }
  get di(): number { return this.r16(EDI); }
  set di(v: number) { this.w16(EDI, v); }
  get bp(): number { return this.r16(EBP); }

  // 8-bit registers in ModRM numbering: AL CL DL BL AH CH DH BH.
  get al(): number { return this.r8(0); }
  set al(v: number) { this.w8(0, v); }
  get cl(): number { return this.r8(1); }
  set cl(v: number) { this.w8(1, v); }
  get dl(): number { return this.r8(2); }
  set dl(v: number) { this.w8(2, v); }
  get bl(): number { return this.r8(3); }
  set bl(v: number) { this.w8(3, v); }
  get ah(): number { return this.r8(4); }
  set ah(v: number) { this.w8(4, v); }
  get ch(): number { return this.r8(5); }
  set ch(v: number) { this.w8(5, v); }
  get dh(): number { return this.r8(6); }
  set dh(v: number) { this.w8(6, v); }
  get bh(): number { return this.r8(7); }
  set bh(v: number) { this.w8(7, v); }

  /** Linear base of a segment register (its hidden cache: selector × 16 in real mode). */
  base(seg: SegReg): number {
    return this.cpu.segs[seg].base;
  }

  /** Linear address of ES:offset / DS:offset. */
  esAddr(offset: number): number {
    return (this.base(SegReg.ES) + (offset & 0xffff)) >>> 0;
  }
  dsAddr(offset: number): number {
    return (this.base(SegReg.DS) + (offset & 0xffff)) >>> 0;
  }

  /** Load ES with a real-mode segment value (base = value × 16). */
  setEs(selector: number): void {
    const s = this.cpu.segs[SegReg.ES];
    s.setCache(selector, (selector & 0xffff) << 4, s.limit, s.ar);
  }

  /** Linear address of the FLAGS image the INT pushed (SS:SP+4 above IP and CS). */
  private flagsImageAddr(): number {
    const ss = this.cpu.segs[SegReg.SS];
    const sp = ss.big ? this.cpu.regs[ESP] >>> 0 : this.r16(ESP);
    const off = ss.big ? (sp + 4) >>> 0 : (sp + 4) & 0xffff;
    return (ss.base + off) >>> 0;
  }

  /** The FLAGS image the service will return with. */
  get returnFlags(): number {
    return this.mem.read16(this.flagsImageAddr());
  }

  private setReturnFlag(bit: number, on: boolean): void {
    const at = this.flagsImageAddr();
    const f = this.mem.read16(at);
    this.mem.write16(at, on ? f | bit : f & ~bit);
  }

  /** Set or clear CF in the returned FLAGS (the BIOS's error indication). */
  setCF(on: boolean): void {
    this.setReturnFlag(EFLAGS_CF, on);
  }

  /** Set or clear ZF in the returned FLAGS (INT 16h AH=01h: no key available). */
  setZF(on: boolean): void {
    this.setReturnFlag(EFLAGS_ZF, on);
  }

  /** CF = 0 and AH = 0: the "successful completion" most services report. */
  success(): void {
    this.ah = 0;
    this.setCF(false);
  }

  /** CF = 1 and AH = `status`: the error return of most services. */
  fail(status: number): void {
    this.ah = status;
    this.setCF(true);
  }

  /** Continue at F000:`offset` instead of the stub's IRET (e.g. the keyboard wait loop). */
  continueAt(offset: number): void {
    this.cpu.eip = offset & 0xffff;
  }
}
