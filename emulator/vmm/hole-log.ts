/**
 * Virtualization-hole events (issue 5, "The holes, faithfully"; docs/vmm-design.md "Holes as
 * events"): each sensitive, unprivileged instruction the guest executes and that shows it
 * something bare hardware would not (cpu/sensitive.ts reports them through
 * `CpuHooks.onSensitive`; the VMM decides which are holes) is kept here as a
 * `virtualization-hole` event — kind, instruction, guest EIP, what was revealed or ignored —
 * for the debugger and the editor: counted per kind, the last `capacity` kept in order, and
 * passed to listeners as they happen.
 */
import { HOLE_KINDS, type HoleKind, type SensitiveEvent } from '../cpu/sensitive';

/** One hole the guest stepped into. */
export interface VirtualizationHole extends SensitiveEvent {
  /** Always 'virtualization-hole' (the event's name for the debugger and the editor). */
  type: 'virtualization-hole';
  /** 0 for the first hole recorded since the last reset, then 1, 2 … */
  seq: number;
  /** Host instructions retired before the one that stepped into the hole (`Cpu.icount`). */
  icount: number;
}

/** Receives each hole as it is recorded. */
export type HoleListener = (hole: VirtualizationHole) => void;

/** Default number of holes kept (older ones are dropped; the counters keep counting). */
export const HOLE_LOG_CAPACITY = 256;

export class HoleLog {
  private readonly ring: VirtualizationHole[] = [];
  private next = 0;
  private readonly listeners = new Set<HoleListener>();
  private readonly byKind = new Map<HoleKind, number>(HOLE_KINDS.map((k) => [k, 0]));
  /** Holes recorded since the last reset. */
  total = 0;

  /** @param capacity how many of the most recent holes `recent()` keeps (≥ 1). */
  constructor(readonly capacity = HOLE_LOG_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError(`HoleLog capacity must be at least 1, got ${capacity}`);
  }

  /** Record one hole: count it, keep it (dropping the oldest beyond capacity), tell the listeners. */
  record(event: SensitiveEvent, icount: number): VirtualizationHole {
    const hole: VirtualizationHole = { type: 'virtualization-hole', ...event, seq: this.total, icount };
    this.total++;
    this.byKind.set(event.kind, (this.byKind.get(event.kind) ?? 0) + 1);
    if (this.ring.length < this.capacity) this.ring.push(hole);
    else {
      this.ring[this.next] = hole;
      this.next = (this.next + 1) % this.capacity;
    }
    for (const l of this.listeners) l(hole);
    return hole;
  }

  /** The most recent holes, oldest first (at most `capacity`). */
  recent(): VirtualizationHole[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  /** Holes recorded per kind since the last reset (every kind present, 0 when none). */
  countsByKind(): Record<HoleKind, number> {
    return Object.fromEntries(HOLE_KINDS.map((k) => [k, this.byKind.get(k) ?? 0])) as Record<HoleKind, number>;
  }

  /** Call `listener` for every hole recorded from now on; returns the function that removes it. */
  onHole(listener: HoleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget the recorded holes and the counters (listeners stay). */
  reset(): void {
    this.ring.length = 0;
    this.next = 0;
    this.total = 0;
    for (const k of HOLE_KINDS) this.byKind.set(k, 0);
  }
}
