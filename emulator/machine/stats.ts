/**
 * Run statistics of a machine, for `vanderpool run --stats`, the demo and the debugger:
 * instructions and virtual time, exceptions and interrupts by vector (counted through
 * `cpu.hooks.onEvent`, i.e. every event the CPU delivers or offers to the VMM), time spent
 * halted, and accesses to unclaimed ports and physical memory (which read as all ones).
 */
import type { Cpu } from '../cpu/cpu';
import type { IoBus } from '../memory/io-bus';
import type { PhysicalMemory } from '../memory/physical-memory';
import type { Scheduler } from './scheduler';

/** Event kinds as `CpuHooks.onEvent` reports them. */
export type EventKind = 'exception' | 'hardware' | 'software' | 'nmi';

/** A snapshot of the statistics. */
export interface StatsSnapshot {
  instructions: number;
  virtualNs: number;
  /** Virtual time the CPU spent halted (fast-forwarded over HLT). */
  haltedNs: number;
  /** Device events run by the clock. */
  clockEvents: number;
  /** Events by kind, then vector → count (vectors that occurred only). */
  events: Record<EventKind, Map<number, number>>;
  unassigned: { ioReads: number; ioWrites: number; memoryReads: number; memoryWrites: number };
}

export class MachineStats {
  /** Virtual ns spent halted; the machine adds to it as it fast-forwards. */
  haltedNs = 0;
  private readonly counts: Record<EventKind, Float64Array> = {
    exception: new Float64Array(256),
    hardware: new Float64Array(256),
    software: new Float64Array(256),
    nmi: new Float64Array(256),
  };

  constructor(
    private readonly cpu: Cpu,
    private readonly clock: Scheduler,
    private readonly io: IoBus,
    private readonly memory: PhysicalMemory,
  ) {}

  /** Count one event (the machine's `cpu.hooks.onEvent`). */
  countEvent(vector: number, kind: EventKind): void {
    this.counts[kind][vector & 0xff]++;
  }

  /** How many events of `kind` with `vector` have occurred. */
  eventCount(kind: EventKind, vector: number): number {
    return this.counts[kind][vector & 0xff];
  }

  snapshot(): StatsSnapshot {
    const events = {} as Record<EventKind, Map<number, number>>;
    for (const kind of Object.keys(this.counts) as EventKind[]) {
      const m = new Map<number, number>();
      this.counts[kind].forEach((n, v) => {
        if (n > 0) m.set(v, n);
      });
      events[kind] = m;
    }
    return {
      instructions: this.cpu.icount,
      virtualNs: this.clock.now(),
      haltedNs: this.haltedNs,
      clockEvents: this.clock.eventsRun,
      events,
      unassigned: {
        ioReads: this.io.unassignedReads,
        ioWrites: this.io.unassignedWrites,
        memoryReads: this.memory.unassignedReads,
        memoryWrites: this.memory.unassignedWrites,
      },
    };
  }
}
