// The 8259A pair against the Intel 8259A data sheet (order 231468): initialization,
// masks, fully nested priorities with EOI, rotation, cascade, AEOI, spurious IR7, poll,
// special mask and special fully nested modes, edge and level triggering.
import { beforeEach, describe, expect, it } from 'vitest';
import { Pic8259Pair } from '../../../emulator/devices/pic-8259a';
import { IoBus } from '../../../emulator/memory/io-bus';

let io: IoBus;
let pic: Pic8259Pair;
let edges: boolean[];

const out = (port: number, v: number): void => io.out(port, 1, v);
const inb = (port: number): number => io.in(port, 1);

/** The PC BIOS/Linux initialization: edge mode, cascade, vectors 0x20 / 0x28, slave on IR2, 8086 mode. */
function initPc(icw4Master = 0x01, icw4Slave = 0x01): void {
  out(0x20, 0x11);
  out(0xa0, 0x11);
  out(0x21, 0x20);
  out(0xa1, 0x28);
  out(0x21, 0x04);
  out(0xa1, 0x02);
  out(0x21, icw4Master);
  out(0xa1, icw4Slave);
}

/** Raise and keep high. */
const raise = (irq: number): void => pic.setIrq(irq, true);
const lower = (irq: number): void => pic.setIrq(irq, false);
const readIrr = (port: number): number => {
  out(port, 0x0a);
  return inb(port);
};
const readIsr = (port: number): number => {
  out(port, 0x0b);
  return inb(port);
};
const eoi = (port: number): void => out(port, 0x20);

beforeEach(() => {
  io = new IoBus();
  pic = new Pic8259Pair().attach(io);
  edges = [];
  pic.onOutputChange((level) => edges.push(level));
});

describe('initialization (ICW1-ICW4)', () => {
  it('programs vector bases from ICW2 (T7-T3) and answers INTA with base | IR', () => {
    initPc();
    out(0x21, 0x00);
    raise(5);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('ignores the low three bits of ICW2 in 8086 mode', () => {
    initPc();
    out(0x20, 0x11);
    out(0x21, 0x47);
    out(0x21, 0x04);
    out(0x21, 0x01);
    raise(1);
    expect(pic.acknowledge()).toBe(0x41);
  });

  it('treats odd-port writes during the sequence as ICWs, then as OCW1 (IMR)', () => {
    out(0x20, 0x11);
    out(0x21, 0x20);
    expect(pic.master.initializing).toBe(true);
    out(0x21, 0x04);
    out(0x21, 0x01);
    expect(pic.master.initializing).toBe(false);
    expect(inb(0x21)).toBe(0x00); // ICW1 cleared IMR; no ICW was taken for a mask
    out(0x21, 0xfb);
    expect(inb(0x21)).toBe(0xfb);
  });

  it('skips ICW3 in single mode and ICW4 when IC4 = 0', () => {
    out(0x20, 0x12); // SNGL, no IC4
    out(0x21, 0x30);
    expect(pic.master.initializing).toBe(false);
    out(0x21, 0x80); // OCW1
    expect(inb(0x21)).toBe(0x80);
    expect(pic.master.icw4).toBe(0);
    raise(0);
    expect(pic.acknowledge()).toBe(0x30);
  });

  it('clears IMR, ISR, the edge sense latches, the rotation and the special mask on ICW1', () => {
    initPc();
    out(0x21, 0xff);
    out(0x21, 0x00);
    raise(3);
    pic.acknowledge();
    out(0x20, 0xc4); // set priority: IR4 lowest
    out(0x20, 0x68); // special mask mode on
    expect(pic.master.isr).toBe(0x08);
    initPc();
    expect(inb(0x21)).toBe(0);
    expect(pic.master.isr).toBe(0);
    expect(pic.master.lowest).toBe(7);
    expect(pic.master.specialMask).toBe(false);
    // IR3 is still high, but after ICW1 a request needs a new low-to-high transition.
    expect(pic.master.irr).toBe(0);
    expect(pic.pending()).toBe(false);
    lower(3);
    raise(3);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('reads IRR after ICW1 and ISR after OCW3 RR=1 RIS=1', () => {
    initPc();
    raise(4);
    expect(inb(0x20)).toBe(0x10); // status read defaults to IRR
    pic.acknowledge();
    expect(inb(0x20)).toBe(0x00);
    expect(readIsr(0x20)).toBe(0x10);
    expect(inb(0x20)).toBe(0x10); // the selection sticks
    expect(readIrr(0x20)).toBe(0x00);
  });
});

describe('edge triggering', () => {
  beforeEach(() => initPc());

  it('latches a request on the rising edge and clears it when the line drops before INTA', () => {
    raise(6);
    expect(readIrr(0x20)).toBe(0x40);
    expect(pic.pending()).toBe(true);
    lower(6);
    expect(readIrr(0x20)).toBe(0x00);
    expect(pic.pending()).toBe(false);
    expect(edges).toEqual([true, false]);
  });

  it('does not request again while the line stays high after the acknowledge', () => {
    raise(1);
    expect(pic.acknowledge()).toBe(0x21);
    eoi(0x20);
    expect(pic.pending()).toBe(false);
    expect(readIrr(0x20)).toBe(0x00);
    lower(1);
    raise(1);
    expect(pic.pending()).toBe(true);
  });

  it('answers INTA with the IR7 vector and sets no ISR bit when the request went away (spurious IRQ 7)', () => {
    raise(3);
    expect(pic.pending()).toBe(true); // the processor saw INTR high ...
    lower(3); // ... and IR3 dropped before INTA
    expect(pic.acknowledge()).toBe(0x27);
    expect(pic.master.isr).toBe(0);
    expect(readIsr(0x20)).toBe(0);
  });

  it('answers with the slave IR7 vector (spurious IRQ 15) and leaves master ISR2 set when the slave request vanishes inside the INTA cycle', () => {
    raise(11);
    expect(pic.pending()).toBe(true);
    // The master has committed to IR2 at the first INTA pulse; the slave's request is gone
    // by the time the slave resolves its vector (modelled by withdrawing it without the
    // INT update a line change would cause).
    pic.slave.irr = 0;
    expect(pic.acknowledge()).toBe(0x2f);
    expect(pic.slave.isr).toBe(0);
    expect(pic.master.isr).toBe(0x04);
  });

  it('rejects IRQ 2 (the cascade input) and numbers outside 0..15', () => {
    expect(() => raise(2)).toThrow(RangeError);
    expect(() => raise(16)).toThrow(RangeError);
    expect(() => raise(-1)).toThrow(RangeError);
  });
});

describe('level triggering (ICW1 LTIM)', () => {
  it('keeps IRR following the line and requests again after EOI while the line is high', () => {
    out(0x20, 0x19); // LTIM, cascade, IC4
    out(0x21, 0x20);
    out(0x21, 0x04);
    out(0x21, 0x01);
    raise(4);
    expect(pic.acknowledge()).toBe(0x24);
    expect(pic.master.irr).toBe(0x10); // not cleared by INTA
    expect(pic.pending()).toBe(false); // in service
    eoi(0x20);
    expect(pic.pending()).toBe(true);
    lower(4);
    expect(pic.pending()).toBe(false);
  });

  it('treats a line that is already high at ICW1 as a request', () => {
    raise(5);
    out(0x20, 0x19);
    out(0x21, 0x20);
    out(0x21, 0x04);
    out(0x21, 0x01);
    expect(pic.acknowledge()).toBe(0x25);
  });
});

describe('masking (OCW1)', () => {
  beforeEach(() => initPc());

  it('holds a masked request in IRR without raising INT, and raises INT when unmasked', () => {
    out(0x21, 0xff);
    raise(4);
    expect(readIrr(0x20)).toBe(0x10);
    expect(pic.pending()).toBe(false);
    expect(edges).toEqual([]);
    out(0x21, 0xef);
    expect(pic.pending()).toBe(true);
    expect(edges).toEqual([true]);
    out(0x21, 0xff);
    expect(edges).toEqual([true, false]);
  });

  it('masks slave inputs on the slave and the whole slave through master IR2', () => {
    out(0xa1, 0xfe); // only IRQ 8
    raise(9);
    expect(pic.pending()).toBe(false);
    raise(8);
    expect(pic.pending()).toBe(true);
    out(0x21, 0x04); // mask the cascade input
    expect(pic.pending()).toBe(false);
    out(0x21, 0x00);
    expect(pic.acknowledge()).toBe(0x28);
  });
});

describe('fully nested priorities and EOI (OCW2)', () => {
  beforeEach(() => initPc());

  it('serves the lowest-numbered of simultaneous requests first', () => {
    raise(5);
    raise(3);
    raise(6);
    expect(pic.acknowledge()).toBe(0x23);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x25);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x26);
    eoi(0x20);
    expect(pic.pending()).toBe(false);
  });

  it('lets a higher priority interrupt the one in service, holds lower ones until EOI', () => {
    raise(3);
    expect(pic.acknowledge()).toBe(0x23);
    raise(5);
    expect(pic.pending()).toBe(false); // lower than IR3 in service
    raise(1);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x21); // nested
    expect(readIsr(0x20)).toBe(0x0a);
    eoi(0x20); // non-specific: clears the highest in service, IR1
    expect(pic.master.isr).toBe(0x08);
    expect(pic.pending()).toBe(false); // IR5 still below IR3
    eoi(0x20);
    expect(pic.master.isr).toBe(0);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('does not serve a new request at the level in service until EOI', () => {
    raise(4);
    pic.acknowledge();
    lower(4);
    raise(4);
    expect(pic.pending()).toBe(false);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('clears exactly the named level with a specific EOI', () => {
    raise(3);
    pic.acknowledge();
    raise(1);
    pic.acknowledge();
    out(0x20, 0x63); // specific EOI, level 3
    expect(pic.master.isr).toBe(0x02);
    out(0x20, 0x61);
    expect(pic.master.isr).toBe(0);
  });

  it('rotates on non-specific EOI: the level just served becomes the lowest priority', () => {
    raise(0);
    expect(pic.acknowledge()).toBe(0x20);
    out(0x20, 0xa0); // rotate on non-specific EOI
    expect(pic.master.lowest).toBe(0);
    raise(1);
    lower(0);
    raise(0);
    raise(7);
    // Priority order is now 1,2,...,7,0.
    expect(pic.acknowledge()).toBe(0x21);
    out(0x20, 0xa0);
    // Order 2..7,0,1: IR7 before IR0.
    expect(pic.acknowledge()).toBe(0x27);
    out(0x20, 0xa0);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('sets the priority (OCW2 set priority) and rotates on specific EOI', () => {
    out(0x20, 0xc5); // IR5 lowest, IR6 highest
    raise(4);
    raise(6);
    expect(pic.acknowledge()).toBe(0x26);
    out(0x20, 0xe6); // rotate on specific EOI, level 6 -> IR6 lowest, IR7 highest
    expect(pic.master.isr).toBe(0);
    expect(pic.master.lowest).toBe(6);
    raise(7);
    expect(pic.acknowledge()).toBe(0x27);
  });

  it('does nothing on the OCW2 no-operation command or a non-specific EOI with nothing in service', () => {
    raise(3);
    pic.acknowledge();
    out(0x20, 0x40);
    expect(pic.master.isr).toBe(0x08);
    eoi(0x20);
    eoi(0x20);
    expect(pic.master.isr).toBe(0);
  });
});

describe('cascade (slave on master IR2)', () => {
  beforeEach(() => initPc());

  it('returns the slave vector and sets ISR2 on the master and the IR on the slave', () => {
    raise(10);
    expect(readIrr(0xa0)).toBe(0x04);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2a);
    expect(readIsr(0x20)).toBe(0x04);
    expect(readIsr(0xa0)).toBe(0x04);
    expect(pic.pending()).toBe(false);
    eoi(0xa0);
    eoi(0x20);
    expect(pic.master.isr | pic.slave.isr).toBe(0);
  });

  it('ranks slave requests between IRQ 1 and IRQ 3', () => {
    raise(3);
    raise(12);
    raise(1);
    expect(pic.acknowledge()).toBe(0x21);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x2c);
    eoi(0xa0);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('blocks a higher slave request while a slave level is in service (normal nested mode) until the master EOI', () => {
    raise(12);
    expect(pic.acknowledge()).toBe(0x2c);
    raise(9);
    expect(pic.slave.int).toBe(true); // the slave requests ...
    expect(pic.pending()).toBe(false); // ... but the master's IR2 is in service
    eoi(0x20);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x29);
  });

  it('passes a higher slave request in special fully nested mode (ICW4 SFNM on the master)', () => {
    initPc(0x11, 0x01);
    raise(12);
    expect(pic.acknowledge()).toBe(0x2c);
    raise(14);
    expect(pic.pending()).toBe(false); // lower than IRQ 12 on the slave
    raise(9);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x29);
    expect(pic.slave.isr).toBe(0x12);
    // SFNM does not let lower master levels through the in-service cascade input.
    raise(4);
    eoi(0xa0);
    eoi(0xa0);
    expect(pic.slave.isr).toBe(0);
    expect(pic.acknowledge()).toBe(0x2e); // IRQ 14 before IRQ 4, master IR2 still in service
    eoi(0xa0);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('delivers a second pending slave request after both EOIs', () => {
    raise(9);
    raise(13);
    expect(pic.acknowledge()).toBe(0x29);
    expect(pic.pending()).toBe(false);
    eoi(0xa0);
    expect(pic.pending()).toBe(false); // master IR2 still in service
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x2d);
  });

  it('reads 0xFF when the slave does not have the ID the master addresses', () => {
    out(0xa0, 0x11);
    out(0xa1, 0x28);
    out(0xa1, 0x05); // wrong slave ID
    out(0xa1, 0x01);
    raise(8);
    expect(pic.acknowledge()).toBe(0xff);
  });
});

describe('automatic EOI (ICW4 AEOI)', () => {
  it('sets no ISR bit, so lower priorities follow without any EOI', () => {
    initPc(0x03, 0x03);
    raise(5);
    expect(pic.acknowledge()).toBe(0x25);
    expect(pic.master.isr).toBe(0);
    raise(6);
    expect(pic.acknowledge()).toBe(0x26);
  });

  it('delivers the slave requests one after the other without EOIs', () => {
    initPc(0x03, 0x03);
    raise(9);
    raise(13);
    expect(pic.acknowledge()).toBe(0x29);
    expect(pic.pending()).toBe(true); // the slave's INT rose again: a new edge on IR2
    expect(pic.acknowledge()).toBe(0x2d);
    expect(pic.master.isr | pic.slave.isr).toBe(0);
    expect(pic.pending()).toBe(false);
  });

  it('rotates on each acknowledge in "rotate in AEOI mode" and stops after the clear command', () => {
    initPc(0x03, 0x01);
    out(0x20, 0x80); // rotate in AEOI mode: set
    raise(3);
    expect(pic.acknowledge()).toBe(0x23);
    expect(pic.master.lowest).toBe(3);
    out(0x20, 0x00); // clear
    raise(4);
    expect(pic.acknowledge()).toBe(0x24);
    expect(pic.master.lowest).toBe(3);
  });
});

describe('special mask mode (OCW3 ESMM/SMM)', () => {
  beforeEach(() => initPc());

  it('lets lower levels through while the in-service level is masked', () => {
    raise(3);
    expect(pic.acknowledge()).toBe(0x23);
    raise(5);
    expect(pic.pending()).toBe(false);
    out(0x21, 0x08); // mask IR3
    out(0x20, 0x68); // set special mask mode
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x25);
    // A non-specific EOI skips the masked in-service IR3 in special mask mode.
    eoi(0x20);
    expect(pic.master.isr).toBe(0x08);
    out(0x20, 0x48); // reset special mask mode
    out(0x20, 0x63);
    expect(pic.master.isr).toBe(0);
  });
});

describe('poll command (OCW3 P)', () => {
  beforeEach(() => initPc());

  it('reads 0x80 | level and acknowledges it; 0 when nothing can be served', () => {
    raise(6);
    raise(4);
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x84);
    expect(pic.master.isr).toBe(0x10);
    expect(pic.master.irr).toBe(0x40);
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0); // IR6 is below IR4 in service
    expect(inb(0x20)).toBe(0x40); // the poll applies to one read only; this is IRR again
    eoi(0x20);
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x86);
  });

  it('ignores masked levels', () => {
    out(0x21, 0x10);
    raise(4);
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0);
  });
});

describe('port access', () => {
  it('splits a word access over the two ports of a chip', () => {
    initPc();
    io.out(0x20, 2, 0x5a0b); // OCW3 (read ISR) to 0x20, IMR 0x5A to 0x21
    expect(inb(0x21)).toBe(0x5a);
    expect(io.in(0x20, 2)).toBe(0x5a00);
    expect(io.in(0x21, 2)).toBe(0xff5a); // 0x22 is not the PIC's
  });

  it('reports both edges of INTR to the output listener', () => {
    initPc();
    raise(0);
    pic.acknowledge();
    expect(edges).toEqual([true, false]);
    expect(pic.output).toBe(false);
  });
});
