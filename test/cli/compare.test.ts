/**
 * `vanderpool compare FILE [--json]`, run as the bundled CLI: every implemented mode's row,
 * exits by reason cross-checked against `vanderpool run --vmm trap-and-emulate --stats`, the
 * row of a mode that cannot run the program, the instruction budget, and bad input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareReport } from '../../cli/compare-command';
import { hasStackTrace, REPO, runCli, useCliSuite } from './cli-harness';

const suite = useCliSuite();
const HELLO = join(REPO, 'examples/hello.asm');
/** Exits for many reasons (descriptor tables, paging, interrupts, system calls). */
const TASKS = join(REPO, 'examples/tasks.asm');

/** A Multiboot header (a.out kludge) for a flat 32-bit kernel at 1 MiB. */
const MULTIBOOT = `bits 32
org 0x100000
align 4
mb: dd 0x1BADB002, 1 << 16, -(0x1BADB002 + (1 << 16)), mb, $$, end, end, start
start:
`;

function report(stdout: string): CompareReport {
  return JSON.parse(stdout) as CompareReport;
}

describe('vanderpool compare', () => {
  it('--json on examples/hello.asm gives one row per implemented mode with the same instructions and COM1 output, and the bare machine as the 1.0 baseline', () => {
    const r = runCli(suite.cli(), ['compare', HELLO, '--json', '--repeat', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rep = report(r.stdout);
    expect(rep.booted).toMatch(/Multiboot kernel/);
    expect(rep.modes.map((m) => [m.vmm, m.ringModel])).toEqual([
      ['native', null],
      ['trap-and-emulate', '0/1/3'],
      ['trap-and-emulate', '0/3/3'],
    ]);
    const [native, ...vmms] = rep.modes;
    const expected = readFileSync(join(REPO, 'examples/hello.expected'));
    for (const m of rep.modes) {
      expect(m.error).toBeUndefined();
      expect(m.stopped).toBe('isa-debug-exit, status 1');
      expect(m.serialBytes).toBe(expected.length);
      expect(m.sameOutputAsNative).toBe(true);
      expect(m.hostMs).toBeGreaterThan(0);
    }
    expect(native.slowdown).toBe(1);
    expect(native.exits).toEqual({ total: 0, byReason: {} });
    expect(native.vmmWorkUnits).toBe(0);
    for (const tae of vmms) {
      expect(tae.instructions).toBe(native.instructions);
      expect(tae.slowdown).toBeGreaterThan(0);
      expect(tae.vmmWorkUnits).toBeGreaterThan(0);
    }
  });

  it.each([
    ['0/1/3', 1],
    ['0/3/3', 2],
  ])('the trap-and-emulate row for ring model %s counts the same exits by reason as `run --vmm trap-and-emulate --ring-model … --stats` on examples/tasks.asm', (ringModel, row) => {
    const rep = report(runCli(suite.cli(), ['compare', TASKS, '--json', '--repeat', '1']).stdout);
    const stats = runCli(suite.cli(), ['run', TASKS, '--vmm', 'trap-and-emulate', '--ring-model', ringModel, '--stats']).stderr;
    const total = Number(/^ {2}VM exits +([\d,]+)$/m.exec(stats)![1].replace(/,/g, ''));
    const rows = [...stats.matchAll(/^ {2}([A-Z_]+) \((?:\d+|VMM)\) +([\d,]+) /gm)].map((m) => [m[1], Number(m[2].replace(/,/g, ''))]);
    const tae = rep.modes[row];
    expect(tae.ringModel).toBe(ringModel);
    expect(tae.exits!.total).toBe(total);
    expect(rows.length).toBeGreaterThan(1);
    expect(Object.entries(tae.exits!.byReason)).toEqual(rows);
  });

  it('without --json prints a table with one line per mode and the exits by reason', () => {
    const r = runCli(suite.cli(), ['compare', HELLO, '--repeat', '1']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^mode +instructions +VM exits +host ms +slowdown +output +ended$/);
    expect(lines[2]).toMatch(/^native +\d+ +0 +[\d.]+ +1\.00x +same +isa-debug-exit, status 1$/);
    expect(lines[3]).toMatch(/^trap-and-emulate 0\/1\/3 +\d+ +[1-9]\d* +[\d.]+ +[\d.]+x +same +isa-debug-exit, status 1$/);
    expect(lines[4]).toMatch(/^trap-and-emulate 0\/3\/3 +\d+ +[1-9]\d* +[\d.]+ +[\d.]+x +same +isa-debug-exit, status 1$/);
    expect(lines).toContain('VM exits by reason, trap-and-emulate 0/1/3');
  });

  it('a flat binary runs on the bare machine, and the trap-and-emulate row says it takes Multiboot kernels only (exit status 0)', () => {
    const dir = suite.work({ 'flat.asm': 'bits 16\norg 0x7c00\n  mov ax, 1\n  hlt\n' });
    const r = runCli(suite.cli(), ['compare', 'flat.asm', '--json', '--repeat', '1'], dir);
    expect(r.status).toBe(0);
    const [native, ...vmms] = report(r.stdout).modes;
    expect(native.stopped).toMatch(/^halted: HLT with interrupts disabled/);
    expect(native.instructions).toBe(2);
    expect(vmms).toHaveLength(2);
    for (const tae of vmms) {
      expect(tae.error).toMatch(/Multiboot kernels only; this program boots as a flat image/);
      expect(tae.instructions).toBeUndefined();
    }
  });

  it('a guest that never exits stops at --max-instructions in every mode', () => {
    const dir = suite.work({ 'spin.asm': `${MULTIBOOT}spin: jmp spin\nend:\n` });
    const r = runCli(suite.cli(), ['compare', 'spin.asm', '--json', '--repeat', '1', '--max-instructions', '10000'], dir);
    expect(r.status).toBe(0);
    for (const m of report(r.stdout).modes) {
      expect(m.stopped).toBe('instruction limit');
      expect(m.instructions).toBe(10000);
    }
  });

  it('a missing file is one error line and exit status 2, no stack trace', () => {
    const r = runCli(suite.cli(), ['compare', 'no-such.asm', '--json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vanderpool: error: .*no-such\.asm/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
