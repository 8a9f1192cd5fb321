/**
 * The NS16550A UART (serial port) at COM1, I/O ports 3F8h–3FFh, IRQ 4: the guest's console.
 *
 * Follows the National Semiconductor PC16550D datasheet ("Universal Asynchronous
 * Receiver/Transmitter with FIFOs", June 1995), section "Registers": Table II (register
 * summary and DLAB addressing), Table III (reset configuration), Table IV (interrupt
 * control functions), and the sections "Line Control Register", "Programmable Baud
 * Generator", "Line Status Register", "FIFO Control Register", "Interrupt Identification
 * Register", "Interrupt Enable Register", "MODEM Control Register" (loopback), "MODEM
 * Status Register", "Scratchpad Register", "FIFO Interrupt Mode Operation" and "FIFO Polled
 * Mode Operation" (cited below by name, as "§Line Status Register").
 *
 * Modelling choices (each documented where it is implemented):
 * - Transmission is instantaneous, as in QEMU (hw/char/serial.c): a byte written to THR
 *   goes through the transmitter shift register to the sink before the OUT instruction
 *   completes, so LSR.THRE and LSR.TEMT read 1 at every instruction boundary and the
 *   transmitter FIFO never holds a byte. The THR-empty interrupt still behaves as the
 *   datasheet says: writing THR withdraws it (the IRQ line falls) and the byte leaving
 *   THR raises it again (the line rises: a new edge for the edge-triggered 8259A).
 * - Reception is paced by the baud rate through the Clock: bytes queued by the host
 *   (`receive`) arrive one character time (start + data + parity + stop bits at the
 *   programmed divisor) apart, and only while the receiver has room (host-side flow
 *   control: host input is never lost to an overrun). Overruns happen in loopback mode,
 *   where transmitted bytes arrive at once.
 * - The character timeout (§FIFO Interrupt Mode Operation) is modelled with the Clock: 4
 *   character times after the last byte received or the last RBR read, with the FIFO
 *   non-empty.
 * - Parity, framing and break errors are never produced (the host link carries bytes);
 *   LSR bits 2–4 and 7 therefore read 0. The break control bit (LCR bit 6) is stored only.
 * - The PC wiring: the chip's INTR output reaches the PIC through a buffer enabled by the
 *   OUT2 pin (IBM PC AT Technical Reference, serial adapter). OUT2 is MCR bit 3, and in
 *   loopback mode the datasheet (§MODEM Control Register) forces the OUT pins inactive, so
 *   the IRQ line is driven only when MCR.OUT2 = 1 and MCR.LOOP = 0. (Bochs gates on
 *   MCR.OUT2 alone; QEMU does not gate.)
 * - Word length: only the low 5–8 bits (LCR bits 1:0) of a byte written to THR are sent,
 *   and received bytes are truncated to the word length, as on the wire. The reset value
 *   of LCR is 0 (5 data bits), so a guest must program 8-bit characters before printing.
 * - The divisor latch is not changed by reset (Table III does not list it); it starts at
 *   12 (9600 baud from the PC's 1.8432-MHz clock). A divisor of 0 counts as 65536.
 *
 * Timing is in virtual nanoseconds from the Clock only, so runs repeat exactly.
 */
import type { Clock, IrqLine } from '../machine/clock';
import type { IoBus, IoDevice } from '../memory/io-bus';
import { readSplit, writeSplit, type ByteRegisters } from './isa-byte-ports';

export const COM1_BASE = 0x3f8;
export const COM1_IRQ = 4;
/** The PC's UART reference clock (Hz): 1.8432 MHz, 16 × 115200 baud. */
export const UART_CLOCK_HZ = 1_843_200;

/** Register offsets from the base port (Table II). */
export const UART_RBR = 0; // read, DLAB = 0
export const UART_THR = 0; // write, DLAB = 0
export const UART_DLL = 0; // DLAB = 1
export const UART_IER = 1; // DLAB = 0
export const UART_DLM = 1; // DLAB = 1
export const UART_IIR = 2; // read
export const UART_FCR = 2; // write
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

/** IER bits (§Interrupt Enable Register). */
export const IER_ERBFI = 0x01; // received data available (and character timeout)
export const IER_ETBEI = 0x02; // transmitter holding register empty
export const IER_ELSI = 0x04; // receiver line status
export const IER_EDSSI = 0x08; // MODEM status

/** IIR values (§Interrupt Identification Register, Table IV). */
export const IIR_NO_INTERRUPT = 0x01;
export const IIR_MODEM_STATUS = 0x00;
export const IIR_THR_EMPTY = 0x02;
export const IIR_RX_DATA = 0x04;
export const IIR_RX_LINE_STATUS = 0x06;
export const IIR_CHAR_TIMEOUT = 0x0c;
export const IIR_FIFOS_ENABLED = 0xc0;

/** FCR bits (§FIFO Control Register). */
export const FCR_ENABLE = 0x01;
export const FCR_RX_RESET = 0x02;
export const FCR_TX_RESET = 0x04;
export const FCR_DMA_MODE = 0x08;
export const FCR_TRIGGER_MASK = 0xc0;

/** LCR bits (§Line Control Register). */
export const LCR_WORD_LENGTH = 0x03;
export const LCR_STOP_BITS = 0x04;
export const LCR_PARITY_ENABLE = 0x08;
export const LCR_BREAK = 0x40;
export const LCR_DLAB = 0x80;

/** MCR bits (§MODEM Control Register). */
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;

/** LSR bits (§Line Status Register). */
export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_PE = 0x04;
export const LSR_FE = 0x08;
export const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
export const LSR_RX_FIFO_ERROR = 0x80;

/** MSR bits (§MODEM Status Register). */
export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04;
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
const LINE_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

export class Uart16550A implements IoDevice, ByteRegisters {
  portFirst = COM1_BASE;
  readonly portCount = 8;
  private irqNumber = COM1_IRQ;

  /** Receives each transmitted byte (the guest's console); null discards them. */
  sink: ((byte: number) => void) | null;
  /** Bytes transmitted to the sink so far. */
  transmitted = 0;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  /** FCR bits 0, 3, 6, 7 as last programmed (FCR is write-only; bits 1–2 self-clear). */
  private fcr = 0;
  private divisor = 12;
  /** Latched LSR error bits (OE; PE/FE/BI never arise here), cleared by reading LSR. */
  private lineErrors = 0;
  /** The receiver FIFO (in character mode, only one entry is used: the RBR). */
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  /** The last byte read from RBR (what RBR reads when the receiver is empty). */
  private rbr = 0;
  /** The THR-empty interrupt condition (Table IV: set when THR empties, reset by an IIR read that reports it or a THR write). */
  private thrEmptyPending = false;
  /** The character-timeout condition (§FIFO Interrupt Mode Operation). */
  private timeoutPending = false;
  /** MSR bits 7:4 as the chip sees them (the pins, or MCR bits in loopback), and the delta bits 3:0. */
  private modemInputs: number;
  private modemDeltas = 0;
  /** MSR bits 7:4 presented by the host end of the line outside loopback. */
  private lineInputs: number;
  /** Level currently driven on the IRQ line. */
  private irqLevel = false;

  /** Bytes the host queued for the receiver, not yet arrived. */
  private hostQueue: number[] = [];
  private hostHead = 0;
  private lastArrival = -Infinity;
  private arrivalEvent = -1;
  private timeoutEvent = -1;

  /**
   * @param irq the interrupt controller input the UART drives (IRQ 4 for COM1, see attach)
   * @param clock virtual time, for the receive pacing and the character timeout
   * @param sink receives each transmitted byte (e.g. the host console); may be set later
   * @param modemLines MSR bits 7:4 the far end presents outside loopback: default DCD, DSR
   *   and CTS asserted (a connected terminal, as QEMU presents)
   */
  constructor(
    private readonly irq: IrqLine,
    private readonly clock: Clock,
    sink: ((byte: number) => void) | null = null,
    modemLines = MSR_DCD | MSR_DSR | MSR_CTS,
  ) {
    this.sink = sink;
    this.lineInputs = modemLines & 0xf0;
    this.modemInputs = this.lineInputs;
  }

  /** Claim ports [base, base + 8) on `bus` and drive IRQ `irq`. */
  attach(bus: IoBus, base = COM1_BASE, irq = COM1_IRQ): this {
    this.portFirst = base;
    this.irqNumber = irq;
    bus.register(base, 8, `16550A UART at ${base.toString(16)}h`, this);
    return this;
  }

  /**
   * Master reset (the MR pin; Table III): IER, FCR, LCR, MCR = 0, LSR = 60h, IIR = 01h, MSR
   * deltas cleared, both FIFOs empty, the IRQ line low. The divisor latch and SCR keep their
   * values; bytes queued by the host stay queued (they are outside the chip).
   */
  reset(): void {
    this.ier = this.lcr = this.mcr = this.fcr = 0;
    this.lineErrors = 0;
    this.clearRxFifo();
    this.thrEmptyPending = false;
    this.modemDeltas = 0;
    this.modemInputs = this.lineInputs;
    this.updateIrq();
    this.scheduleArrival();
  }

  // ---------------------------------------------------------------------------------------
  // Host side

  /**
   * Queue bytes for the receiver, as if the far end sent them (the debugger or the CLI's
   * stdin). A string is taken as Latin-1 (one byte per code unit, low 8 bits). They arrive
   * one character time apart, when the receiver has room; nothing arrives in loopback mode.
   */
  receive(data: string | ArrayLike<number>): void {
    if (typeof data === 'string') for (let k = 0; k < data.length; k++) this.hostQueue.push(data.charCodeAt(k) & 0xff);
    else for (let k = 0; k < data.length; k++) this.hostQueue.push(data[k] & 0xff);
    this.scheduleArrival();
  }

  /** Bytes queued by `receive` that have not reached the receiver yet. */
  get pendingInput(): number {
    return this.hostQueue.length - this.hostHead;
  }

  /** Set the modem status lines the far end presents (MSR bits 7:4: DCD, RI, DSR, CTS). */
  setModemLines(lines: number): void {
    this.lineInputs = lines & 0xf0;
    if (!(this.mcr & MCR_LOOP)) {
      this.setModemInputs(this.lineInputs);
      this.updateIrq();
    }
  }

  /** Whether the UART's IRQ line is high (an enabled interrupt is pending and OUT2 lets it through). */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  /** The programmed rate in bits per second (UART_CLOCK_HZ / (16 × divisor)). */
  get baudRate(): number {
    return UART_CLOCK_HZ / (16 * (this.divisor || 0x10000));
  }

  /**
   * Time on the line for one character, in virtual ns (§Line Control Register,
   * §Programmable Baud Generator): one start bit, 5–8 data bits, an optional parity bit
   * and 1, 1½ (5-bit words) or 2 stop bits, at 16 × divisor cycles of the 1.8432-MHz
   * clock per bit; rounded to a whole ns.
   */
  get characterTimeNs(): number {
    const wls = this.lcr & LCR_WORD_LENGTH;
    let halfBits = 2 * (1 + 5 + wls);
    if (this.lcr & LCR_PARITY_ENABLE) halfBits += 2;
    halfBits += this.lcr & LCR_STOP_BITS ? (wls === 0 ? 3 : 4) : 2;
    return Math.round((halfBits * 16 * (this.divisor || 0x10000) * 1e9) / (2 * UART_CLOCK_HZ));
  }

  // ---------------------------------------------------------------------------------------
  // Guest side

  in(port: number, size: 1 | 2 | 4): number {
    return readSplit(this, port, size);
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    writeSplit(this, port, size, value);
  }

  readByte(port: number): number {
    switch (port - this.portFirst) {
      case 0:
        return this.lcr & LCR_DLAB ? this.divisor & 0xff : this.readRbr();
      case 1:
        return this.lcr & LCR_DLAB ? this.divisor >>> 8 : this.ier;
      case 2:
        return this.readIir();
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return this.readLsr();
      case 6:
        return this.readMsr();
      default:
        return this.scr;
    }
  }

  writeByte(port: number, value: number): void {
    switch (port - this.portFirst) {
      case 0:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | value;
        else this.writeThr(value);
        return;
      case 1:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff) | (value << 8);
        else this.writeIer(value);
        return;
      case 2:
        this.writeFcr(value);
        return;
      case 3:
        this.lcr = value;
        return;
      case 4:
        this.writeMcr(value);
        return;
      case 7:
        this.scr = value;
        return;
      default:
        // LSR and MSR: the datasheet defines them for reading; writes are ignored (as QEMU).
        return;
    }
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private get wordMask(): number {
    return 0xff >>> (3 - (this.lcr & LCR_WORD_LENGTH));
  }

  /** The highest-priority pending, enabled interrupt (Table IV), as IIR bits 3:0. */
  private interruptId(): number {
    const ier = this.ier;
    if (ier & IER_ELSI && this.lineErrors) return IIR_RX_LINE_STATUS;
    if (ier & IER_ERBFI) {
      // Character timeout and received data share the second priority; like QEMU we
      // report the timeout first (both are serviced by reading RBR).
      if (this.timeoutPending) return IIR_CHAR_TIMEOUT;
      if (this.rxCount > 0 && (!this.fifoEnabled || this.rxCount >= TRIGGER_LEVELS[this.fcr >>> 6])) return IIR_RX_DATA;
    }
    if (ier & IER_ETBEI && this.thrEmptyPending) return IIR_THR_EMPTY;
    if (ier & IER_EDSSI && this.modemDeltas) return IIR_MODEM_STATUS;
    return IIR_NO_INTERRUPT;
  }

  /** Drive the IRQ line: INTR gated by the OUT2 pin (MCR.OUT2 = 1 and not in loopback). */
  private updateIrq(): void {
    const level = this.interruptId() !== IIR_NO_INTERRUPT && (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setIrq(this.irqNumber, level);
    }
  }

  private readRbr(): number {
    if (this.rxCount > 0) {
      this.rbr = this.rx[this.rxHead];
      this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
      this.rxCount--;
    }
    if (this.fifoEnabled) {
      // §FIFO Interrupt Mode Operation: a read clears the timeout indication and restarts
      // the timeout timer.
      this.timeoutPending = false;
      this.restartTimeout();
    }
    this.updateIrq();
    this.scheduleArrival();
    return this.rbr;
  }

  /** IIR read (§Interrupt Identification Register): reports the highest-priority interrupt; reporting THR empty clears it. */
  private readIir(): number {
    const id = this.interruptId();
    if (id === IIR_THR_EMPTY) {
      this.thrEmptyPending = false;
      this.updateIrq();
    }
    return id | (this.fifoEnabled ? IIR_FIFOS_ENABLED : 0);
  }

  /** LSR read (§Line Status Register): OE (and PE, FE, BI) are reset by the read, withdrawing the line-status interrupt. */
  private readLsr(): number {
    const v = (this.rxCount > 0 ? LSR_DR : 0) | this.lineErrors | LSR_THRE | LSR_TEMT;
    if (this.lineErrors) {
      this.lineErrors = 0;
      this.updateIrq();
    }
    return v;
  }

  /** MSR read (§MODEM Status Register): the delta bits are reset by the read, withdrawing the modem-status interrupt. */
  private readMsr(): number {
    const v = this.modemInputs | this.modemDeltas;
    if (this.modemDeltas) {
      this.modemDeltas = 0;
      this.updateIrq();
    }
    return v;
  }

  /**
   * THR write: the THR-empty interrupt is withdrawn (Table IV), the byte moves to the
   * transmitter shift register at once, THR is empty again and the interrupt is re-armed.
   */
  private writeThr(value: number): void {
    this.thrEmptyPending = false;
    this.updateIrq();
    const byte = value & this.wordMask;
    if (this.mcr & MCR_LOOP) {
      // §MODEM Control Register: in loopback the transmitter output is connected to the receiver input.
      this.receiveCharacter(byte);
    } else {
      this.transmitted++;
      this.sink?.(byte);
    }
    this.thrEmptyPending = true;
    this.updateIrq();
  }

  private writeIer(value: number): void {
    const old = this.ier;
    this.ier = value & 0x0f;
    // Enabling ETBEI while THR is empty raises the THR-empty interrupt again, even if an
    // IIR read had cleared it (not in the datasheet; what QEMU and Bochs do, and Windows
    // and Linux drivers rely on it). THR is always empty in this model.
    if (this.ier & IER_ETBEI && !(old & IER_ETBEI)) this.thrEmptyPending = true;
    this.updateIrq();
  }

  /** FCR write (§FIFO Control Register). */
  private writeFcr(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    // Changing FCR0 clears both FIFOs.
    const toggled = enable !== this.fifoEnabled;
    if (!enable) {
      // "FCR0 must be 1 when other FCR bits are written to or they will not be programmed."
      this.fcr &= ~FCR_ENABLE;
    } else {
      this.fcr = value & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER_MASK);
    }
    if (toggled || (enable && value & FCR_RX_RESET)) this.clearRxFifo();
    if (toggled || (enable && value & FCR_TX_RESET)) {
      // The transmitter FIFO is always empty here; a reset leaves THR empty, and the first
      // THR-empty interrupt after enabling the FIFOs is immediate (§FIFO Interrupt Mode Operation).
      this.thrEmptyPending = true;
    }
    this.updateIrq();
    this.scheduleArrival();
  }

  private writeMcr(value: number): void {
    const wasLoop = (this.mcr & MCR_LOOP) !== 0;
    this.mcr = value & 0x1f;
    this.setModemInputs(this.mcr & MCR_LOOP ? loopbackInputs(this.mcr) : this.lineInputs);
    this.updateIrq();
    if (wasLoop && !(this.mcr & MCR_LOOP)) this.scheduleArrival();
  }

  /** New MSR input bits 7:4; sets the delta bits for the lines that changed (§MODEM Status Register). */
  private setModemInputs(inputs: number): void {
    const old = this.modemInputs;
    const changed = old ^ inputs;
    if (changed & MSR_CTS) this.modemDeltas |= MSR_DCTS;
    if (changed & MSR_DSR) this.modemDeltas |= MSR_DDSR;
    if (changed & MSR_DCD) this.modemDeltas |= MSR_DDCD;
    // TERI: the RI input went inactive (MSR.RI 1 → 0, the trailing edge of the ring).
    if (old & MSR_RI && !(inputs & MSR_RI)) this.modemDeltas |= MSR_TERI;
    this.modemInputs = inputs;
  }

  /** A character arrives in the receiver (from the line or the loopback path). */
  private receiveCharacter(byte: number): void {
    byte &= this.wordMask;
    const capacity = this.fifoEnabled ? FIFO_SIZE : 1;
    if (this.rxCount < capacity) {
      this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
      this.rxCount++;
    } else {
      // §Line Status Register OE: in character mode the new character overwrites RBR; in FIFO mode the
      // character in the shift register is lost and the FIFO keeps its contents.
      this.lineErrors |= LSR_OE;
      if (!this.fifoEnabled) this.rx[this.rxHead] = byte;
    }
    if (this.fifoEnabled) this.restartTimeout();
    this.updateIrq();
  }

  private clearRxFifo(): void {
    this.rxHead = this.rxCount = 0;
    this.timeoutPending = false;
    if (this.timeoutEvent >= 0) {
      this.clock.cancel(this.timeoutEvent);
      this.timeoutEvent = -1;
    }
  }

  /**
   * Restart the character-timeout timer (§FIFO Interrupt Mode Operation): it expires 4
   * character times from now if bytes wait in the FIFO.
   */
  private restartTimeout(): void {
    if (this.timeoutEvent >= 0) {
      this.clock.cancel(this.timeoutEvent);
      this.timeoutEvent = -1;
    }
    if (this.rxCount === 0 || !this.fifoEnabled) return;
    this.timeoutEvent = this.clock.schedule(this.clock.now() + 4 * this.characterTimeNs, () => {
      this.timeoutEvent = -1;
      if (this.rxCount > 0 && this.fifoEnabled) {
        this.timeoutPending = true;
        this.updateIrq();
      }
    });
  }

  private hasRoom(): boolean {
    return this.rxCount < (this.fifoEnabled ? FIFO_SIZE : 1);
  }

  /**
   * Schedule the next host byte's arrival: one character time after the later of now and
   * the previous arrival, if bytes are queued, the receiver has room and the line is
   * connected (not loopback).
   */
  private scheduleArrival(): void {
    if (this.arrivalEvent >= 0 || this.pendingInput === 0 || this.mcr & MCR_LOOP || !this.hasRoom()) return;
    const at = Math.max(this.clock.now(), this.lastArrival) + this.characterTimeNs;
    this.arrivalEvent = this.clock.schedule(at, () => {
      this.arrivalEvent = -1;
      if (this.pendingInput === 0 || this.mcr & MCR_LOOP || !this.hasRoom()) return; // resumes on the next read
      this.lastArrival = this.clock.now();
      const byte = this.hostQueue[this.hostHead++];
      if (this.hostHead === this.hostQueue.length) {
        this.hostQueue = [];
        this.hostHead = 0;
      }
      this.receiveCharacter(byte);
      this.scheduleArrival();
    });
  }
}

/** MSR bits 7:4 in loopback (§MODEM Control Register): CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
function loopbackInputs(mcr: number): number {
  return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) | (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}
