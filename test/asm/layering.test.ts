/**
 * DEVELOPERS layering rule for the assembler and loaders: the emulator library imports
 * neither `vscode` nor Node built-ins (host services are injected).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BUILTINS = new Set(['fs', 'path', 'os', 'child_process', 'crypto', 'util', 'url', 'buffer', 'stream', 'events', 'process', 'module', 'worker_threads', 'readline', 'net', 'http', 'https', 'zlib', 'assert', 'perf_hooks', 'timers']);

describe('emulator/asm and emulator/loader import no host modules', () => {
  for (const dir of ['emulator/asm', 'emulator/loader']) {
    it(dir, () => {
      const offenders: string[] = [];
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
        const text = readFileSync(join(dir, f), 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
          const spec = m[1]!;
          if (spec === 'vscode' || spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) offenders.push(`${f}: ${spec}`);
        }
        if (/\bBuffer\.|\bprocess\.|\brequire\(/.test(text)) offenders.push(`${f}: uses a Node global`);
      }
      expect(offenders).toEqual([]);
    });
  }
});
