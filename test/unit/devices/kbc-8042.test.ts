import { describe, expect, it } from 'vitest';
import {
  Kbc8042,
  KBC_STATUS_COMMAND,
  KBC_STATUS_IBF,
  KBC_STATUS_NOT_INHIBITED,
  KBC_STATUS_OBF,
  KBC_STATUS_SYSTEM,
} from '../../../emulator/devices/kbc-8042';
import { IoBus } from '../../../emulator/memory/io-bus';
import { RecordingIrq } from './recording-irq';

function setup() {
  const events: string[] = [];
  const irq = new RecordingIrq();
  const kbc = new Kbc8042({ reset: () => events.push('reset'), setA20: (on) => events.push(`a20:${on ? 1 : 0}`), irq });
  const bus = new IoBus();
  kbc.attach(bus);
  const status = () => bus.in(0x64, 1);
  const data = () => bus.in(0x60, 1);
  const command = (c: number) => bus.out(0x64, 1, c);
  const write = (v: number) => bus.out(0x60, 1, v);
  return { kbc, bus, events, irq, status, data, command, write };
}

describe('8042 status register and output buffer', () => {
  it('powers on with status 18h: buffers empty, last write a command, keyboard not inhibited, system flag clear', () => {
    const { status } = setup();
    expect(status()).toBe(KBC_STATUS_COMMAND | KBC_STATUS_NOT_INHIBITED);
  });

  it('self-test (AAh) puts 55h in the output buffer and sets the system flag; reading port 60h empties it', () => {
    const { status, data, command } = setup();
    command(0xaa);
    expect(status() & (KBC_STATUS_OBF | KBC_STATUS_SYSTEM | KBC_STATUS_IBF)).toBe(KBC_STATUS_OBF | KBC_STATUS_SYSTEM);
    expect(data()).toBe(0x55);
    expect(status() & KBC_STATUS_OBF).toBe(0);
  });

  it('answers the keyboard interface test (ABh) with 00h', () => {
    const { data, command } = setup();
    command(0xab);
    expect(data()).toBe(0x00);
  });

  it('tracks which port was written last in status bit 3', () => {
    const { status, write, command } = setup();
    write(0xf4);
    expect(status() & KBC_STATUS_COMMAND).toBe(0);
    command(0xae);
    expect(status() & KBC_STATUS_COMMAND).toBe(KBC_STATUS_COMMAND);
  });

  it('returns nothing for keyboard bytes (the keyboard is not emulated): OBF stays clear', () => {
    const { kbc, status, write } = setup();
    write(0xff); // keyboard reset
    expect(status() & KBC_STATUS_OBF).toBe(0);
    expect(kbc.keyboardBytesDropped).toBe(1);
  });

  it('raises IRQ 1 while the output buffer is full and command byte bit 0 is set', () => {
    const { irq, data, command, write } = setup();
    command(0xaa);
    expect(irq.level[1]).toBe(true);
    data();
    expect(irq.level[1]).toBe(false);
    command(0x60);
    write(0x00); // interrupts off
    command(0xaa);
    expect(irq.level[1]).toBe(false);
  });
});

describe('8042 command byte (20h / 60h) and controller RAM', () => {
  it('reads and writes the command byte; bit 2 becomes the status system flag', () => {
    const { status, data, command, write, kbc } = setup();
    command(0x20);
    expect(data()).toBe(0x03);
    command(0x60);
    write(0x45);
    expect(kbc.commandByte).toBe(0x45);
    expect(status() & KBC_STATUS_SYSTEM).toBe(KBC_STATUS_SYSTEM);
    command(0x20);
    expect(data()).toBe(0x45);
    command(0x60);
    write(0x41);
    expect(status() & KBC_STATUS_SYSTEM).toBe(0);
  });

  it('reads and writes the other controller RAM bytes through 21h–3Fh / 61h–7Fh', () => {
    const { data, command, write } = setup();
    command(0x7f);
    write(0xa5);
    command(0x3f);
    expect(data()).toBe(0xa5);
  });

  it('disables (ADh) and enables (AEh) the keyboard through command byte bit 4', () => {
    const { data, command } = setup();
    command(0xad);
    command(0x20);
    expect(data()).toBe(0x13);
    command(0xae);
    command(0x20);
    expect(data()).toBe(0x03);
  });
});

describe('8042 output port: A20 and reset', () => {
  it('reads the output port (D0h): CFh at power-on, with A20 and the reset line high', () => {
    const { data, command } = setup();
    command(0xd0);
    expect(data()).toBe(0xcf);
  });

  it('writes the output port (D1h): bit 1 drives A20, and reads back', () => {
    const { events, data, command, write, kbc } = setup();
    command(0xd1);
    write(0xcd);
    command(0xd1);
    write(0xdf);
    expect(events).toEqual(['a20:0', 'a20:1']);
    command(0xd0);
    expect(data()).toBe(0xcf); // bit 4 (OBF) reflects the buffer, not the written value
    expect(kbc.outputPortValue & 2).toBe(2);
  });

  it('pulses reset when the output port is written with bit 0 = 0, then reads bit 0 = 1', () => {
    const { events, data, command, write } = setup();
    command(0xd1);
    write(0xfe);
    expect(events).toEqual(['a20:1', 'reset']);
    command(0xd0);
    expect(data() & 1).toBe(1);
  });

  it('pulses reset for FEh and any F0h–FFh command with bit 0 clear, not for FFh', () => {
    const { events, command } = setup();
    command(0xfe);
    command(0xff);
    command(0xf0);
    command(0xfd);
    expect(events).toEqual(['reset', 'reset']);
  });

  it('turns A20 off and on with DDh / DFh', () => {
    const { events, command, data } = setup();
    command(0xdd);
    command(0xd0);
    expect(data() & 2).toBe(0);
    command(0xdf);
    expect(events).toEqual(['a20:0', 'a20:1']);
  });

  it('takes the byte after D1h as its parameter only once: the next data byte goes to the keyboard', () => {
    const { events, kbc, command, write } = setup();
    command(0xd1);
    write(0xdf);
    write(0xdd);
    expect(events).toEqual(['a20:1']);
    expect(kbc.keyboardBytesDropped).toBe(1);
  });

  it('a new command cancels a pending parameter', () => {
    const { events, command, write } = setup();
    command(0xd1);
    command(0xae);
    write(0xdd);
    expect(events).toEqual([]);
  });

  it('reset() restores the power-on state without calling back', () => {
    const { kbc, events, command, write, status, data } = setup();
    command(0xd1);
    write(0xdd);
    command(0xaa);
    kbc.reset();
    expect(status()).toBe(0x18);
    command(0xd0);
    expect(data()).toBe(0xcf);
    expect(events).toEqual(['a20:0']);
  });
});
