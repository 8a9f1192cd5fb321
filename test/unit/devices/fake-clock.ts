/**
 * A Clock for device tests: virtual time moves only when the test advances it, and due
 * callbacks run in time order (ties in scheduling order) with `now()` equal to their time.
 */
import type { Clock, VirtualNs } from '../../../emulator/machine/clock';

interface Pending {
  at: VirtualNs;
  handle: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private time: VirtualNs = 0;
  private nextHandle = 1;
  private queue: Pending[] = [];
  /** Times at which callbacks ran, in order. */
  readonly fired: VirtualNs[] = [];

  now(): VirtualNs {
    return this.time;
  }

  schedule(at: VirtualNs, callback: () => void): number {
    const handle = this.nextHandle++;
    this.queue.push({ at, handle, callback });
    this.queue.sort((a, b) => a.at - b.at || a.handle - b.handle);
    return handle;
  }

  cancel(handle: number): void {
    this.queue = this.queue.filter((p) => p.handle !== handle);
  }

  /** Time of the earliest scheduled callback, or Infinity. */
  nextAt(): VirtualNs {
    return this.queue.length > 0 ? this.queue[0].at : Infinity;
  }

  /** Number of callbacks still scheduled. */
  get pendingCount(): number {
    return this.queue.length;
  }

  /** Run the callbacks due at or before `at` in order, then leave the time at `at`. */
  advanceTo(at: VirtualNs): void {
    if (at < this.time) throw new Error(`time cannot go back from ${this.time} to ${at}`);
    for (;;) {
      const p = this.queue[0];
      if (p === undefined || p.at > at) break;
      this.queue.shift();
      this.time = Math.max(this.time, p.at);
      this.fired.push(this.time);
      p.callback();
    }
    this.time = at;
  }

  advanceBy(ns: VirtualNs): void {
    this.advanceTo(this.time + ns);
  }
}
