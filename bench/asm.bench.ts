/**
 * Assembler benchmarks (issue 3 targets): a 10,000-line source must assemble in under one
 * second, and re-assembling after a one-line edit (what the language server does on each
 * keystroke) well under that. Called by bench/run.ts; reports milliseconds per run.
 */
import { assemble } from '../emulator/asm/index';

/** A 10,000-line kernel-like source: labels, jumps both ways, memory operands, data. */
export function generateSource(lines = 10_000): string {
  const out: string[] = ['bits 32', 'org 0x100000'];
  const body = [
    '  mov eax, [ebx+esi*4+0x10]',
    '  add eax, 5',
    '  cmp ecx, 0x1234',
    '  jnz .l{n}',
    '  push dword [ebp-8]',
    '  call f{m}',
    '  lea edi, [eax+ecx*2]',
    '  shl edx, 3',
    '.l{n}: dec ecx',
    '  jmp f{k}',
  ];
  let n = 0;
  while (out.length < lines - 2) {
    out.push(`f${n}:`);
    for (const t of body) {
      out.push(t.replace(/\{n\}/g, String(n)).replace(/\{m\}/g, String(Math.max(0, n - 3))).replace(/\{k\}/g, String(n + 2)));
    }
    n++;
  }
  out.push(`f${n}: db 'end', 0`, `f${n + 1}: ret`);
  return out.join('\n') + '\n';
}

function time(fn: () => void, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export async function benchAssembler(): Promise<{ name: string; unit: string; runs: number[] }[]> {
  const src = generateSource();
  const lines = src.split('\n');
  const edited = [...lines];
  edited[5000] = '  add eax, 7 ; edited';
  const editedSrc = edited.join('\n');
  // Warm-up so that JIT compilation is not measured.
  assemble(src, { fileName: 'bench.asm' });
  const full = time(() => {
    const r = assemble(src, { fileName: 'bench.asm' });
    if (r.errors.length) throw new Error(`bench source failed: ${r.errors[0]!.message}`);
  }, 5);
  const edit = time(() => assemble(editedSrc, { fileName: 'bench.asm' }), 5);
  return [
    { name: 'asm: assemble 10,000-line source (target < 1000 ms)', unit: 'ms', runs: full },
    { name: 'asm: re-assemble after a one-line edit', unit: 'ms', runs: edit },
  ];
}
