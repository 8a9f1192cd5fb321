/**
 * `vanderpool run --stats`: the statistics block printed on stderr after the run —
 * instructions, host time and MIPS, virtual time, exceptions and interrupts by vector,
 * accesses to unassigned ports and memory (with the most frequent addresses), the POST
 * codes written to port 80h, and a table
 * of VM exits by reason once a VMM runs the guest (issue 5; `vmExits` is then filled in).
 *
 *   vanderpool statistics
 *     instructions         3,018,638
 *     host time            0.718 s (4.21 MIPS)
 *     virtual time         30.186 ms (0.000 ms of it halted)
 *     ...
 */
import type { UnassignedAccess } from '../emulator/machine/machine';
import type { EventKind, StatsSnapshot } from '../emulator/machine/stats';
import { eventName } from './event-names';

/** How many distinct unassigned addresses the report names. */
const UNASSIGNED_SHOWN = 8;
/** How many distinct unassigned addresses are remembered (beyond that only totals grow). */
const UNASSIGNED_REMEMBERED = 4096;

/** Counts unassigned accesses by space, address and direction (the machine's `onUnassigned`). */
export class UnassignedTally {
  private readonly counts = new Map<string, { access: UnassignedAccess; count: number }>();

  record(access: UnassignedAccess): void {
    const key = `${access.space}:${access.address}:${access.write ? 'w' : 'r'}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else if (this.counts.size < UNASSIGNED_REMEMBERED) this.counts.set(key, { access, count: 1 });
  }

  /** The most frequent addresses of a space, most frequent first (ties by address). */
  top(space: 'io' | 'memory', n: number): { access: UnassignedAccess; count: number }[] {
    return [...this.counts.values()]
      .filter((e) => e.access.space === space)
      .sort((a, b) => b.count - a.count || a.access.address - b.access.address || Number(a.access.write) - Number(b.access.write))
      .slice(0, n);
  }
}

export interface StatsReportInput {
  snapshot: StatsSnapshot;
  /** Wall-clock seconds the run took on the host. */
  hostSeconds: number;
  unassigned: UnassignedTally;
  /** How the run ended, in words (`isa-debug-exit, status 1`). */
  stopped?: string;
  /** Codes written to the POST port 80h: how many, and the last one. */
  postCodes?: { count: number; last: number };
  /** VM exits by reason, when a VMM ran the guest (none exists yet: leave undefined). */
  vmExits?: ReadonlyMap<string, number>;
}

const num = (n: number): string => n.toLocaleString('en-US');

function plural(n: number, word: string): string {
  return `${num(n)} ${word}${n === 1 ? '' : 's'}`;
}

function vectors(kind: EventKind, counts: Map<number, number>): string {
  if (counts.size === 0) return 'none';
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([v, n]) => `${eventName(kind, v)}: ${num(n)}`)
    .join(', ');
}

function unassignedLine(reads: number, writes: number, tally: UnassignedTally, space: 'io' | 'memory'): string {
  const total = `${plural(reads, 'read')}, ${plural(writes, 'write')}`;
  const top = tally.top(space, UNASSIGNED_SHOWN);
  if (top.length === 0) return total;
  const where = top
    .map(({ access, count }) => `${space === 'io' ? 'port ' : ''}0x${access.address.toString(16).toUpperCase().padStart(space === 'io' ? 4 : 8, '0')} ${access.write ? 'write' : 'read'} x${num(count)}`)
    .join(', ');
  return `${total} (${where})`;
}

const EVENT_ROWS: [EventKind, string][] = [
  ['exception', 'exceptions'],
  ['hardware', 'hardware interrupts'],
  ['software', 'software interrupts'],
  ['nmi', 'NMIs'],
];

/** The statistics block (lines ending in newlines). */
export function formatStats(input: StatsReportInput): string {
  const s = input.snapshot;
  const rows: [string, string][] = [];
  const mips = input.hostSeconds > 0 ? s.instructions / input.hostSeconds / 1e6 : 0;
  if (input.stopped !== undefined) rows.push(['stopped', input.stopped]);
  rows.push(['instructions', num(s.instructions)]);
  rows.push(['host time', `${input.hostSeconds.toFixed(3)} s (${mips.toFixed(2)} MIPS)`]);
  rows.push(['virtual time', `${(s.virtualNs / 1e6).toFixed(3)} ms (${(s.haltedNs / 1e6).toFixed(3)} ms of it halted)`]);
  rows.push(['device events', num(s.clockEvents)]);
  for (const [kind, label] of EVENT_ROWS) rows.push([label, vectors(kind, s.events[kind])]);
  rows.push(['unassigned I/O', unassignedLine(s.unassigned.ioReads, s.unassigned.ioWrites, input.unassigned, 'io')]);
  rows.push(['unassigned memory', unassignedLine(s.unassigned.memoryReads, s.unassigned.memoryWrites, input.unassigned, 'memory')]);
  if (input.postCodes !== undefined) {
    const p = input.postCodes;
    rows.push(['POST codes', p.count === 0 ? 'none' : `${num(p.count)}, the last ${p.last.toString(16).toUpperCase().padStart(2, '0')}h`]);
  }
  if (input.vmExits !== undefined) {
    const exits = [...input.vmExits.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    rows.push(['VM exits', exits.length === 0 ? 'none' : exits.map(([reason, n]) => `${reason}: ${num(n)}`).join(', ')]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return `vanderpool statistics\n${rows.map(([k, v]) => `  ${k.padEnd(width)} ${v}\n`).join('')}`;
}
