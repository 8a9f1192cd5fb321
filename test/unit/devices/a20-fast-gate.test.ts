import { describe, expect, it } from 'vitest';
import { FastA20Gate } from '../../../emulator/devices/a20-fast-gate';
import { IoBus } from '../../../emulator/memory/io-bus';

function setup() {
  const events: string[] = [];
  const gate = new FastA20Gate({ reset: () => events.push('reset'), setA20: (on) => events.push(`a20:${on ? 1 : 0}`) });
  const bus = new IoBus();
  gate.attach(bus);
  return { gate, bus, events, inb: () => bus.in(0x92, 1), outb: (v: number) => bus.out(0x92, 1, v) };
}

describe('System Control Port A (92h)', () => {
  it('reads 00h at power-on and reads back what was written', () => {
    const { inb, outb } = setup();
    expect(inb()).toBe(0);
    outb(0xca);
    expect(inb()).toBe(0xca);
  });

  it('drives A20 from bit 1 on every write', () => {
    const { outb, events } = setup();
    outb(0x02);
    outb(0x02);
    outb(0x00);
    expect(events).toEqual(['a20:1', 'a20:1', 'a20:0']);
  });

  it('resets on a 0 → 1 transition of bit 0; bit 0 reads 0 after the pulse, so the usual read-or-write resets again', () => {
    const { inb, outb, events } = setup();
    outb(0x03);
    expect(events).toEqual(['a20:1', 'reset']);
    expect(inb()).toBe(0x02);
    outb(inb() | 1);
    expect(events.filter((e) => e === 'reset')).toHaveLength(2);
  });

  it('reset() clears only bit 0', () => {
    const { gate, inb, outb } = setup();
    outb(0x02);
    gate.reset();
    expect(inb()).toBe(0x02);
  });
});
