/**
 * The machine's `Clock`: virtual time derived from the CPU's retired-instruction count, and
 * a time-ordered queue of device callbacks.
 *
 *   now() = skippedNs + (cpu.icount - icountAtStart) × nsPerInstruction
 *
 * `nsPerInstruction` is 1e9 / instructionsPerSecond (10 ns at the default 100 MIPS).
 * `skippedNs` grows only when the machine fast-forwards a halted CPU (HLT) to the next
 * event: no instruction retires then, but time passes, as it does for a real processor
 * waiting in the halt state. Time never goes backwards, not even across a machine reset
 * (the CPU's icount keeps counting through `Cpu.reset`).
 *
 * Events with equal times run in the order they were scheduled, so that a run repeats
 * exactly. Callbacks run between instructions (the machine runs the CPU in slices that end
 * at the next event); a callback may schedule further events, including at the current
 * time, which then run in the same `runDue` pass.
 */
import type { Cpu } from '../cpu/cpu';
import type { Clock, VirtualNs } from './clock';

interface Pending {
  at: VirtualNs;
  /** Scheduling order, the tie-break between events of the same time. */
  seq: number;
  handle: number;
  callback: () => void;
}

/** Runaway guard: callbacks run by one `runDue` call before it decides a device loops. */
const MAX_CALLBACKS_PER_PASS = 1_000_000;

export class Scheduler implements Clock {
  /** Virtual nanoseconds per retired instruction. */
  readonly nsPerInstruction: number;
  private readonly icountAtStart: number;
  private skippedNs = 0;
  /** Binary min-heap on (at, seq). */
  private readonly heap: Pending[] = [];
  /** Handles of scheduled, not yet run or cancelled, events. */
  private readonly live = new Set<number>();
  private nextHandle = 1;
  private seq = 0;
  /** Callbacks run so far (statistics). */
  eventsRun = 0;
  /**
   * The virtual time the CPU is being run up to (the end of the machine's current slice), or
   * null between slices. Scheduling an event before it calls `onEarlierEvent`, so that the
   * machine ends the slice at the next instruction boundary and the event fires on time.
   */
  horizon: VirtualNs | null = null;
  onEarlierEvent: (() => void) | null = null;

  /**
   * @param cpu the processor whose retired-instruction count drives time
   * @param instructionsPerSecond virtual processor speed (instructions per virtual second), > 0
   * @throws RangeError when the speed is not a positive finite number
   */
  constructor(
    private readonly cpu: Cpu,
    readonly instructionsPerSecond = 100e6,
  ) {
    if (!(instructionsPerSecond > 0) || !Number.isFinite(instructionsPerSecond)) {
      throw new RangeError(`instructions per second must be a positive number, not ${instructionsPerSecond}`);
    }
    this.nsPerInstruction = 1e9 / instructionsPerSecond;
    this.icountAtStart = cpu.icount;
  }

  /** Current virtual time in nanoseconds. */
  now(): VirtualNs {
    return this.timeAt(this.cpu.icount);
  }

  /** Virtual time when the CPU's icount reaches `icount` (no halting in between). */
  timeAt(icount: number): VirtualNs {
    return this.skippedNs + (icount - this.icountAtStart) * this.nsPerInstruction;
  }

  /**
   * Call `callback` once when virtual time reaches `at` (ns); a time in the past means "as
   * soon as possible". Returns a handle for `cancel`.
   */
  schedule(at: VirtualNs, callback: () => void): number {
    const handle = this.nextHandle++;
    this.live.add(handle);
    this.push({ at, seq: this.seq++, handle, callback });
    if (this.horizon !== null && at < this.horizon) {
      this.horizon = at;
      this.onEarlierEvent?.();
    }
    return handle;
  }

  /** Forget a scheduled event; unknown or already-run handles are ignored. */
  cancel(handle: number): void {
    this.live.delete(handle);
  }

  /** Number of events scheduled and not yet run or cancelled. */
  get pendingCount(): number {
    return this.live.size;
  }

  /** Virtual time of the earliest pending event, or Infinity when none is scheduled. */
  nextEventAt(): VirtualNs {
    this.dropCancelled();
    return this.heap.length === 0 ? Infinity : this.heap[0].at;
  }

  /**
   * Instructions that must retire before the earliest pending event is due: 0 when one is
   * due now, Infinity when none is scheduled. Running exactly this many instructions makes
   * `now()` reach the event's time.
   */
  instructionsUntilNextEvent(): number {
    const at = this.nextEventAt();
    if (at === Infinity) return Infinity;
    const icount = this.cpu.icount;
    if (this.timeAt(icount) >= at) return 0;
    // Smallest n with timeAt(icount + n) >= at; the division's rounding is corrected exactly.
    let n = Math.max(1, Math.ceil((at - this.timeAt(icount)) / this.nsPerInstruction));
    while (this.timeAt(icount + n) < at) n++;
    while (n > 1 && this.timeAt(icount + n - 1) >= at) n--;
    return n;
  }

  /**
   * Run every event whose time has come, in time order (ties in scheduling order),
   * including events those callbacks schedule for now or earlier.
   * @returns the number of callbacks run
   * @throws Error when callbacks keep scheduling due events without end (a device bug)
   */
  runDue(): number {
    const now = this.now();
    let ran = 0;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return ran;
      this.pop();
      this.live.delete(top.handle);
      if (++ran > MAX_CALLBACKS_PER_PASS) {
        throw new Error(`device events keep falling due at virtual time ${now} ns without end (more than ${MAX_CALLBACKS_PER_PASS} in one pass)`);
      }
      this.eventsRun++;
      top.callback();
    }
  }

  /**
   * Let virtual time pass without instructions (the CPU is halted) up to `at` ns. Times in
   * the past are ignored: the clock never runs backwards.
   */
  skipTo(at: VirtualNs): void {
    const now = this.now();
    if (at > now) this.skippedNs += at - now;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0].handle)) this.pop();
  }

  private static before(a: Pending, b: Pending): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(p: Pending): void {
    const h = this.heap;
    let i = h.length;
    h.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!Scheduler.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && Scheduler.before(h[l], h[m])) m = l;
      if (r < h.length && Scheduler.before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
