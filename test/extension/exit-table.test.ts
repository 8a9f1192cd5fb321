/**
 * extension/exit-table.ts: the per-line VM-exit table behind the inline annotations and the
 * exits view — full-table replacement per VM, summing across VMs, grouping by reason, the
 * annotation and hover texts, and the errors for bodies that break the contract.
 */
import { describe, expect, it } from 'vitest';
import { annotationText, ExitTable, hoverMarkdown } from '../../extension/exit-table';

const A = '/w/kernel.asm';
const B = '/w/lib.inc';

describe('ExitTable', () => {
  it('a second event for the same VM replaces its table instead of adding to it (events carry the full table)', () => {
    const t = new ExitTable();
    t.update({ threadId: 1, vmm: 'trap-and-emulate', lines: [{ path: A, line: 10, total: 5, byReason: { CR_ACCESS: 5 } }] });
    t.update({ threadId: 1, vmm: 'trap-and-emulate', lines: [{ path: A, line: 10, total: 7, byReason: { CR_ACCESS: 7 } }] });
    expect(t.lines()).toEqual([{ path: A, line: 10, total: 7, byReason: [['CR_ACCESS', 7]] }]);
  });

  it('two VMs exiting at the same line are summed, reasons merged and sorted by count', () => {
    const t = new ExitTable();
    t.update({ threadId: 1, vmm: 'trap-and-emulate', lines: [{ path: A, line: 3, total: 4, byReason: { IO_INSTRUCTION: 1, CR_ACCESS: 3 } }] });
    t.update({ threadId: 2, vmm: 'trap-and-emulate', lines: [{ path: A, line: 3, total: 2, byReason: { IO_INSTRUCTION: 2 } }] });
    expect(t.lines()).toEqual([{ path: A, line: 3, total: 6, byReason: [['CR_ACCESS', 3], ['IO_INSTRUCTION', 3]] }]);
    expect(t.vmms()).toEqual(['trap-and-emulate']);
  });

  it('lines are ordered by path then line, linesOf selects one file, and lines with no exits are left out', () => {
    const t = new ExitTable();
    t.update({
      threadId: 1,
      vmm: 'trap-and-emulate',
      lines: [
        { path: B, line: 1, total: 1, byReason: { HLT: 1 } },
        { path: A, line: 20, total: 2, byReason: { HLT: 2 } },
        { path: A, line: 4, total: 0, byReason: {} },
        { path: A, line: 7, total: 1, byReason: { HLT: 1 } },
      ],
    });
    expect(t.lines().map((l) => `${l.path}:${l.line}`)).toEqual([`${A}:7`, `${A}:20`, `${B}:1`]);
    expect(t.linesOf(B).map((l) => l.line)).toEqual([1]);
  });

  it('byReason groups locations under each reason, most exits first at both levels', () => {
    const t = new ExitTable();
    t.update({
      threadId: 1,
      vmm: 'trap-and-emulate',
      lines: [
        { path: A, line: 1, total: 3, byReason: { CR_ACCESS: 1, IO_INSTRUCTION: 2 } },
        { path: A, line: 2, total: 5, byReason: { IO_INSTRUCTION: 5 } },
      ],
    });
    expect(t.byReason()).toEqual([
      { reason: 'IO_INSTRUCTION', total: 7, lines: [{ path: A, line: 2, count: 5 }, { path: A, line: 1, count: 2 }] },
      { reason: 'CR_ACCESS', total: 1, lines: [{ path: A, line: 1, count: 1 }] },
    ]);
  });

  it('clear forgets every VM', () => {
    const t = new ExitTable();
    t.update({ threadId: 1, vmm: 'trap-and-emulate', lines: [{ path: A, line: 1, total: 1, byReason: { HLT: 1 } }] });
    t.clear();
    expect(t.empty).toBe(true);
    expect(t.vmms()).toEqual([]);
  });

  it('a body without threadId/lines, or a line with a 0 or missing line number, is a TypeError naming the field', () => {
    const t = new ExitTable();
    expect(() => t.update({ vmm: 'x' } as never)).toThrow(/needs threadId \(number\) and lines/);
    expect(() => t.update({ threadId: 1, vmm: 'x', lines: [{ path: A, line: 0, total: 1, byReason: {} }] })).toThrow(/lines\[0\] needs path, line \(1-based\)/);
    expect(t.empty).toBe(true);
  });
});

describe('annotation and hover texts', () => {
  it('"1,204 exits · CR_ACCESS" for one reason, singular for one exit, "+N more reasons" for several', () => {
    expect(annotationText({ path: A, line: 1, total: 1204, byReason: [['CR_ACCESS', 1204]] })).toBe('1,204 exits · CR_ACCESS');
    expect(annotationText({ path: A, line: 1, total: 1, byReason: [['HLT', 1]] })).toBe('1 exit · HLT');
    expect(annotationText({ path: A, line: 1, total: 6, byReason: [['CR_ACCESS', 3], ['IO_INSTRUCTION', 2], ['HLT', 1]] })).toBe('6 exits · CR_ACCESS +2 more reasons');
  });

  it('the hover is a Markdown table of reasons with counts and shares', () => {
    const md = hoverMarkdown({ path: A, line: 9, total: 4, byReason: [['CR_ACCESS', 3], ['HLT', 1]] }, ['trap-and-emulate']);
    expect(md.split('\n')).toEqual([
      '**4 VM exits** at line 9 under trap-and-emulate',
      '',
      '| reason | exits | share |',
      '| --- | ---: | ---: |',
      '| `CR_ACCESS` | 3 | 75.0% |',
      '| `HLT` | 1 | 25.0% |',
    ]);
  });
});
