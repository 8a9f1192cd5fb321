import { describe, expect, it } from 'vitest';
import {
  FCR_ENABLE,
  FCR_RX_RESET,
  FCR_TX_RESET,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  IIR_CHAR_TIMEOUT,
  IIR_FIFOS_ENABLED,
  IIR_MODEM_STATUS,
  IIR_NO_INTERRUPT,
  IIR_RX_DATA,
  IIR_RX_LINE_STATUS,
  IIR_THR_EMPTY,
  LCR_DLAB,
  LSR_DR,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DCTS,
  MSR_DDCD,
  MSR_DDSR,
  MSR_DSR,
  MSR_RI,
  MSR_TERI,
  Uart16550A,
} from '../../../emulator/devices/uart-16550a';
import { IoBus } from '../../../emulator/memory/io-bus';
import { FakeClock } from './fake-clock';
import { RecordingIrq } from './recording-irq';

const BASE = 0x3f8;
const RBR = BASE, THR = BASE, DLL = BASE, IER = BASE + 1, DLM = BASE + 1, IIR = BASE + 2, FCR = BASE + 2;
const LCR = BASE + 3, MCR = BASE + 4, LSR = BASE + 5, MSR = BASE + 6, SCR = BASE + 7;
const LCR_8N1 = 0x03;

function setup() {
  const clock = new FakeClock();
  const irq = new RecordingIrq();
  const sent: number[] = [];
  const uart = new Uart16550A(irq, clock, (b) => sent.push(b));
  const bus = new IoBus();
  uart.attach(bus);
  const inb = (port: number) => bus.in(port, 1);
  const outb = (port: number, v: number) => bus.out(port, 1, v);
  return { clock, irq, sent, uart, bus, inb, outb };
}

/** 8N1, divisor 1 (115200 baud), OUT2 set: what a driver does before using interrupts. */
function configured(fcr = 0) {
  const m = setup();
  m.outb(LCR, LCR_DLAB);
  m.outb(DLL, 1);
  m.outb(DLM, 0);
  m.outb(LCR, LCR_8N1);
  m.outb(MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
  m.outb(FCR, fcr);
  return m;
}

describe('16550A reset state (Table III)', () => {
  it('reads IER 0, IIR 01h, LCR 0, MCR 0, LSR 60h and MSR with the far end connected (DCD, DSR, CTS)', () => {
    const { inb } = setup();
    expect(inb(IER)).toBe(0);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
    expect(inb(LCR)).toBe(0);
    expect(inb(MCR)).toBe(0);
    expect(inb(LSR)).toBe(LSR_THRE | LSR_TEMT);
    expect(inb(MSR)).toBe(MSR_DCD | MSR_DSR | MSR_CTS);
  });

  it('keeps the scratchpad register (§8.10) and ignores writes to LSR and MSR', () => {
    const { inb, outb } = setup();
    outb(SCR, 0x5a);
    outb(LSR, 0xff);
    outb(MSR, 0x0f);
    expect(inb(SCR)).toBe(0x5a);
    expect(inb(LSR)).toBe(0x60);
    expect(inb(MSR)).toBe(0xb0);
  });

  it('reset() clears IER, LCR, MCR, FIFOs and drops the IRQ line, keeping the divisor and SCR', () => {
    const m = configured(FCR_ENABLE);
    m.outb(LCR, LCR_DLAB);
    m.outb(DLL, 3);
    m.outb(LCR, LCR_8N1);
    m.outb(SCR, 0x77);
    m.outb(IER, IER_ETBEI);
    expect(m.irq.level[4]).toBe(true);
    m.uart.reset();
    expect(m.irq.level[4]).toBe(false);
    expect([m.inb(IER), m.inb(IIR), m.inb(LCR), m.inb(MCR), m.inb(LSR), m.inb(SCR)]).toEqual([0, 1, 0, 0, 0x60, 0x77]);
    m.outb(LCR, LCR_DLAB);
    expect(m.inb(DLL)).toBe(3);
  });
});

describe('16550A divisor latch (§8.3, DLAB)', () => {
  it('maps DLL/DLM over RBR/THR and IER while LCR.DLAB = 1, leaving IER untouched', () => {
    const { inb, outb, uart, sent } = setup();
    outb(IER, IER_ERBFI);
    outb(LCR, LCR_DLAB | LCR_8N1);
    outb(DLL, 0x80);
    outb(DLM, 0x01);
    expect(inb(DLL)).toBe(0x80);
    expect(inb(DLM)).toBe(0x01);
    expect(sent).toEqual([]); // the DLL write was not a transmission
    outb(LCR, LCR_8N1);
    expect(inb(IER)).toBe(IER_ERBFI);
    expect(uart.baudRate).toBe(300);
  });

  it('starts at divisor 12 (9600 baud) and derives the character time from the frame format', () => {
    const { uart, outb } = setup();
    expect(uart.baudRate).toBe(9600);
    outb(LCR, LCR_DLAB);
    outb(DLL, 1);
    outb(LCR, 0x03); // 8N1: 10 bits at 115200 baud
    expect(uart.characterTimeNs).toBe(Math.round(10e9 / 115200));
    outb(LCR, 0x03 | 0x08 | 0x04); // 8 data, parity, 2 stop: 12 bits
    expect(uart.characterTimeNs).toBe(Math.round(12e9 / 115200));
    outb(LCR, 0x00 | 0x04); // 5 data, 1.5 stop: 7.5 bits
    expect(uart.characterTimeNs).toBe(Math.round(7.5e9 / 115200));
  });
});

describe('16550A transmitter', () => {
  it('sends each THR byte to the sink in order, at once (LSR THRE and TEMT stay set)', () => {
    const { outb, inb, sent, uart } = configured();
    for (const c of 'Hello') outb(THR, c.charCodeAt(0));
    expect(String.fromCharCode(...sent)).toBe('Hello');
    expect(inb(LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
    expect(uart.transmitted).toBe(5);
  });

  it('sends only the programmed word length: 5 bits after reset', () => {
    const { outb, sent } = setup();
    outb(THR, 0x41);
    outb(LCR, 0x02); // 7 bits
    outb(THR, 0xc1);
    expect(sent).toEqual([0x01, 0x41]);
  });

  it('splits a word OUT into THR then IER (8-bit ISA device)', () => {
    const { bus, inb, sent } = configured();
    bus.out(THR, 2, 0x0241);
    expect(sent).toEqual([0x41]);
    expect(inb(IER)).toBe(IER_ETBEI);
  });
});

describe('16550A THR-empty interrupt (Table IV)', () => {
  it('rises when ETBEI is enabled with THR empty; an IIR read that reports it clears it', () => {
    const { outb, inb, irq } = configured();
    outb(IER, IER_ETBEI);
    expect(irq.level[4]).toBe(true);
    expect(inb(IIR)).toBe(IIR_THR_EMPTY);
    expect(irq.level[4]).toBe(false);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
  });

  it('is withdrawn by a THR write and raised again when the byte leaves THR: a new rising edge per byte', () => {
    const { outb, irq } = configured();
    outb(IER, IER_ETBEI);
    expect(irq.rising[4]).toBe(1);
    outb(THR, 0x31); // no IIR read in between: the line still falls and rises
    outb(THR, 0x32);
    expect(irq.rising[4]).toBe(3);
    expect(irq.level[4]).toBe(true);
  });

  it('is re-armed by turning ETBEI off and on after an IIR read cleared it', () => {
    const { outb, inb } = configured();
    outb(IER, IER_ETBEI);
    inb(IIR);
    outb(IER, 0);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
    outb(IER, IER_ETBEI);
    expect(inb(IIR)).toBe(IIR_THR_EMPTY);
  });

  it('is not reported while ETBEI is clear, though THR is empty', () => {
    const { outb, inb, irq } = configured();
    outb(THR, 0x41);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
    expect(irq.rising[4]).toBe(0);
  });

  it('fires immediately after the FIFOs are enabled (§8.11)', () => {
    const { outb, inb } = configured();
    outb(IER, IER_ETBEI);
    inb(IIR);
    outb(FCR, FCR_ENABLE | FCR_TX_RESET);
    expect(inb(IIR)).toBe(IIR_FIFOS_ENABLED | IIR_THR_EMPTY);
  });
});

describe('16550A OUT2 gating of the IRQ line (PC wiring)', () => {
  it('keeps IRQ 4 low while MCR.OUT2 = 0 though IIR reports the interrupt; OUT2 = 1 lets it through', () => {
    const { outb, inb, irq } = setup();
    outb(LCR, LCR_8N1);
    outb(IER, IER_ETBEI);
    expect(irq.level[4]).toBe(false);
    outb(MCR, MCR_OUT2);
    expect(irq.level[4]).toBe(true);
    expect(irq.rising[4]).toBe(1);
    outb(MCR, 0);
    expect(irq.level[4]).toBe(false);
    expect(inb(IIR)).toBe(IIR_THR_EMPTY);
  });

  it('keeps IRQ 4 low in loopback mode, where the OUT pins are forced inactive (§8.8)', () => {
    const { outb, inb, irq } = configured();
    outb(MCR, MCR_OUT2 | MCR_LOOP);
    outb(IER, IER_ETBEI | IER_ERBFI);
    outb(THR, 0x55);
    expect(inb(IIR)).toBe(IIR_RX_DATA);
    expect(irq.rising[4]).toBe(0);
  });

  it('drives the IRQ chosen at attach', () => {
    const clock = new FakeClock();
    const irq = new RecordingIrq();
    const bus = new IoBus();
    new Uart16550A(irq, clock).attach(bus, 0x2f8, 3);
    bus.out(0x2f8 + 4, 1, MCR_OUT2);
    bus.out(0x2f8 + 1, 1, IER_ETBEI);
    expect(irq.level[3]).toBe(true);
    expect(irq.level[4]).toBe(false);
    expect(bus.owner(0x2ff)).toContain('16550A');
  });
});

describe('16550A receiver, character mode', () => {
  it('delivers queued bytes one character time apart; DR and RBR follow', () => {
    const { uart, clock, inb } = configured();
    const t = uart.characterTimeNs;
    uart.receive('AB');
    expect(inb(LSR) & LSR_DR).toBe(0);
    clock.advanceBy(t - 1);
    expect(inb(LSR) & LSR_DR).toBe(0);
    clock.advanceBy(1);
    expect(inb(LSR) & LSR_DR).toBe(LSR_DR);
    expect(inb(RBR)).toBe(0x41);
    expect(inb(LSR) & LSR_DR).toBe(0);
    clock.advanceBy(t);
    expect(inb(RBR)).toBe(0x42);
    expect(uart.pendingInput).toBe(0);
  });

  it('never overruns from host input: the next byte waits until RBR is read', () => {
    const { uart, clock, inb } = configured();
    uart.receive([1, 2, 3]);
    clock.advanceBy(100 * uart.characterTimeNs);
    expect(inb(LSR) & (LSR_DR | LSR_OE)).toBe(LSR_DR);
    expect(uart.pendingInput).toBe(2);
    expect(inb(RBR)).toBe(1);
    clock.advanceBy(uart.characterTimeNs);
    expect(inb(RBR)).toBe(2);
    clock.advanceBy(uart.characterTimeNs);
    expect(inb(RBR)).toBe(3);
  });

  it('raises the received-data interrupt while DR = 1 and ERBFI is set; reading RBR withdraws it', () => {
    const { uart, clock, inb, outb, irq } = configured();
    outb(IER, IER_ERBFI);
    uart.receive('x');
    clock.advanceBy(uart.characterTimeNs);
    expect(irq.level[4]).toBe(true);
    expect(inb(IIR)).toBe(IIR_RX_DATA);
    expect(inb(RBR)).toBe(0x78);
    expect(irq.level[4]).toBe(false);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
  });

  it('gives each received byte its own rising edge when the handler reads one byte per interrupt', () => {
    const { uart, clock, inb, outb, irq } = configured();
    outb(IER, IER_ERBFI);
    uart.receive('abc');
    for (let k = 0; k < 3; k++) {
      clock.advanceBy(uart.characterTimeNs);
      inb(RBR);
    }
    expect(irq.rising[4]).toBe(3);
  });

  it('reads the last byte again from an empty RBR', () => {
    const { uart, clock, inb } = configured();
    uart.receive('q');
    clock.advanceBy(uart.characterTimeNs);
    expect(inb(RBR)).toBe(0x71);
    expect(inb(RBR)).toBe(0x71);
  });

  it('truncates received bytes to the word length', () => {
    const { uart, clock, inb, outb } = configured();
    outb(LCR, 0x02); // 7 bits
    uart.receive([0xff]);
    clock.advanceBy(uart.characterTimeNs);
    expect(inb(RBR)).toBe(0x7f);
  });
});

describe('16550A FIFOs (§8.5, §8.11)', () => {
  it('reports FIFO mode in IIR bits 7:6 only while FCR0 = 1', () => {
    const { inb, outb } = configured();
    outb(FCR, FCR_ENABLE);
    expect(inb(IIR)).toBe(IIR_FIFOS_ENABLED | IIR_NO_INTERRUPT);
    outb(FCR, 0);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
  });

  it.each([
    [0x00, 1],
    [0x40, 4],
    [0x80, 8],
    [0xc0, 14],
  ])('FCR trigger bits %i: the received-data interrupt fires at %i bytes and clears below it', (bits, level) => {
    const { uart, clock, inb, outb } = configured(FCR_ENABLE | bits);
    outb(IER, IER_ERBFI);
    uart.receive(new Array(16).fill(0x61));
    const t = uart.characterTimeNs;
    for (let n = 1; n < level; n++) {
      clock.advanceBy(t);
      expect(inb(IIR) & 0x0f).toBe(IIR_NO_INTERRUPT);
    }
    clock.advanceBy(t);
    expect(inb(IIR)).toBe(IIR_FIFOS_ENABLED | IIR_RX_DATA);
    inb(RBR); // one below the trigger level
    expect(inb(IIR) & 0x0f).toBe(IIR_NO_INTERRUPT);
  });

  it('holds 16 bytes and keeps the order; DR stays set until the FIFO is empty', () => {
    const { uart, clock, inb } = configured(FCR_ENABLE | 0xc0);
    const bytes = Array.from({ length: 20 }, (_, k) => 0x40 + k);
    uart.receive(bytes);
    clock.advanceBy(40 * uart.characterTimeNs);
    expect(uart.pendingInput).toBe(4); // 16 in the FIFO, the rest held back by flow control
    const got: number[] = [];
    while (inb(LSR) & LSR_DR) {
      got.push(inb(RBR));
      clock.advanceBy(uart.characterTimeNs);
    }
    expect(got).toEqual(bytes);
    expect(inb(LSR) & LSR_OE).toBe(0);
  });

  it('signals a character timeout 4 character times after the last byte when below the trigger level', () => {
    const { uart, clock, inb, outb, irq } = configured(FCR_ENABLE | 0xc0);
    outb(IER, IER_ERBFI);
    const t = uart.characterTimeNs;
    uart.receive('abc');
    clock.advanceBy(3 * t); // all three arrived; the last one at 3t
    expect(inb(IIR) & 0x0f).toBe(IIR_NO_INTERRUPT);
    clock.advanceBy(4 * t - 1);
    expect(irq.level[4]).toBe(false);
    clock.advanceBy(1);
    expect(irq.level[4]).toBe(true);
    expect(inb(IIR)).toBe(IIR_FIFOS_ENABLED | IIR_CHAR_TIMEOUT);
    // A read clears the timeout and restarts the timer; 4 more character times signal it again.
    expect(inb(RBR)).toBe(0x61);
    expect(inb(IIR) & 0x0f).toBe(IIR_NO_INTERRUPT);
    clock.advanceBy(4 * t);
    expect(inb(IIR) & 0x0f).toBe(IIR_CHAR_TIMEOUT);
    inb(RBR);
    inb(RBR);
    clock.advanceBy(10 * t);
    expect(inb(IIR) & 0x0f).toBe(IIR_NO_INTERRUPT); // empty FIFO: no timeout
  });

  it('has no character timeout in character mode', () => {
    const { uart, clock, inb, outb } = configured();
    outb(IER, IER_ERBFI);
    uart.receive('a');
    clock.advanceBy(100 * uart.characterTimeNs);
    expect(inb(IIR)).toBe(IIR_RX_DATA);
  });

  it('FCR1 clears the receiver FIFO and DR; toggling FCR0 clears it too', () => {
    const { uart, clock, inb, outb } = configured(FCR_ENABLE);
    uart.receive('abcd');
    clock.advanceBy(2 * uart.characterTimeNs);
    expect(inb(LSR) & LSR_DR).toBe(LSR_DR);
    outb(FCR, FCR_ENABLE | FCR_RX_RESET);
    expect(inb(LSR) & LSR_DR).toBe(0);
    clock.advanceBy(uart.characterTimeNs);
    expect(inb(RBR)).toBe(0x63);
    clock.advanceBy(uart.characterTimeNs);
    outb(FCR, 0);
    expect(inb(LSR) & LSR_DR).toBe(0);
  });

  it('rewriting FCR with the same FCR0 and no reset bits clears nothing', () => {
    const { inb, outb } = configured(FCR_ENABLE | 0xc0);
    outb(MCR, MCR_LOOP);
    outb(THR, 1);
    outb(FCR, FCR_ENABLE | 0xc0);
    expect(inb(LSR) & LSR_DR).toBe(LSR_DR);
  });

  it('ignores the reset and trigger bits of an FCR write with FCR0 = 0 (§8.5)', () => {
    const { inb, outb } = configured();
    outb(MCR, MCR_LOOP);
    outb(THR, 1);
    outb(FCR, FCR_RX_RESET | 0xc0); // character mode stays: RBR is not cleared
    expect(inb(LSR) & LSR_DR).toBe(LSR_DR);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
    expect(inb(RBR)).toBe(1);
  });
});

describe('16550A loopback (§8.8)', () => {
  it('receives what it transmits, sends nothing to the sink, and ignores host input meanwhile', () => {
    const { uart, clock, inb, outb, sent } = configured(FCR_ENABLE);
    uart.receive('z');
    outb(MCR, MCR_LOOP);
    outb(THR, 0x11);
    outb(THR, 0x22);
    clock.advanceBy(10 * uart.characterTimeNs);
    expect(sent).toEqual([]);
    expect(inb(RBR)).toBe(0x11);
    expect(inb(RBR)).toBe(0x22);
    expect(inb(LSR) & LSR_DR).toBe(0);
    expect(uart.pendingInput).toBe(1);
    outb(MCR, 0);
    clock.advanceBy(uart.characterTimeNs);
    expect(inb(RBR)).toBe(0x7a);
  });

  it('connects RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD and sets the delta bits on changes', () => {
    const { inb, outb } = setup();
    outb(MCR, MCR_LOOP);
    // Entering loopback with all MCR outputs off drops CTS, DSR and DCD (the far end had them on).
    expect(inb(MSR)).toBe(MSR_DCTS | MSR_DDSR | MSR_DDCD);
    expect(inb(MSR)).toBe(0);
    outb(MCR, MCR_LOOP | MCR_RTS);
    expect(inb(MSR)).toBe(MSR_CTS | MSR_DCTS);
    outb(MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT1 | MCR_OUT2);
    expect(inb(MSR)).toBe(MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD | MSR_DDSR | MSR_DDCD);
    outb(MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2); // RI falls: trailing edge
    expect(inb(MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD | MSR_TERI);
    outb(MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2 | MCR_OUT1); // RI rises: no TERI
    expect(inb(MSR) & 0x0f).toBe(0);
  });

  it('overruns in character mode: the new byte replaces RBR and LSR.OE is set until LSR is read', () => {
    const { inb, outb } = configured();
    outb(MCR, MCR_LOOP);
    outb(THR, 0x01);
    outb(THR, 0x02);
    expect(inb(LSR)).toBe(LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
    expect(inb(LSR) & LSR_OE).toBe(0);
    expect(inb(RBR)).toBe(0x02);
  });

  it('overruns in FIFO mode: the 17th byte is lost, the FIFO keeps its 16', () => {
    const { inb, outb } = configured(FCR_ENABLE);
    outb(MCR, MCR_LOOP);
    for (let k = 0; k < 17; k++) outb(THR, k);
    expect(inb(LSR) & LSR_OE).toBe(LSR_OE);
    const got: number[] = [];
    while (inb(LSR) & LSR_DR) got.push(inb(RBR));
    expect(got).toEqual(Array.from({ length: 16 }, (_, k) => k));
  });
});

describe('16550A interrupt priorities (Table IV)', () => {
  it('reports line status over received data over THR empty over modem status, each cleared by its own action', () => {
    const { inb, outb } = configured();
    outb(MCR, MCR_LOOP | MCR_OUT2); // loopback inputs: DCD only, so CTS and DSR fell (deltas pending)
    outb(THR, 1);
    outb(THR, 2); // overrun
    outb(IER, IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI);
    expect(inb(IIR)).toBe(IIR_RX_LINE_STATUS);
    inb(LSR);
    expect(inb(IIR)).toBe(IIR_RX_DATA);
    inb(RBR);
    expect(inb(IIR)).toBe(IIR_THR_EMPTY); // this read clears it
    expect(inb(IIR)).toBe(IIR_MODEM_STATUS);
    inb(MSR);
    expect(inb(IIR)).toBe(IIR_NO_INTERRUPT);
  });

  it('raises the modem-status interrupt on a change of the far end lines (setModemLines)', () => {
    const { uart, inb, outb, irq } = configured();
    outb(IER, IER_EDSSI);
    uart.setModemLines(MSR_DCD | MSR_DSR | MSR_CTS | MSR_RI);
    expect(irq.level[4]).toBe(false); // RI rising is not a delta
    uart.setModemLines(MSR_DSR | MSR_CTS);
    expect(irq.level[4]).toBe(true);
    expect(inb(IIR)).toBe(IIR_MODEM_STATUS);
    expect(inb(MSR)).toBe(MSR_DSR | MSR_CTS | MSR_TERI | MSR_DDCD);
    expect(irq.level[4]).toBe(false);
  });
});

describe('16550A determinism', () => {
  it('produces the same IRQ edges at the same virtual times on a repeated run', () => {
    const trace = () => {
      const m = configured(FCR_ENABLE | 0x40);
      const events: string[] = [];
      m.irq.setIrq = ((orig) => (n: number, level: boolean) => {
        events.push(`${m.clock.now()}:${n}:${level}`);
        orig.call(m.irq, n, level);
      })(m.irq.setIrq);
      m.outb(IER, IER_ERBFI | IER_ETBEI);
      m.uart.receive('the quick brown fox');
      for (let k = 0; k < 60; k++) {
        m.clock.advanceBy(m.uart.characterTimeNs / 2);
        if (k % 5 === 0) while (m.inb(LSR) & LSR_DR) m.inb(RBR);
        if (k % 7 === 0) m.outb(THR, 0x30 + k);
        m.inb(IIR);
      }
      return events;
    };
    const a = trace();
    expect(a.length).toBeGreaterThan(10);
    expect(trace()).toEqual(a);
  });
});
