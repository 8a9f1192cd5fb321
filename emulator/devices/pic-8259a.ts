/**
 * The PC's pair of 8259A programmable interrupt controllers: the master at ports
 * 0x20/0x21 drives the processor's INTR pin, the slave at 0xA0/0xA1 has its INT output
 * wired to the master's IR2 (IRQ 8..15 arrive through the master's cascade input).
 *
 * Follows the Intel 8259A/8259A-2 Programmable Interrupt Controller data sheet (order
 * number 231468), cited by section name below: "Interrupt Sequence", "Initialization
 * Command Words" (ICW1–ICW4, Figure 7), "Operation Command Words" (OCW1–OCW3, Figure 8),
 * "Fully Nested Mode", "End of Interrupt", "Automatic End of Interrupt Mode",
 * "Automatic Rotation", "Specific Rotation", "Special Mask Mode", "Poll Command",
 * "Reading the 8259A Status", "Edge and Level Triggered Modes" (Figure 10), "The
 * Special Fully Nested Mode", "Cascade Mode".
 *
 * Model of a request (Edge and Level Triggered Modes, Figure 10 "Priority Cell"):
 * - edge mode (LTIM = 0, as on a PC): a low-to-high transition of IRn sets IRRn; the bit
 *   stays set while IRn stays high and is cleared by the acknowledge (INTA) or by IRn going
 *   low. The data sheet requires IRn to stay high until the first INTA; if it drops before,
 *   the acknowledge finds no request and the chip answers with the IR7 vector without
 *   setting ISR7 (the "default IR7", i.e. the spurious IRQ 7 / IRQ 15 of a PC);
 * - level mode (LTIM = 1): IRRn follows the level of IRn and the acknowledge does not
 *   clear it. PCs use edge mode; level mode is implemented because it costs one branch.
 *
 * Implemented: the ICW1–ICW4 initialization sequence (ICW1's reset actions a–f; single or
 * cascade mode; ICW3 as the master's slave bitmap and the slave's ID), OCW1 (IMR), every
 * OCW2 command (non-specific / specific EOI, rotate on non-specific / specific EOI,
 * rotate in AEOI mode set / clear, set priority, no operation), OCW3 (read IRR or ISR,
 * poll, set / reset special mask mode), fully nested priority with rotation, special fully
 * nested mode (ICW4 SFNM) on a cascade input, special mask mode, auto-EOI (ICW4 AEOI) with
 * optional rotation, cascade acknowledge (master IR2 → slave vector), and the spurious
 * IR7 vector on both chips.
 * Not modelled: 8080/8085 mode (ICW4 µPM = 0, ICW1 ADI and A7–A5) — the recorded bits are
 * ignored and the chip answers INTA with an 8086 vector as on every PC; buffered mode
 * (ICW4 BUF, M/S) is recorded but has no effect since it only concerns the SP/EN pin; the
 * ELCR (0x4D0/0x4D1) of later chipsets is not part of this device.
 * Choices where the data sheet is silent: ICW1 also clears ISR (as QEMU and Bochs do);
 * the poll command acknowledges like an INTA but without auto-EOI (AEOI happens "on the
 * trailing edge of the last INTA pulse", which a poll does not generate); a poll with no
 * request reads 0; an acknowledge of a cascade input whose slave has another ID reads
 * 0xFF (nobody drives the data bus).
 */
import type { InterruptLine } from '../cpu/cpu';
import type { IrqLine } from '../machine/clock';
import type { IoBus, IoDevice } from '../memory/io-bus';

export const PIC_MASTER_PORT = 0x20;
export const PIC_SLAVE_PORT = 0xa0;
/** The master input the slave's INT output is wired to on a PC. */
export const PIC_CASCADE_IR = 2;

// ICW1 (A0 = 0, D4 = 1): Figure 7.
export const ICW1_IC4 = 0x01;
export const ICW1_SNGL = 0x02;
export const ICW1_ADI = 0x04;
export const ICW1_LTIM = 0x08;
export const ICW1_INIT = 0x10;
// ICW4: Figure 7.
export const ICW4_UPM = 0x01;
export const ICW4_AEOI = 0x02;
export const ICW4_MS = 0x04;
export const ICW4_BUF = 0x08;
export const ICW4_SFNM = 0x10;
// OCW2 (A0 = 0, D4 = D3 = 0): R, SL, EOI in D7..D5, level L2..L0 in D2..D0. Figure 8.
export const OCW2_NONSPECIFIC_EOI = 0x20;
export const OCW2_SPECIFIC_EOI = 0x60;
export const OCW2_ROTATE_NONSPECIFIC_EOI = 0xa0;
export const OCW2_ROTATE_AEOI_SET = 0x80;
export const OCW2_ROTATE_AEOI_CLEAR = 0x00;
export const OCW2_ROTATE_SPECIFIC_EOI = 0xe0;
export const OCW2_SET_PRIORITY = 0xc0;
export const OCW2_NOP = 0x40;
// OCW3 (A0 = 0, D4 = 0, D3 = 1): Figure 8.
export const OCW3_SELECT = 0x08;
export const OCW3_RIS = 0x01;
export const OCW3_RR = 0x02;
export const OCW3_P = 0x04;
export const OCW3_SMM = 0x20;
export const OCW3_ESMM = 0x40;

/** Initialization state: which word the next write to the odd port (A0 = 1) is. */
const enum Expect {
  OCW1 = 1,
  ICW2 = 2,
  ICW3 = 3,
  ICW4 = 4,
}

/** One 8259A: its registers, priority resolver and command decoding. */
export class Pic8259 {
  /** Interrupt Request Register. */
  irr = 0;
  /** In-Service Register. */
  isr = 0;
  /** Interrupt Mask Register (OCW1). */
  imr = 0;
  /** Levels currently driven on IR0..IR7 (for edge detection). */
  levels = 0;
  /** The INT output as last computed by `update`. */
  int = false;

  /** ICW1 bits as written (IC4, SNGL, ADI, LTIM; A7–A5 unused in 8086 mode). */
  icw1 = 0;
  /** T7–T3 of ICW2: the vector of IRn is `vectorBase | n`. */
  vectorBase = 0;
  /** ICW3: on the master the bitmap of inputs that have a slave; on a slave its ID in bits 2..0. */
  icw3 = 0;
  /** ICW4 bits as written (µPM, AEOI, M/S, BUF, SFNM); 0 when ICW1 said IC4 = 0. */
  icw4 = 0;
  /** OCW2 "rotate in automatic EOI mode" flag. */
  rotateOnAeoi = false;
  /** The IR with the lowest priority (7 after ICW1); IR (lowest + 1) & 7 has the highest. */
  lowest = 7;
  /** OCW3: reads of the even port return ISR (true) or IRR (false). */
  readIsr = false;
  /** OCW3 P: the next read of the even port is a poll. */
  poll = false;
  /** OCW3 special mask mode. */
  specialMask = false;
  private expect: Expect = Expect.OCW1;

  /** @param isMaster whether this chip is the master (its ICW3 is a slave bitmap) */
  constructor(readonly isMaster: boolean) {}

  /** Power-on state. The data sheet leaves it undefined; this is the state after ICW1 with IMR = 0. */
  reset(): void {
    this.irr = 0;
    this.isr = 0;
    this.imr = 0;
    this.int = false;
    this.icw1 = 0;
    this.vectorBase = 0;
    this.icw3 = 0;
    this.icw4 = 0;
    this.rotateOnAeoi = false;
    this.lowest = 7;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.expect = Expect.OCW1;
  }

  get levelTriggered(): boolean {
    return (this.icw1 & ICW1_LTIM) !== 0;
  }

  /** Whether an initialization sequence is in progress (ICW2..ICW4 still expected). */
  get initializing(): boolean {
    return this.expect !== Expect.OCW1;
  }

  /** Whether input `ir` is a cascade input with a slave behind it (master in cascade mode). */
  isCascade(ir: number): boolean {
    return this.isMaster && (this.icw1 & ICW1_SNGL) === 0 && (this.icw3 & (1 << ir)) !== 0;
  }

  /** Drive input IRn (Edge and Level Triggered Modes). Call `update` afterwards. */
  setInput(ir: number, level: boolean): void {
    const bit = 1 << ir;
    if (level) {
      if ((this.levels & bit) === 0 || this.levelTriggered) this.irr |= bit;
      this.levels |= bit;
    } else {
      this.levels &= ~bit;
      this.irr &= ~bit;
    }
  }

  /**
   * The priority resolver: the IR the chip would interrupt for now, or -1.
   * Fully Nested Mode: a request is served only when its priority is higher than that of
   * every in-service level. Special Fully Nested Mode (master): a request on a cascade
   * input is also served while that same input is in service. Special Mask Mode: in-service
   * levels do not inhibit any other level; only unmasked levels not in service can request.
   */
  resolve(): number {
    let req = this.irr & ~this.imr & 0xff;
    if (req === 0) return -1;
    if (this.specialMask) req &= ~this.isr;
    for (let p = 0; p < 8; p++) {
      const ir = (this.lowest + 1 + p) & 7;
      const bit = 1 << ir;
      if (!this.specialMask && this.isr & bit) {
        // The highest-priority in-service level blocks itself and everything below it,
        // except its own cascade input in special fully nested mode.
        return req & bit && this.icw4 & ICW4_SFNM && this.isCascade(ir) ? ir : -1;
      }
      if (req & bit) return ir;
    }
    return -1;
  }

  /** Recompute INT; returns true when it changed. */
  update(): boolean {
    const int = this.resolve() >= 0;
    if (int === this.int) return false;
    this.int = int;
    return true;
  }

  /**
   * The INTA cycle for level `ir` (Interrupt Sequence, steps 4–6): set ISRn, clear IRRn in
   * edge mode; in AEOI mode clear ISRn again at the end of the cycle (rotating if so set).
   * @param inta false for a poll (no INTA pulses, hence no automatic EOI)
   */
  acknowledgeLevel(ir: number, inta: boolean): void {
    const bit = 1 << ir;
    if (!this.levelTriggered) this.irr &= ~bit;
    this.isr |= bit;
    if (inta && this.icw4 & ICW4_AEOI) {
      this.isr &= ~bit;
      if (this.rotateOnAeoi) this.lowest = ir;
    }
  }

  /** The highest-priority in-service level a non-specific EOI clears, or -1 (End of Interrupt; Special Mask Mode). */
  private highestInService(): number {
    const isr = this.specialMask ? this.isr & ~this.imr : this.isr;
    if (isr === 0) return -1;
    for (let p = 0; p < 8; p++) {
      const ir = (this.lowest + 1 + p) & 7;
      if (isr & (1 << ir)) return ir;
    }
    return -1;
  }

  /** A write to A0 = 0 (ICW1, OCW2 or OCW3). */
  writeCommand(value: number): void {
    if (value & ICW1_INIT) this.writeIcw1(value);
    else if (value & OCW3_SELECT) this.writeOcw3(value);
    else this.writeOcw2(value);
  }

  /** A write to A0 = 1 (ICW2..ICW4 during initialization, else OCW1). */
  writeData(value: number): void {
    switch (this.expect) {
      case Expect.ICW2:
        this.vectorBase = value & 0xf8;
        this.expect = (this.icw1 & ICW1_SNGL) === 0 ? Expect.ICW3 : this.icw1 & ICW1_IC4 ? Expect.ICW4 : Expect.OCW1;
        break;
      case Expect.ICW3:
        this.icw3 = value & 0xff;
        this.expect = this.icw1 & ICW1_IC4 ? Expect.ICW4 : Expect.OCW1;
        break;
      case Expect.ICW4:
        this.icw4 = value & 0x1f;
        this.expect = Expect.OCW1;
        break;
      default:
        this.imr = value & 0xff;
    }
  }

  /** A read of A0 = 0: the poll word after OCW3 P, else IRR or ISR as OCW3 selected (Reading the 8259A Status). */
  readCommand(): number {
    if (this.poll) {
      this.poll = false;
      const ir = this.resolve();
      if (ir < 0) return 0;
      this.acknowledgeLevel(ir, false);
      return 0x80 | ir;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  /** A read of A0 = 1: IMR. */
  readData(): number {
    return this.imr;
  }

  /**
   * ICW1 (Initialization Command Words): a. the edge sense circuit is reset (an input
   * must go low to high again to request), b. IMR cleared, c. IR7 gets the lowest priority,
   * d. slave mode address set to 7, e. special mask mode cleared and status read set to
   * IRR, f. ICW4's functions cleared when IC4 = 0. ISR is cleared too (see the header).
   */
  private writeIcw1(value: number): void {
    this.icw1 = value & 0xff;
    this.expect = Expect.ICW2;
    this.irr = this.levelTriggered ? this.levels : 0;
    this.imr = 0;
    this.isr = 0;
    this.lowest = 7;
    this.icw3 = this.isMaster ? 0 : 7;
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
    this.rotateOnAeoi = false;
    if ((value & ICW1_IC4) === 0) this.icw4 = 0;
  }

  /** OCW2: EOI, rotation and priority commands (Operation Command Words; End of Interrupt; Automatic / Specific Rotation). */
  private writeOcw2(value: number): void {
    const level = value & 7;
    switch (value & 0xe0) {
      case OCW2_NONSPECIFIC_EOI:
      case OCW2_ROTATE_NONSPECIFIC_EOI: {
        const ir = this.highestInService();
        if (ir >= 0) {
          this.isr &= ~(1 << ir);
          if (value & 0x80) this.lowest = ir;
        }
        break;
      }
      case OCW2_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        break;
      case OCW2_ROTATE_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        this.lowest = level;
        break;
      case OCW2_SET_PRIORITY:
        this.lowest = level;
        break;
      case OCW2_ROTATE_AEOI_SET:
        this.rotateOnAeoi = true;
        break;
      case OCW2_ROTATE_AEOI_CLEAR:
        this.rotateOnAeoi = false;
        break;
      default: // OCW2_NOP
        break;
    }
  }

  /** OCW3: status read select, poll, special mask mode. */
  private writeOcw3(value: number): void {
    if (value & OCW3_ESMM) this.specialMask = (value & OCW3_SMM) !== 0;
    if (value & OCW3_RR) this.readIsr = (value & OCW3_RIS) !== 0;
    this.poll = (value & OCW3_P) !== 0;
  }
}

/**
 * The master/slave pair as wired on a PC. Devices drive IRQ 0..15 through `setIrq`
 * (IrqLine); the processor samples `pending()` and runs the INTA cycle with `acknowledge()`
 * (InterruptLine). `onOutputChange` reports every change of the master's INT output, so
 * the machine can set `cpu.breakBlock` when it rises.
 */
export class Pic8259Pair implements IrqLine, InterruptLine, IoDevice {
  readonly master = new Pic8259(true);
  readonly slave = new Pic8259(false);
  private readonly listeners: ((level: boolean) => void)[] = [];

  /** Claim ports 0x20–0x21 (master) and 0xA0–0xA1 (slave) on `bus`. */
  attach(bus: IoBus): this {
    bus.register(PIC_MASTER_PORT, 2, '8259A PIC master', this);
    bus.register(PIC_SLAVE_PORT, 2, '8259A PIC slave', this);
    return this;
  }

  /** Call `listener(level)` whenever the master's INT output (the CPU's INTR pin) changes. */
  onOutputChange(listener: (level: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** The INTR pin: the master's INT output. */
  get output(): boolean {
    return this.master.int;
  }

  /** Power-on state of both chips (input levels are kept: they belong to the devices). */
  reset(): void {
    this.master.reset();
    this.slave.reset();
    this.update();
  }

  /**
   * Drive IRQ `irq` (0..15): 0..7 are the master's IR0..IR7, 8..15 the slave's IR0..IR7.
   * @throws RangeError for IRQ 2 (the cascade input: on a PC the bus's IRQ 2 is wired to IRQ 9) or a number outside 0..15
   */
  setIrq(irq: number, level: boolean): void {
    if (irq >= 8 && irq < 16) this.slave.setInput(irq - 8, level);
    else if (irq >= 0 && irq < 8 && irq !== PIC_CASCADE_IR) this.master.setInput(irq, level);
    else throw new RangeError(`IRQ ${irq} cannot be driven by a device (0..15 except the cascade input 2)`);
    this.update();
  }

  /** Whether the INTR pin is high. */
  pending(): boolean {
    return this.master.int;
  }

  /**
   * The INTA cycle (Interrupt Sequence; Cascade Mode): the master resolves its highest
   * request; for a cascade input the slave whose ID matches supplies the vector. With no
   * request left (it went away before INTA) the chip answers with its IR7 vector and
   * sets no ISR bit; a slave doing so leaves the master's ISR2 set, as on hardware.
   * @returns the interrupt vector (0..255)
   */
  acknowledge(): number {
    const m = this.master;
    const ir = m.resolve();
    let vector: number;
    if (ir < 0) {
      vector = m.vectorBase | 7;
    } else if (m.isCascade(ir)) {
      m.acknowledgeLevel(ir, true);
      const s = this.slave;
      if (ir !== PIC_CASCADE_IR || (s.icw3 & 7) !== ir) {
        vector = 0xff; // no slave answers this cascade address: the data bus floats
      } else {
        const sir = s.resolve();
        if (sir < 0) vector = s.vectorBase | 7;
        else {
          s.acknowledgeLevel(sir, true);
          vector = s.vectorBase | sir;
        }
        // The slave's INT drops during its INTA cycle; if it still has a request it rises
        // again afterwards, which is a new edge on the master's cascade input.
        m.setInput(PIC_CASCADE_IR, false);
      }
    } else {
      m.acknowledgeLevel(ir, true);
      vector = m.vectorBase | ir;
    }
    this.update();
    return vector;
  }

  in(port: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.readByte((port + k) & 0xffff) << (8 * k);
    return v >>> 0;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    for (let k = 0; k < size; k++) this.writeByte((port + k) & 0xffff, (value >>> (8 * k)) & 0xff);
    this.update();
  }

  /** A byte access at one port; ports outside the pair (a wide access running past it) read all ones. */
  private readByte(port: number): number {
    const chip = this.chipAt(port);
    if (chip === null) return 0xff;
    if (port & 1) return chip.readData();
    const polled = chip.poll;
    const v = chip.readCommand();
    if (polled) this.update(); // a poll read acknowledges the level it reports
    return v;
  }

  private writeByte(port: number, value: number): void {
    const chip = this.chipAt(port);
    if (chip === null) return;
    if (port & 1) chip.writeData(value);
    else chip.writeCommand(value);
  }

  private chipAt(port: number): Pic8259 | null {
    if ((port & ~1) === PIC_MASTER_PORT) return this.master;
    if ((port & ~1) === PIC_SLAVE_PORT) return this.slave;
    return null;
  }

  /** Propagate the slave's INT to the master's cascade input, then report the master's INT. */
  private update(): void {
    this.slave.update();
    const cascadeLevel = (this.master.levels & (1 << PIC_CASCADE_IR)) !== 0;
    if (this.slave.int !== cascadeLevel) this.master.setInput(PIC_CASCADE_IR, this.slave.int);
    if (this.master.update()) {
      const level = this.master.int;
      for (const l of this.listeners) l(level);
    }
  }
}
