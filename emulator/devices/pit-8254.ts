/**
 * The PC's 8254 programmable interval timer at ports 0x40–0x43: three 16-bit down
 * counters clocked at 1.193182 MHz. Counter 0's OUT drives IRQ 0; counter 1 (DRAM refresh
 * on old PCs) has no consumer; counter 2's GATE is bit 0 of port 0x61 and its OUT is read
 * back through bit 5 of that port and feeds the speaker — port 0x61 belongs to another
 * device, which uses `setGate(2, …)`, `outputLevel(2)` and `onOutputChange(2, …)`.
 *
 * Follows the Intel 8254 Programmable Interval Timer data sheet (order number 231164),
 * cited by section name: "Control Word Register" / "Write Operations" (Figure 7, Control
 * Word Format), "Read Operations" (Counter Latch Command, Figure 9; Read-Back Command,
 * Figures 10–12; Status Byte), "Mode Definitions" (Modes 0–5), "Operation Common to All
 * Modes" (Programming, Gate, Counter, Table 4 "Minimum and Maximum Initial Counts").
 *
 * Time comes only from the Clock: the counter is never ticked. The input clock's pulses
 * are numbered from virtual time 0 (pulse k happens at ⌈k·10⁹ / 1 193 182⌉ ns), each
 * counter keeps the pulse number at which its counting element (CE) was last loaded or
 * resumed, and the CE value and OUT level at any pulse are computed from the mode's
 * waveform. Counters whose OUT has a consumer (counter 0 always) schedule a Clock callback
 * at their next OUT transition, so the machine can run exactly to it and fast-forward
 * through HLT; OUT changes caused by a write (a control word, a mode 0 count) are reported
 * at once.
 *
 * Implemented: control words (counter select; LSB, MSB, LSB-then-MSB access with
 * independent read and write byte pointers; modes 0–5, 6 and 7 as aliases of 2 and 3;
 * BCD counting, 0 meaning 10⁴), the counter latch command, the read-back command (count
 * and status latches, status read first), all six modes with their gate behaviour
 * (level-sensitive in 0, 2, 3, 4; trigger on a rising edge in 1, 2, 3, 5), reprogramming
 * mid-count as each mode defines, count 0 meaning 2¹⁶ (10⁴ in BCD), the null count flag.
 * Choices where the data sheet is silent or says "undefined":
 * - power-on state: every counter as if programmed with LSB-then-MSB, mode 3, binary, with
 *   no count written: OUT high, not counting, null count set;
 * - the CE value read after a control word and before the first count is loaded is the
 *   value the CE held when the control word arrived;
 * - counts below Table 4's minimum (1 in modes 2 and 3): mode 2 keeps OUT high (no
 *   pulses); mode 3 follows its odd-count rule, which gives a low half-cycle of 0 pulses,
 *   so OUT stays high as well;
 * - mode 4 whose GATE falls on the very pulse OUT strobes low: the strobe is taken as
 *   complete (OUT high while the count is suspended);
 * - reading port 0x43 returns 0xFF (the data sheet lists it as "no operation, 3-state").
 * Gate inputs are sampled at the pulse that follows their change, as the data sheet's
 * "Gate" paragraph describes.
 */
import type { Clock, IrqLine, VirtualNs } from '../machine/clock';
import type { IoBus, IoDevice } from '../memory/io-bus';

export const PIT_PORT = 0x40;
export const PIT_CONTROL_PORT = 0x43;
/** Input clock of every counter on a PC, in Hz. */
export const PIT_CLOCK_HZ = 1193182;
/** The IRQ counter 0's OUT drives. */
export const PIT_IRQ = 0;

const NS_PER_S = 1e9;

/** Index of the last PIT input clock pulse at or before virtual time `ns` (pulse 0 is at 0 ns). */
export function pitPulseAt(ns: VirtualNs): number {
  const t = Math.floor(ns);
  const q = Math.floor(t / NS_PER_S);
  const r = t - q * NS_PER_S;
  // r·f < 1.2e15 stays exact in a double, and the quotient's distance to an integer (≥ 1e-9)
  // exceeds its rounding error, so the floor is exact.
  return q * PIT_CLOCK_HZ + Math.floor((r * PIT_CLOCK_HZ) / NS_PER_S);
}

/** The first whole nanosecond at which pulse `pulse` has happened (`pitPulseAt` of it is `pulse`). */
export function pitPulseTime(pulse: number): VirtualNs {
  const q = Math.floor(pulse / PIT_CLOCK_HZ);
  const r = pulse - q * PIT_CLOCK_HZ;
  return q * NS_PER_S + Math.ceil((r * NS_PER_S) / PIT_CLOCK_HZ);
}

/** Access modes of the control word's RW1 RW0 field. */
const enum PitAccess {
  LATCH = 0,
  LSB = 1,
  MSB = 2,
  LSB_MSB = 3,
}

/** How the CE evolves from the anchor pulse on. */
const enum Run {
  /** Not counting: CE and OUT hold still. */
  IDLE,
  /** Modes 0 and 1: OUT low until the CE reaches 0, then high; the CE wraps and goes on. */
  TERMINAL,
  /** Modes 4 and 5: OUT strobes low for one pulse when the CE reaches 0. */
  STROBE,
  /** Mode 2: period n, OUT low on the pulse where the CE is 1. */
  RATE,
  /** Mode 3: square wave of period n. */
  SQUARE,
}

const fromBcd = (v: number): number => ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
const toBcd = (v: number): number => (Math.floor(v / 1000) % 10 << 12) | (Math.floor(v / 100) % 10 << 8) | (Math.floor(v / 10) % 10 << 4) | v % 10;
const mod = (a: number, m: number): number => ((a % m) + m) % m;

/** One of the three counters. Its methods take the current pulse number `c`. */
class Counter {
  /** Control word bits 5..0 as written (RW1 RW0 M2 M1 M0 BCD), reported by the status byte. */
  control = 0x36;
  mode = 3;
  access: PitAccess = PitAccess.LSB_MSB;
  /** 65536 in binary, 10000 in BCD. */
  modulus = 0x10000;
  /** The count register (CR) as a binary number 0..modulus-1; 0 stands for `modulus`. */
  cr = 0;
  private crLow = 0;
  private writeMsbNext = false;
  private readMsbNext = false;
  private countLatched = false;
  private latchedCount = 0;
  private statusLatched = false;
  private latchedStatus = 0;
  nullCount = true;
  gate = true;
  /** A complete count has been written since the control word. */
  private hasCount = false;
  /** The CE has been loaded since the control word. */
  private loaded = false;
  /** Pulse at which the CR is next transferred to the CE (Infinity when none is due). */
  pendingPulse = Infinity;
  /** Mode 3: the OUT phase the pending load starts with. */
  private pendingHigh = true;

  // The current run, from `anchor` on.
  private run = Run.IDLE;
  private anchor = 0;
  /** TERMINAL/STROBE/IDLE: the CE value at the anchor. */
  private ce = 0;
  /** TERMINAL/STROBE/IDLE: the terminal count was already reached before the anchor. */
  private tc = false;
  /** RATE/SQUARE: the period in pulses. */
  private n = 0;
  /** SQUARE: OUT is high during the half-cycle starting at the anchor. */
  private high0 = true;
  /** IDLE: the OUT level. */
  private idleOut = true;

  // OUT reporting and scheduling (owned by Pit8254).
  reported = false;
  listeners: ((level: boolean) => void)[] = [];
  handle = -1;
  scheduledPulse = Infinity;
  /** The pulse up to which state has been settled (time never goes back). */
  settled = 0;

  /** Power-on state (see the file header). */
  reset(c: number): void {
    this.writeControl(0x36, c);
  }

  /** Apply a CR → CE transfer that became due at or before pulse `c`. */
  settle(c: number): void {
    if (c > this.settled) this.settled = c;
    const p = this.pendingPulse;
    if (p > c) return;
    this.pendingPulse = Infinity;
    this.nullCount = false;
    this.loaded = true;
    const n = this.cr === 0 ? this.modulus : this.cr;
    switch (this.mode) {
      case 0:
        if (this.gate) this.start(Run.TERMINAL, p, this.cr, false);
        else this.idle(this.cr, false, false);
        break;
      case 4:
        if (this.gate) this.start(Run.STROBE, p, this.cr, false);
        else this.idle(this.cr, true, false);
        break;
      case 1:
        this.start(Run.TERMINAL, p, this.cr, false);
        break;
      case 5:
        this.start(Run.STROBE, p, this.cr, false);
        break;
      default: // 2, 3
        if (!this.gate) this.idle(this.cr, true, false);
        else {
          this.run = this.mode === 2 ? Run.RATE : Run.SQUARE;
          this.anchor = p;
          this.n = n;
          this.high0 = this.pendingHigh;
        }
    }
  }

  private start(run: Run, anchor: number, ce: number, tc: boolean): void {
    this.run = run;
    this.anchor = anchor;
    this.ce = ce;
    this.tc = tc;
  }

  private idle(ce: number, out: boolean, tc: boolean): void {
    this.run = Run.IDLE;
    this.ce = ce;
    this.idleOut = out;
    this.tc = tc;
  }

  /** Pulses from the anchor until a TERMINAL/STROBE run's CE reaches 0. */
  private distance(): number {
    return this.ce === 0 ? this.modulus : this.ce;
  }

  /**
   * SQUARE: pulses in the half-cycle that starts at the anchor — (N+1)/2 high or (N-1)/2 low
   * for odd N, N/2 for even N (Mode 3 "Odd counts" / "Even counts").
   */
  private firstHalf(): number {
    return this.high0 ? (this.n + 1) >> 1 : this.n >> 1;
  }

  /** The CE value at pulse `c` (binary, 0..modulus-1), after `settle(c)`. */
  value(c: number): number {
    const t = c - this.anchor;
    switch (this.run) {
      case Run.TERMINAL:
      case Run.STROBE:
        return mod(this.ce - t, this.modulus);
      case Run.RATE:
        return mod(this.n - (t % this.n), this.modulus);
      case Run.SQUARE: {
        const off = t % this.n;
        const first = this.firstHalf();
        const j = off < first ? off : off - first; // pulses into the current half-cycle
        // Even N: N, N-2, … 2 in each half; odd N: N-1, N-3, … (Mode 3 "Odd counts").
        const top = this.n & 1 ? this.n - 1 : this.n;
        return mod(top - 2 * j, this.modulus);
      }
      default:
        return this.ce;
    }
  }

  /** The OUT level at pulse `c`, after `settle(c)`. */
  out(c: number): boolean {
    const t = c - this.anchor;
    switch (this.run) {
      case Run.TERMINAL:
        return this.tc || t >= this.distance();
      case Run.STROBE:
        return this.tc || t !== this.distance();
      case Run.RATE:
        return this.n < 2 || t % this.n !== this.n - 1;
      case Run.SQUARE:
        return t % this.n < this.firstHalf() === this.high0;
      default:
        return this.idleOut;
    }
  }

  /** The first pulse after `c` at which OUT changes or a CR → CE transfer is due (Infinity if none). */
  nextEvent(c: number): number {
    const t = c - this.anchor;
    let e = Infinity;
    switch (this.run) {
      case Run.TERMINAL:
        if (!this.tc && t < this.distance()) e = this.anchor + this.distance();
        break;
      case Run.STROBE:
        if (!this.tc && t <= this.distance()) e = this.anchor + this.distance() + (t === this.distance() ? 1 : 0);
        break;
      case Run.RATE:
        if (this.n >= 2) {
          const k = t % this.n;
          e = k < this.n - 1 ? c + (this.n - 1 - k) : c + 1;
        }
        break;
      case Run.SQUARE:
        if (this.n >= 2) e = this.halfCycleEnd(c);
        break;
      default:
        break;
    }
    return Math.min(e, this.pendingPulse > c ? this.pendingPulse : Infinity);
  }

  /** SQUARE: the pulse that ends the current half-cycle (the next reload). */
  private halfCycleEnd(c: number): number {
    const off = (c - this.anchor) % this.n;
    const first = this.firstHalf();
    return c + ((off < first ? first : this.n) - off);
  }

  /** Whether the CE is counting (a run other than IDLE). */
  private get running(): boolean {
    return this.run !== Run.IDLE;
  }

  /** A control word for this counter (Write Operations; Programming: "all Control Logic is immediately reset"). */
  writeControl(v: number, c: number): void {
    const ce = this.value(c);
    this.control = v & 0x3f;
    this.access = ((v >> 4) & 3) as PitAccess;
    const m = (v >> 1) & 7;
    this.mode = m > 5 ? m - 4 : m;
    this.modulus = v & 1 ? 10000 : 0x10000;
    this.writeMsbNext = false;
    this.readMsbNext = false;
    this.countLatched = false;
    this.statusLatched = false;
    this.nullCount = true;
    this.hasCount = false;
    this.loaded = false;
    this.pendingPulse = Infinity;
    this.idle(ce % this.modulus, this.mode !== 0, false);
  }

  /** Counter Latch Command: latch the CE unless a latched count is still unread. */
  latchCount(c: number): void {
    if (this.countLatched) return;
    this.countLatched = true;
    this.latchedCount = this.value(c);
  }

  /** Read-Back Command's status latch (Status Byte: OUT, NULL COUNT, RW1..BCD). */
  latchStatus(c: number): void {
    if (this.statusLatched) return;
    this.statusLatched = true;
    this.latchedStatus = (this.out(c) ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | this.control;
  }

  /** A read of this counter's port (Read Operations). */
  read(c: number): number {
    if (this.statusLatched) {
      this.statusLatched = false;
      return this.latchedStatus;
    }
    let v = this.countLatched ? this.latchedCount : this.value(c);
    if (this.modulus === 10000) v = toBcd(v);
    let byte: number;
    let done = true;
    if (this.access === PitAccess.MSB) byte = v >> 8;
    else if (this.access === PitAccess.LSB_MSB && this.readMsbNext) byte = v >> 8;
    else {
      byte = v & 0xff;
      done = this.access !== PitAccess.LSB_MSB;
    }
    if (this.access === PitAccess.LSB_MSB) this.readMsbNext = !this.readMsbNext;
    if (done) this.countLatched = false;
    return byte & 0xff;
  }

  /** A write to this counter's port: a byte of the count (Write Operations; each mode's "new count" rules). */
  write(b: number, c: number): void {
    let raw: number;
    switch (this.access) {
      case PitAccess.LSB:
        raw = b;
        break;
      case PitAccess.MSB:
        raw = b << 8;
        break;
      default:
        if (!this.writeMsbNext) {
          this.crLow = b;
          this.writeMsbNext = true;
          this.nullCount = true;
          // Mode 0: writing the first byte disables counting and sets OUT low at once.
          if (this.mode === 0) {
            this.idle(this.value(c), false, false);
            this.loaded = false;
            this.pendingPulse = Infinity;
          }
          return;
        }
        this.writeMsbNext = false;
        raw = this.crLow | (b << 8);
    }
    this.cr = this.modulus === 10000 ? fromBcd(raw) % 10000 : raw;
    this.nullCount = true;
    this.hasCount = true;
    switch (this.mode) {
      case 0: // OUT low at once; the count is loaded on the next pulse
        this.idle(this.value(c), false, false);
        this.pendingPulse = c + 1;
        break;
      case 4: // loaded on the next pulse, counting continues from it
        this.pendingPulse = c + 1;
        break;
      case 1:
      case 5: // waits for the next trigger
        break;
      default: // 2, 3: a running counter takes the new count at the end of the (half-)period
        if (this.running) {
          if (this.run === Run.RATE) {
            const k = (c - this.anchor) % this.n;
            this.pendingPulse = c + (this.n - k);
            this.pendingHigh = true;
          } else {
            const end = this.halfCycleEnd(c);
            this.pendingPulse = end;
            this.pendingHigh = !this.out(c);
          }
        } else if (!this.loaded) {
          this.pendingPulse = c + 1;
          this.pendingHigh = true;
        }
      // else: loaded but held by GATE low; the next trigger loads the new count
    }
  }

  /** GATE input change (Operation Common to All Modes: Gate; each mode's GATE rules). */
  setGate(level: boolean, c: number): void {
    if (level === this.gate) return;
    this.gate = level;
    switch (this.mode) {
      case 0:
      case 4:
        if (!level) {
          if (this.running) {
            const reached = this.tc || c - this.anchor >= this.distance();
            this.idle(this.value(c), this.mode === 0 ? reached : true, reached);
          }
        } else if (this.loaded && !this.running) {
          this.start(this.mode === 0 ? Run.TERMINAL : Run.STROBE, c, this.ce, this.tc);
        }
        break;
      case 1:
      case 5:
        if (level && this.hasCount) this.pendingPulse = c + 1;
        break;
      default: // 2, 3: low stops counting and forces OUT high; a rising edge reloads
        if (!level) {
          if (this.running) this.idle(this.value(c), true, false);
          this.pendingPulse = Infinity;
        } else if (this.hasCount) {
          this.pendingPulse = c + 1;
          this.pendingHigh = true;
        }
    }
  }
}

/**
 * The 8254 as wired on a PC. Counter 0's OUT drives IRQ 0 of `irq`; GATE 0 and GATE 1 are
 * tied high; GATE 2 is set by the owner of port 0x61 through `setGate(2, level)`.
 */
export class Pit8254 implements IoDevice {
  private readonly counters = [new Counter(), new Counter(), new Counter()];
  /** Bound once: the Clock callback of each counter. */
  private readonly callbacks: (() => void)[];

  /**
   * @param clock the machine's virtual time (the only time source)
   * @param irq receives counter 0's OUT as IRQ 0 (rising edge when the count expires); null leaves OUT 0 unconnected
   */
  constructor(
    private readonly clock: Clock,
    irq: IrqLine | null,
  ) {
    this.callbacks = this.counters.map((_, i) => () => this.fire(i));
    if (irq !== null) this.counters[0].listeners.push((level) => irq.setIrq(PIT_IRQ, level));
    this.reset();
  }

  /** Claim ports 0x40–0x43 on `bus`. */
  attach(bus: IoBus): this {
    bus.register(PIT_PORT, 4, '8254 PIT', this);
    return this;
  }

  /** Power-on state of every counter (see the file header); GATE levels are kept. */
  reset(): void {
    const c = this.pulse();
    for (let i = 0; i < 3; i++) {
      this.counters[i].settle(c);
      this.counters[i].reset(c);
      this.refresh(i, c);
    }
  }

  /** Set counter `counter`'s GATE input (only counter 2's is not tied high on a PC). */
  setGate(counter: number, level: boolean): void {
    const k = this.counter(counter);
    const c = this.pulse();
    k.settle(c);
    k.setGate(level, c);
    this.refresh(counter, c);
  }

  /** Counter `counter`'s OUT level now (counter 2's is port 0x61 bit 5). */
  outputLevel(counter: number): boolean {
    const k = this.counter(counter);
    const c = this.pulse();
    k.settle(c);
    return k.out(c);
  }

  /**
   * Call `listener(level)` at every change of counter `counter`'s OUT, at the virtual time it
   * happens (the PIT then schedules Clock callbacks for that counter's transitions).
   */
  onOutputChange(counter: number, listener: (level: boolean) => void): void {
    const k = this.counter(counter);
    k.listeners.push(listener);
    const c = this.pulse();
    k.settle(c);
    k.reported = k.out(c);
    this.refresh(counter, c);
  }

  in(port: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.readByte((port + k) & 0xffff) << (8 * k);
    return v >>> 0;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    for (let k = 0; k < size; k++) this.writeByte((port + k) & 0xffff, (value >>> (8 * k)) & 0xff);
  }

  private readByte(port: number): number {
    const i = port - PIT_PORT;
    if (i < 0 || i > 2) return 0xff; // 0x43 reads nothing ("no operation, 3-state")
    const c = this.pulse();
    const k = this.counters[i];
    k.settle(c);
    return k.read(c);
  }

  private writeByte(port: number, value: number): void {
    const i = port - PIT_PORT;
    if (i < 0 || i > 3) return;
    const c = this.pulse();
    if (i < 3) {
      const k = this.counters[i];
      k.settle(c);
      k.write(value, c);
      this.refresh(i, c);
      return;
    }
    const sc = value >> 6;
    if (sc === 3) {
      // Read-Back Command: 11 COUNT̄ STATUS̄ CNT2 CNT1 CNT0 0.
      for (let j = 0; j < 3; j++) {
        if ((value & (2 << j)) === 0) continue;
        const k = this.counters[j];
        k.settle(c);
        if ((value & 0x20) === 0) k.latchCount(c);
        if ((value & 0x10) === 0) k.latchStatus(c);
      }
      return;
    }
    const k = this.counters[sc];
    k.settle(c);
    if ((value & 0x30) === 0) k.latchCount(c);
    else {
      k.writeControl(value, c);
      this.refresh(sc, c);
    }
  }

  private counter(i: number): Counter {
    const k = this.counters[i];
    if (k === undefined) throw new RangeError(`the 8254 has counters 0..2, not ${i}`);
    return k;
  }

  private pulse(): number {
    return pitPulseAt(this.clock.now());
  }

  /** Report counter `i`'s OUT at pulse `c` if it changed, and schedule its next event. */
  private refresh(i: number, c: number): void {
    const k = this.counters[i];
    if (k.listeners.length === 0) return;
    this.report(k, k.out(c));
    const next = k.nextEvent(c);
    if (next === k.scheduledPulse && k.handle >= 0) return;
    if (k.handle >= 0) this.clock.cancel(k.handle);
    k.handle = -1;
    k.scheduledPulse = next;
    if (next !== Infinity) k.handle = this.clock.schedule(pitPulseTime(next), this.callbacks[i]);
  }

  private report(k: Counter, level: boolean): void {
    if (level === k.reported) return;
    k.reported = level;
    for (const l of k.listeners) l(level);
  }

  /**
   * The Clock callback at a scheduled event of counter `i`. Events the Clock ran late for
   * are replayed in order (a few at most), so a one-pulse low on OUT is not lost.
   */
  private fire(i: number): void {
    const k = this.counters[i];
    k.handle = -1;
    const c = this.pulse();
    let e = k.scheduledPulse;
    for (let guard = 0; e <= c && e >= k.settled && guard < 4; guard++) {
      k.settle(e);
      this.report(k, k.out(e));
      e = k.nextEvent(e);
    }
    k.settle(c);
    k.scheduledPulse = Infinity;
    this.refresh(i, c);
  }
}
