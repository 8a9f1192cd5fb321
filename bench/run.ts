/**
 * `npm run bench`: runs every benchmark and prints each figure as median and min–max over
 * several runs (the machines are noisy: compare medians and ratios, never single runs).
 */
import { benchCpu, type BenchResult } from './cpu.bench';
import { benchAssembler } from './asm.bench';
import { benchVmm } from './vmm.bench';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function report(title: string, results: BenchResult[]): void {
  console.log(`\n${title}`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const fmt = (x: number) => x.toFixed(x >= 100 ? 0 : 1);
    console.log(
      `  ${r.name.padEnd(width)}  ${fmt(median(r.runs)).padStart(7)} ${r.unit}  (min ${fmt(Math.min(...r.runs))}, max ${fmt(Math.max(...r.runs))}, ${r.runs.length} runs)`,
    );
  }
}

async function main(): Promise<void> {
  report('CPU (32-bit protected mode, paging on; target >= 150 MIPS each)', benchCpu());
  report('Assembler', await benchAssembler());
  benchVmm();
  report('Debug adapter (bundled, over stdio via DebugClient; spin.asm on the bare machine)', await (await import('./debug-adapter.bench')).benchDebugAdapter());
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
