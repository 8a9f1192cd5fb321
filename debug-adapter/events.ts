/**
 * Events the adapter sends while the guest runs, batched so a chatty guest cannot flood the
 * client: guest COM1 output (`output`, category stdout), `vanderpool/exitCounts` (the full
 * per-source-line VM-exit table of a VM, at most every BATCH_MS and at every stop),
 * `vanderpool/hole` (virtualization holes, at most HOLES_PER_BATCH per batch; the rest are
 * counted in one `output` line) and `vanderpool/vmInfo` (once per VM).
 */
import { Event, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { exitCauseName } from '../emulator/vmm/exit-cause';
import type { VirtualizationHole } from '../emulator/vmm/hole-log';
import { EXIT_COUNTS_EVENT, HOLE_EVENT, VM_INFO_EVENT, type ExitCountsBody, type ExitCountsLine, type HoleBody, type VmInfoBody } from './protocol';
import type { Target } from './launch';

/** Host milliseconds between two batches of events while the guest runs. */
export const BATCH_MS = 250;
const HOLES_PER_BATCH = 50;

/** The per-source-line exit table of one VM (exits at addresses without a source line are left out). */
export function exitCounts(t: Target): ExitCountsBody | null {
  const monitor = t.vm.monitor;
  if (!monitor) return null;
  const lines = new Map<string, ExitCountsLine>();
  for (const e of monitor.stats.eips()) {
    const where = t.sources?.lineAt(e.linear);
    if (!where) continue;
    const key = `${where.file}\n${where.line}`;
    let row = lines.get(key);
    if (!row) lines.set(key, (row = { path: where.file, line: where.line, total: 0, byReason: {} }));
    row.total += e.count;
    for (const c of e.causes) {
      const n = exitCauseName(c.cause);
      row.byReason[n] = (row.byReason[n] ?? 0) + c.count;
    }
  }
  return { threadId: t.threadId, vmm: t.vm.vmm, lines: [...lines.values()] };
}

/**
 * Collects what the guest produces while it runs and sends it in batches (see the file header):
 * `tick` between run slices, `flush(true)` at every stop and at the end.
 */
export class EventBatcher {
  private serial = new Map<number, number[]>();
  private holes: HoleBody[] = [];
  private droppedHoles = 0;
  private lastFlush = 0;
  private lastExitTotals = new Map<number, number>();

  constructor(
    private readonly send: (event: DebugProtocol.Event) => void,
    private readonly targets: () => readonly Target[],
  ) {}

  /** A byte from a VM's COM1. */
  serialByte(threadId: number, byte: number): void {
    let buf = this.serial.get(threadId);
    if (!buf) this.serial.set(threadId, (buf = []));
    buf.push(byte);
  }

  /** Queue a `vanderpool/hole` event for a virtualization hole (at most HOLES_PER_BATCH per batch; the rest are only counted). */
  hole(t: Target, h: VirtualizationHole): void {
    if (this.holes.length >= HOLES_PER_BATCH) {
      this.droppedHoles++;
      return;
    }
    const where = t.sources?.lineAt(h.linearEip);
    this.holes.push({ threadId: t.threadId, kind: h.kind, instruction: h.mnemonic, eip: h.linearEip, path: where?.file, line: where?.line });
  }

  /** While running: flush when BATCH_MS have passed since the last flush. */
  tick(): void {
    if (performance.now() - this.lastFlush >= BATCH_MS) this.flush(false);
  }

  /** Send what is pending; `all` also re-sends every exit table (at a stop and at the end). */
  flush(all: boolean): void {
    this.lastFlush = performance.now();
    const many = this.targets().length > 1;
    for (const [threadId, bytes] of this.serial) {
      if (bytes.length === 0) continue;
      const text = String.fromCharCode(...bytes);
      bytes.length = 0;
      const t = this.targets().find((x) => x.threadId === threadId);
      const e = new OutputEvent(many && t ? text.replace(/^(?=.)/gm, `[${t.name}] `) : text, 'stdout') as DebugProtocol.OutputEvent;
      this.send(e);
    }
    for (const body of this.holes) this.send(new Event(HOLE_EVENT, body));
    this.holes = [];
    if (this.droppedHoles > 0) {
      this.send(new OutputEvent(`vanderpool: ${this.droppedHoles} more virtualization holes in this interval (not sent one by one)\n`, 'console'));
      this.droppedHoles = 0;
    }
    for (const t of this.targets()) {
      const total = t.vm.monitor?.stats.total;
      if (total === undefined) continue;
      if (!all && this.lastExitTotals.get(t.threadId) === total) continue;
      this.lastExitTotals.set(t.threadId, total);
      const body = exitCounts(t);
      if (body) this.send(new Event(EXIT_COUNTS_EVENT, body));
    }
  }

  /** `vanderpool/vmInfo` for a VM after launch. */
  vmInfo(t: Target): void {
    const body: VmInfoBody = { threadId: t.threadId, name: t.name, vmm: t.vm.vmm, ringModel: t.vm.ringModel };
    this.send(new Event(VM_INFO_EVENT, body));
  }
}
