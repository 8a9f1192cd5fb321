// Runs whole vector files on a VectorCpu and summarises the results per instruction form.
// Shared by the vitest suite (test/vectors/) and cli/vectors.ts; must not import vitest.
import path from 'node:path';
import { compareVector, readVectors, VECTOR_REGS, type VectorTest } from './vectors';
import { VectorCpu, type VectorOutcome } from './vector-cpu';

/** The first failing case of a form. */
export interface VectorFailure {
  /** 1-based position of the case among the form's tests. */
  index: number;
  test: VectorTest;
  outcome: VectorOutcome;
  /** compareVector's mismatch lines, preceded by the run error if there was one. */
  mismatches: string[];
}

export interface FormSummary {
  name: string;
  /** Name of the vector file holding the form. */
  file: string;
  total: number;
  failed: number;
  first: VectorFailure | null;
}

export interface FileSummary {
  file: string;
  /** Forms in the order they first appear in the file. */
  forms: Map<string, FormSummary>;
  total: number;
  failed: number;
  /** Wall-clock time of the run, in milliseconds. */
  ms: number;
}

/** Compare one outcome; a run error always counts as a mismatch. */
export function checkOutcome(test: VectorTest, outcome: VectorOutcome): string[] {
  const mismatches = compareVector(test, outcome);
  return outcome.error !== undefined ? [outcome.error, ...mismatches] : mismatches;
}

/** Run every test of one `.jsonl.gz` file. */
export async function runVectorFile(vcpu: VectorCpu, file: string): Promise<FileSummary> {
  const started = performance.now();
  const base = path.basename(file);
  const forms = new Map<string, FormSummary>();
  let total = 0;
  let failed = 0;
  for await (const test of readVectors(file)) {
    let form = forms.get(test.name);
    if (!form) {
      form = { name: test.name, file: base, total: 0, failed: 0, first: null };
      forms.set(test.name, form);
    }
    form.total++;
    total++;
    const outcome = vcpu.run(test);
    const mismatches = checkOutcome(test, outcome);
    if (mismatches.length === 0) continue;
    failed++;
    form.failed++;
    form.first ??= { index: form.total, test, outcome, mismatches };
  }
  return { file: base, forms, total, failed, ms: performance.now() - started };
}

const FLAG_BITS: [number, string][] = [
  [0x800, 'OF'], [0x400, 'DF'], [0x80, 'SF'], [0x40, 'ZF'], [0x10, 'AF'], [0x4, 'PF'], [0x1, 'CF'],
];

function flagsText(eflags: number): string {
  const set = FLAG_BITS.filter(([bit]) => eflags & bit).map(([, name]) => name);
  return `0x${(eflags >>> 0).toString(16).padStart(8, '0')}${set.length ? ` (${set.join(' ')})` : ''}`;
}

/** The initial state of a test on one line: registers, EFLAGS with the set flags named, scratch bytes. */
export function initialText(test: VectorTest): string {
  const regs = VECTOR_REGS.map((r) => `${r}=${(test.initial[r] >>> 0).toString(16).padStart(8, '0')}`).join(' ');
  return `${regs} eflags=${flagsText(test.initial.eflags)} mem=${test.initial.mem}`;
}

/** One line describing a failing form and its first failing case (for the CLI). */
export function failureLine(form: FormSummary): string {
  const f = form.first;
  if (!f) return `${form.name}: ${form.failed}/${form.total} failed`;
  const undef = f.test.undefined_flags ? ` undefined-flags=${flagsText(f.test.undefined_flags)}` : '';
  return (
    `FAIL ${form.name} [${form.file}] ${form.failed}/${form.total} failed; first: case ${f.index} bytes ${f.test.bytes}` +
    ` | ${initialText(f.test)}${undef} | ${f.mismatches.map((m) => m.split('\n')[0]).join('; ')}`
  );
}

/** A multi-line report of a failing form's first case (for test failure messages). */
export function failureReport(form: FormSummary): string {
  const f = form.first;
  if (!f) return `${form.name}: ${form.failed} of ${form.total} tests failed`;
  const lines = [
    `${form.name}: ${form.failed} of ${form.total} tests failed. First failing case (#${f.index}), bytes ${f.test.bytes}:`,
    `  initial:   ${initialText(f.test)}`,
  ];
  if (f.test.undefined_flags) lines.push(`  undefined flags (ignored): ${flagsText(f.test.undefined_flags)}`);
  if (f.test.undefined_regs.length) lines.push(`  undefined registers (ignored): ${f.test.undefined_regs.join(' ')}`);
  for (const m of f.mismatches) lines.push(`  ${m}`);
  return lines.join('\n');
}
