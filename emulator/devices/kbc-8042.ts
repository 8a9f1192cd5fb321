/**
 * The 8042 keyboard controller at I/O ports 60h (data) and 64h (status / command), as far
 * as the PC uses it for the A20 gate and the processor reset line.
 *
 * Follows the IBM Personal Computer AT Technical Reference, System Board section,
 * "Keyboard Controller": "Status Register" (bit 0 output buffer full, bit 1 input buffer
 * full, bit 2 system flag, bit 3 command/data, bit 4 inhibit switch), "Command Byte" (the
 * byte at controller RAM address 0: bit 0 enable output-buffer-full interrupt, bit 2
 * system flag, bit 4 disable keyboard, bit 5 IBM PC mode, bit 6 PC compatibility), and
 * "Commands (I/O Address Hex 64)": 20h–3Fh read controller RAM, 60h–7Fh write controller
 * RAM, AAh self-test (55h), ABh interface test (00h), ADh/AEh disable/enable keyboard,
 * D0h read output port, D1h write output port (bit 0 = system reset, active low; bit 1 =
 * gate A20), F0h–FFh pulse output port bits 3:0 (a 0 bit pulses that line: FEh pulses
 * reset). Also DDh/DFh (A20 off/on), found on many compatible controllers and in QEMU.
 * Power-on values as QEMU's i8042 (hw/input/pckbd.c): status 18h (command/data, not
 * inhibited), command byte 03h, output port CFh (reset line inactive, A20 enabled).
 *
 * Not modelled (documented, not pretended): the keyboard itself. Bytes written to port 60h
 * that are not the parameter of a controller command would go to the keyboard; they are
 * dropped (counted in `keyboardBytesDropped`) and nothing answers, so OBF stays clear. The
 * input port (C0h), test inputs (E0h), the PS/2 auxiliary device commands (A7h–A9h, D2h–D4h)
 * and other commands are ignored. Commands complete at once, so IBF always reads 0.
 * Holding the processor in reset is not modelled: writing the output port with bit 0 = 0
 * or a pulse command pulses the reset line (the `reset` callback) and the output port's
 * bit 0 reads 1 again afterwards.
 *
 * The A20 line and the reset line are injected callbacks: the machine wires them to the
 * physical memory's A20 gate and to the system reset.
 */
import type { IrqLine } from '../machine/clock';
import type { IoBus, IoDevice } from '../memory/io-bus';

export const KBC_DATA_PORT = 0x60;
export const KBC_STATUS_PORT = 0x64;
export const KBC_IRQ = 1;

/** Status register bits. */
export const KBC_STATUS_OBF = 0x01;
export const KBC_STATUS_IBF = 0x02;
export const KBC_STATUS_SYSTEM = 0x04;
export const KBC_STATUS_COMMAND = 0x08;
export const KBC_STATUS_NOT_INHIBITED = 0x10;

/** Command byte bits. */
export const KBC_CB_INTERRUPT = 0x01;
export const KBC_CB_SYSTEM = 0x04;
export const KBC_CB_DISABLE_KEYBOARD = 0x10;

/** Output port bits. */
export const KBC_OUT_RESET = 0x01; // 0 = reset the processor
export const KBC_OUT_A20 = 0x02;
export const KBC_OUT_OBF = 0x10; // output buffer full (IRQ 1)

/** Controller commands (port 64h). */
export const KBC_CMD_READ_RAM = 0x20; // 20h–3Fh
export const KBC_CMD_WRITE_RAM = 0x60; // 60h–7Fh
export const KBC_CMD_SELF_TEST = 0xaa;
export const KBC_CMD_INTERFACE_TEST = 0xab;
export const KBC_CMD_DISABLE_KEYBOARD = 0xad;
export const KBC_CMD_ENABLE_KEYBOARD = 0xae;
export const KBC_CMD_READ_OUTPUT_PORT = 0xd0;
export const KBC_CMD_WRITE_OUTPUT_PORT = 0xd1;
export const KBC_CMD_A20_OFF = 0xdd;
export const KBC_CMD_A20_ON = 0xdf;
export const KBC_CMD_PULSE_RESET = 0xfe;

export interface Kbc8042Callbacks {
  /** Pulse of the processor reset line (the machine resets the system). */
  reset: () => void;
  /** The A20 gate output (output port bit 1), on every write of the output port. */
  setA20: (enabled: boolean) => void;
  /** Optional: IRQ 1, driven high while the output buffer is full and command byte bit 0 is set. */
  irq?: IrqLine;
}

const POWER_ON_STATUS = KBC_STATUS_COMMAND | KBC_STATUS_NOT_INHIBITED;
const POWER_ON_COMMAND_BYTE = 0x03;
const POWER_ON_OUTPUT_PORT = 0xcf;

export class Kbc8042 implements IoDevice {
  /** Controller RAM; byte 0 is the command byte. */
  private readonly ram = new Uint8Array(32);
  private status = POWER_ON_STATUS;
  private outputBuffer = 0;
  private outputPort = POWER_ON_OUTPUT_PORT;
  /** A command waiting for its parameter byte at port 60h, or 0. */
  private pendingCommand = 0;
  private irqNumber = KBC_IRQ;
  private irqLevel = false;
  /** Bytes written to port 60h for the keyboard, which is not emulated. */
  keyboardBytesDropped = 0;

  constructor(private readonly callbacks: Kbc8042Callbacks) {
    this.ram[0] = POWER_ON_COMMAND_BYTE;
  }

  /** Claim ports 60h and 64h (ports 61h–63h belong to other devices on the PC). */
  attach(bus: IoBus, irq = KBC_IRQ): this {
    this.irqNumber = irq;
    bus.register(KBC_DATA_PORT, 1, '8042 keyboard controller (data)', this);
    bus.register(KBC_STATUS_PORT, 1, '8042 keyboard controller (status/command)', this);
    return this;
  }

  /** Power-on state (status 18h, command byte 03h, output port CFh, buffer empty); the callbacks are not called. */
  reset(): void {
    this.ram.fill(0);
    this.ram[0] = POWER_ON_COMMAND_BYTE;
    this.status = POWER_ON_STATUS;
    this.outputPort = POWER_ON_OUTPUT_PORT;
    this.pendingCommand = 0;
    this.updateIrq();
  }

  /** The output port latch (bit 1 = A20 gate). */
  get outputPortValue(): number {
    return this.outputPort;
  }

  /** The command byte (controller RAM byte 0). */
  get commandByte(): number {
    return this.ram[0];
  }

  in(port: number, size: 1 | 2 | 4): number {
    // One byte register per port; a wider read sees open bus above it.
    const v = port === KBC_STATUS_PORT ? this.status : this.readData();
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  out(port: number, _size: 1 | 2 | 4, value: number): void {
    // The 8-bit controller sees the low byte of a wider write.
    if (port === KBC_STATUS_PORT) this.command(value & 0xff);
    else this.writeData(value & 0xff);
  }

  private readData(): number {
    // Reading port 60h empties the output buffer; an empty buffer reads its last byte.
    if (this.status & KBC_STATUS_OBF) {
      this.status &= ~KBC_STATUS_OBF;
      this.updateIrq();
    }
    return this.outputBuffer;
  }

  private put(byte: number): void {
    this.outputBuffer = byte & 0xff;
    this.status |= KBC_STATUS_OBF;
    this.updateIrq();
  }

  /** IRQ 1 = output buffer full, gated by command byte bit 0 (and, as in QEMU, not while the keyboard is disabled). */
  private updateIrq(): void {
    const cb = this.ram[0];
    const level = (this.status & KBC_STATUS_OBF) !== 0 && (cb & (KBC_CB_INTERRUPT | KBC_CB_DISABLE_KEYBOARD)) === KBC_CB_INTERRUPT;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.callbacks.irq?.setIrq(this.irqNumber, level);
  }

  private command(cmd: number): void {
    this.status |= KBC_STATUS_COMMAND;
    this.pendingCommand = 0;
    if (cmd >= KBC_CMD_READ_RAM && cmd <= KBC_CMD_READ_RAM + 0x1f) {
      this.put(this.ram[cmd & 0x1f]);
      return;
    }
    if ((cmd >= KBC_CMD_WRITE_RAM && cmd <= KBC_CMD_WRITE_RAM + 0x1f) || cmd === KBC_CMD_WRITE_OUTPUT_PORT) {
      this.pendingCommand = cmd;
      return;
    }
    if (cmd >= 0xf0) {
      // Pulse output port bits 3:0 low for 6 µs where the command's bit is 0; only bit 0
      // (reset) has an effect on the PC.
      if (!(cmd & 1)) this.callbacks.reset();
      return;
    }
    switch (cmd) {
      case KBC_CMD_SELF_TEST:
        this.status |= KBC_STATUS_SYSTEM;
        this.put(0x55);
        return;
      case KBC_CMD_INTERFACE_TEST:
        this.put(0x00);
        return;
      case KBC_CMD_DISABLE_KEYBOARD:
        this.ram[0] |= KBC_CB_DISABLE_KEYBOARD;
        this.updateIrq();
        return;
      case KBC_CMD_ENABLE_KEYBOARD:
        this.ram[0] &= ~KBC_CB_DISABLE_KEYBOARD;
        this.updateIrq();
        return;
      case KBC_CMD_READ_OUTPUT_PORT:
        this.put((this.outputPort & ~KBC_OUT_OBF) | (this.status & KBC_STATUS_OBF ? KBC_OUT_OBF : 0));
        return;
      case KBC_CMD_A20_OFF:
        this.writeOutputPort(this.outputPort & ~KBC_OUT_A20);
        return;
      case KBC_CMD_A20_ON:
        this.writeOutputPort(this.outputPort | KBC_OUT_A20);
        return;
      default:
        return; // not modelled: ignored (see the header)
    }
  }

  private writeData(value: number): void {
    this.status &= ~KBC_STATUS_COMMAND;
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    if (cmd === KBC_CMD_WRITE_OUTPUT_PORT) {
      this.writeOutputPort(value);
    } else if (cmd >= KBC_CMD_WRITE_RAM && cmd <= KBC_CMD_WRITE_RAM + 0x1f) {
      this.ram[cmd & 0x1f] = value;
      if (cmd === KBC_CMD_WRITE_RAM) {
        // Command byte bit 2 is copied to the status register's system flag (IBM; QEMU
        // sets the flag only on self-test).
        this.status = (this.status & ~KBC_STATUS_SYSTEM) | (value & KBC_CB_SYSTEM);
        this.updateIrq();
      }
    } else {
      this.keyboardBytesDropped++;
    }
  }

  private writeOutputPort(value: number): void {
    // Bit 4 (output buffer full) is driven by the controller, not the latch.
    this.outputPort = value & ~KBC_OUT_OBF;
    this.callbacks.setA20((value & KBC_OUT_A20) !== 0);
    if (!(value & KBC_OUT_RESET)) {
      this.callbacks.reset();
      this.outputPort |= KBC_OUT_RESET; // a pulse: the processor is not held in reset
    }
  }
}
