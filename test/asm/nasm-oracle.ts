/**
 * Runs the reference assembler (NASM, Debian package `nasm`) for the conformance tests.
 * When NASM is missing the tests skip locally but fail under CI=true, as DEVELOPERS requires.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const nasmVersion: string | null = (() => {
  const r = spawnSync('nasm', ['-v'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
})();

/** True when tests that need NASM must run (present) or must fail loudly (CI without NASM). */
export const requireNasm = nasmVersion !== null || process.env.CI === 'true';

export interface NasmResult {
  ok: boolean;
  bytes: Uint8Array;
  /** Line numbers (of the main file) that NASM reported errors on. */
  errorLines: Set<number>;
  stderr: string;
}

/** Assembles `source` with `nasm -f bin`; extra files are written beside it (for %include/incbin). */
export function runNasm(source: string, extraFiles: Record<string, string | Uint8Array> = {}, args: string[] = []): NasmResult {
  if (nasmVersion === null) throw new Error('nasm is not installed (apt-get install nasm); required when CI=true');
  const dir = mkdtempSync(join(tmpdir(), 'vp-nasm-'));
  try {
    const src = join(dir, 'main.asm');
    const out = join(dir, 'main.bin');
    writeFileSync(src, source);
    for (const [name, content] of Object.entries(extraFiles)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    const r = spawnSync('nasm', ['-f', 'bin', '-o', out, ...args, 'main.asm'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const errorLines = new Set<number>();
    for (const m of r.stderr.matchAll(/^main\.asm:(\d+): (?:error|fatal)/gm)) errorLines.add(Number(m[1]));
    const ok = r.status === 0 && existsSync(out);
    return { ok, bytes: ok ? new Uint8Array(readFileSync(out)) : new Uint8Array(0), errorLines, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
