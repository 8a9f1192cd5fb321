/**
 * Exit accounting (issue 5, "Exit accounting"): every VM exit is recorded with its cause
 * (an SDM basic exit reason or a software-VMM reason, exit-cause.ts), where the guest was
 * (CS:EIP and the linear EIP) and what the exit cost the VMM in host work. Kept per cause
 * (the `--stats` table), per guest linear EIP (the editor's per-line annotations), and as
 * the last N exits in a ring buffer (the debugger's exit log).
 *
 * Cost unit — the work unit (wu), deterministic by construction (never wall-clock time):
 *   - the exit/entry transition itself costs `EXIT_TRANSITION_COST` (1 wu), charged by the
 *     dispatcher (exit-dispatch.ts) for every exit;
 *   - a handler charges 1 wu per elementary operation it performs: one guest instruction
 *     emulated, one guest or shadow paging-structure entry read or written, one descriptor
 *     read, one event reflected through the guest's IDT.
 * So a CR3 write that re-validates 40 shadow entries costs more than a CPUID, and two runs
 * of the same guest give the same numbers on any host.
 *
 * Recording allocates nothing once a cause and an EIP have been seen: the ring buffer is a
 * set of typed columns, counters are created on first sighting.
 */
import { causeKey, causeOfKey, exitCauseLabel, type ExitCause } from './exit-cause';

/** Work units charged for the VM-exit / VM-entry transition of every exit. */
export const EXIT_TRANSITION_COST = 1;

/** One exit as the ring buffer keeps it. */
export interface ExitSample {
  /** 0 for the first exit recorded since the last reset, then 1, 2 … */
  seq: number;
  cause: ExitCause;
  /** Guest CS selector and EIP (offset in CS) at the exit. */
  cs: number;
  eip: number;
  /** Guest linear EIP: CS base + EIP. */
  linear: number;
  /** Work units. */
  cost: number;
}

/** Exits of one cause. */
export interface CauseCount {
  cause: ExitCause;
  count: number;
  cost: number;
}

/** Exits at one guest linear EIP, by cause. */
export interface EipCount {
  linear: number;
  /** CS:EIP of the last exit seen there. */
  cs: number;
  eip: number;
  count: number;
  cost: number;
  causes: CauseCount[];
}

interface Counter {
  count: number;
  cost: number;
}

interface EipCounter extends Counter {
  cs: number;
  eip: number;
  byCause: Map<number, Counter>;
}

/** A VM's exit accounting: counts and work-unit costs per cause and per guest EIP, and the last exits (file header). */
export class ExitStats {
  /** Exits recorded since the last reset. */
  total = 0;
  /** Work units charged since the last reset. */
  totalCost = 0;
  private readonly byCause = new Map<number, Counter>();
  private readonly byEip = new Map<number, EipCounter>();
  // Ring buffer columns.
  private readonly rKey: Int32Array;
  private readonly rCs: Uint16Array;
  private readonly rEip: Uint32Array;
  private readonly rLinear: Uint32Array;
  private readonly rCost: Float64Array;
  /** Listeners called after each `record` (see `onRecord`). */
  private readonly recordListeners = new Set<(cause: ExitCause, cs: number, eip: number, linear: number) => void>();
  // Counters of the last exit, for `charge`.
  private lastCause: Counter | null = null;
  private lastEip: EipCounter | null = null;
  private lastEipCause: Counter | null = null;

  /** @param capacity how many of the last exits the ring buffer keeps (≥ 1) */
  constructor(readonly capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ExitStats capacity must be a positive integer, not ${capacity}`);
    this.rKey = new Int32Array(capacity);
    this.rCs = new Uint16Array(capacity);
    this.rEip = new Uint32Array(capacity);
    this.rLinear = new Uint32Array(capacity);
    this.rCost = new Float64Array(capacity);
  }

  /**
   * Record one exit.
   * @param cs guest CS selector; @param eip offset in CS; @param linear CS base + EIP (uint32)
   * @param cost work units known at the time of the exit (more may follow through `charge`)
   */
  record(cause: ExitCause, cs: number, eip: number, linear: number, cost = 0): void {
    const key = causeKey(cause);
    linear >>>= 0;
    let c = this.byCause.get(key);
    if (!c) this.byCause.set(key, (c = { count: 0, cost: 0 }));
    c.count++;
    c.cost += cost;
    let e = this.byEip.get(linear);
    if (!e) this.byEip.set(linear, (e = { count: 0, cost: 0, cs: 0, eip: 0, byCause: new Map() }));
    e.count++;
    e.cost += cost;
    e.cs = cs & 0xffff;
    e.eip = eip >>> 0;
    let ec = e.byCause.get(key);
    if (!ec) e.byCause.set(key, (ec = { count: 0, cost: 0 }));
    ec.count++;
    ec.cost += cost;
    const slot = this.total % this.capacity;
    this.rKey[slot] = key;
    this.rCs[slot] = cs;
    this.rEip[slot] = eip;
    this.rLinear[slot] = linear;
    this.rCost[slot] = cost;
    this.total++;
    this.totalCost += cost;
    this.lastCause = c;
    this.lastEip = e;
    this.lastEipCause = ec;
    if (this.recordListeners.size !== 0) for (const l of this.recordListeners) l(cause, cs, eip, linear);
  }

  /**
   * Call `listener` after each exit is recorded, with its cause and guest CS, EIP and linear
   * EIP (the debugger's exit breakpoints; the VMCS record already holds the exit's
   * information fields when it runs). Returns the function that removes it.
   */
  onRecord(listener: (cause: ExitCause, cs: number, eip: number, linear: number) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /**
   * Add work units to the most recent exit (its cause, its EIP and its ring-buffer entry).
   * @throws RangeError before any exit was recorded, or for a negative or non-finite amount
   */
  charge(units: number): void {
    if (!(units >= 0) || !Number.isFinite(units)) throw new RangeError(`cannot charge ${units} work units`);
    if (!this.lastCause) throw new RangeError('charge: no exit recorded yet');
    this.lastCause.cost += units;
    this.lastEip!.cost += units;
    this.lastEipCause!.cost += units;
    this.rCost[(this.total - 1) % this.capacity] += units;
    this.totalCost += units;
  }

  /** Exits of `cause` so far. */
  count(cause: ExitCause): number {
    return this.byCause.get(causeKey(cause))?.count ?? 0;
  }

  /** Work units charged to `cause` so far. */
  cost(cause: ExitCause): number {
    return this.byCause.get(causeKey(cause))?.cost ?? 0;
  }

  /** Counts per cause, most frequent first (ties: SDM reasons by number, then VMM reasons). */
  causes(): CauseCount[] {
    return sortCounts(this.byCause);
  }

  /** Exits at one guest linear EIP, or undefined when none. */
  atEip(linear: number): EipCount | undefined {
    const e = this.byEip.get(linear >>> 0);
    return e && toEipCount(linear >>> 0, e);
  }

  /** Every guest linear EIP that exited, in address order (for the editor's per-line annotations). */
  eips(): EipCount[] {
    return [...this.byEip.entries()].sort((a, b) => a[0] - b[0]).map(([linear, e]) => toEipCount(linear, e));
  }

  /** The last min(total, capacity) exits, oldest first. */
  recent(): ExitSample[] {
    const n = Math.min(this.total, this.capacity);
    const out: ExitSample[] = [];
    for (let seq = this.total - n; seq < this.total; seq++) {
      const s = seq % this.capacity;
      out.push({ seq, cause: causeOfKey(this.rKey[s]), cs: this.rCs[s], eip: this.rEip[s], linear: this.rLinear[s], cost: this.rCost[s] });
    }
    return out;
  }

  /** Forget everything recorded. */
  reset(): void {
    this.total = 0;
    this.totalCost = 0;
    this.byCause.clear();
    this.byEip.clear();
    this.lastCause = this.lastEip = this.lastEipCause = null;
  }
}

function sortCounts(m: Map<number, Counter>): CauseCount[] {
  return [...m.entries()].sort((a, b) => b[1].count - a[1].count || a[0] - b[0]).map(([key, c]) => ({ cause: causeOfKey(key), count: c.count, cost: c.cost }));
}

function toEipCount(linear: number, e: EipCounter): EipCount {
  return { linear, cs: e.cs, eip: e.eip, count: e.count, cost: e.cost, causes: sortCounts(e.byCause) };
}

export interface ExitTableOptions {
  /** Add the work units charged per cause and per exit. */
  cost?: boolean;
}

/**
 * The `--stats` table of exits by reason: columns reason, count, share (of all exits, one
 * decimal), most frequent first, and a total row. With `cost`, also the work units and
 * work units per exit. 'no VM exits' when none were recorded.
 *
 *   reason                    count    share
 *   CR_ACCESS (28)              120    60.0%
 *   HIDDEN_PAGE_FAULT (VMM)      80    40.0%
 *   total                       200   100.0%
 */
export function formatExitTable(stats: ExitStats, options: ExitTableOptions = {}): string {
  if (stats.total === 0) return 'no VM exits';
  const share = (n: number): string => `${((100 * n) / stats.total).toFixed(1)}%`;
  const perExit = (cost: number, count: number): string => (cost / count).toFixed(1);
  const rows: string[][] = [options.cost ? ['reason', 'count', 'share', 'cost (wu)', 'wu/exit'] : ['reason', 'count', 'share']];
  const line = (label: string, count: number, cost: number): string[] =>
    options.cost ? [label, String(count), share(count), String(cost), perExit(cost, count)] : [label, String(count), share(count)];
  for (const c of stats.causes()) rows.push(line(exitCauseLabel(c.cause), c.count, c.cost));
  rows.push(line('total', stats.total, stats.totalCost));
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('   ').trimEnd()).join('\n');
}
