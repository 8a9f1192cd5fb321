/**
 * The VM-exit counts per source line that the editor shows, kept from the debug adapter's
 * `vanderpool/exitCounts` events (protocol.ts): each event carries one VM's FULL table, so a
 * VM's table is replaced, never added to; the lines of all VMs of a run are summed for display.
 * Also the text of the end-of-line annotation ("1,204 exits · CR_ACCESS") and of its hover.
 * No `vscode` import: exit-decorations.ts renders it, the exits tree view groups it, and unit
 * tests check it directly.
 */
import type { ExitCountsBody, ExitCountsLine } from './protocol';

/** One source line's exits, all VMs of the run summed. */
export interface LineExits {
  path: string;
  /** 1-based. */
  line: number;
  total: number;
  /** By reason name, most frequent first (ties by name). */
  byReason: Array<[reason: string, count: number]>;
}

const num = (n: number): string => n.toLocaleString('en-US');

/** Exit tables of the VMs of one debug session (or the last one that ended). */
export class ExitTable {
  /** Per VM (DAP thread id): its latest full table. */
  private readonly byVm = new Map<number, ExitCountsLine[]>();
  /** The VMM technique each VM reported with its table. */
  private readonly vmmOf = new Map<number, string>();

  /**
   * Take one `vanderpool/exitCounts` event.
   * @throws TypeError when the body does not have the contract's shape (names the field)
   */
  update(body: ExitCountsBody): void {
    if (typeof body?.threadId !== 'number' || !Array.isArray(body.lines)) throw new TypeError(`vanderpool/exitCounts: body needs threadId (number) and lines (array), got ${JSON.stringify(body)?.slice(0, 200)}`);
    for (const [i, l] of body.lines.entries()) {
      if (typeof l?.path !== 'string' || !Number.isInteger(l.line) || l.line < 1 || typeof l.total !== 'number' || typeof l.byReason !== 'object') {
        throw new TypeError(`vanderpool/exitCounts: lines[${i}] needs path, line (1-based), total and byReason, got ${JSON.stringify(l)?.slice(0, 200)}`);
      }
    }
    this.byVm.set(body.threadId, body.lines);
    this.vmmOf.set(body.threadId, body.vmm);
  }

  /** Forget every VM (a new debug session starts). */
  clear(): void {
    this.byVm.clear();
    this.vmmOf.clear();
  }

  /** Whether any exit is recorded. */
  get empty(): boolean {
    return this.lines().length === 0;
  }

  /** The VMM techniques of the VMs in the table. */
  vmms(): string[] {
    return [...new Set(this.vmmOf.values())];
  }

  /** Every line with exits, all VMs summed, by path then line. */
  lines(): LineExits[] {
    const merged = new Map<string, { path: string; line: number; total: number; byReason: Map<string, number> }>();
    for (const lines of this.byVm.values()) {
      for (const l of lines) {
        if (l.total <= 0) continue;
        const key = `${l.path}\n${l.line}`;
        let m = merged.get(key);
        if (!m) merged.set(key, (m = { path: l.path, line: l.line, total: 0, byReason: new Map() }));
        m.total += l.total;
        for (const [reason, count] of Object.entries(l.byReason)) m.byReason.set(reason, (m.byReason.get(reason) ?? 0) + count);
      }
    }
    return [...merged.values()]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line))
      .map((m) => ({ path: m.path, line: m.line, total: m.total, byReason: [...m.byReason.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)) }));
  }

  /** The lines of one source file (paths compared as given: the adapter sends absolute paths). */
  linesOf(path: string): LineExits[] {
    return this.lines().filter((l) => l.path === path);
  }

  /** Exits per reason over all lines, most frequent first, each with its lines (most exits first). */
  byReason(): Array<{ reason: string; total: number; lines: Array<{ path: string; line: number; count: number }> }> {
    const reasons = new Map<string, Array<{ path: string; line: number; count: number }>>();
    for (const l of this.lines()) {
      for (const [reason, count] of l.byReason) {
        let list = reasons.get(reason);
        if (!list) reasons.set(reason, (list = []));
        list.push({ path: l.path, line: l.line, count });
      }
    }
    return [...reasons.entries()]
      .map(([reason, lines]) => ({ reason, total: lines.reduce((s, l) => s + l.count, 0), lines: lines.sort((a, b) => b.count - a.count || a.line - b.line) }))
      .sort((a, b) => b.total - a.total || (a.reason < b.reason ? -1 : 1));
  }
}

/** The end-of-line annotation: "1,204 exits · CR_ACCESS", "3 exits · IO_INSTRUCTION +1 more reason". */
export function annotationText(l: LineExits): string {
  const head = `${num(l.total)} exit${l.total === 1 ? '' : 's'} · ${l.byReason[0]?.[0] ?? '?'}`;
  const more = l.byReason.length - 1;
  return more > 0 ? `${head} +${more} more reason${more === 1 ? '' : 's'}` : head;
}

/** The hover's Markdown: a table of the line's exits by reason, with shares. */
export function hoverMarkdown(l: LineExits, vmms: string[]): string {
  const rows = l.byReason.map(([reason, count]) => `| \`${reason}\` | ${num(count)} | ${((100 * count) / l.total).toFixed(1)}% |`);
  const under = vmms.length > 0 ? ` under ${vmms.join(', ')}` : '';
  return [`**${num(l.total)} VM exit${l.total === 1 ? '' : 's'}** at line ${l.line}${under}`, '', '| reason | exits | share |', '| --- | ---: | ---: |', ...rows].join('\n');
}
