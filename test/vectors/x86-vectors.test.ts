// Replays every IA-32 single-instruction test vector in ../shared/x86-vectors (199,800 tests,
// Bochs 2.7 + QEMU reference; format in that folder's README.md) on the emulated CPU.
//
// One vitest test per instruction form (from the folder's manifest.json): it fails with the
// form's first failing case, its initial state and a per-field diff. Each vector file is
// streamed once (beforeAll) on one reusable CPU (test/helpers/vector-cpu.ts).
//
// Without the vectors folder the suite fails under CI (process.env.CI) and is skipped with
// a message locally.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listVectorFiles, vectorsDir } from '../helpers/vectors';
import { VectorCpu } from '../helpers/vector-cpu';
import { failureReport, runVectorFile, type FileSummary } from '../helpers/vector-run';

interface Manifest {
  files: Record<string, number>;
  forms: Record<string, { file: string; tests: number; exceptions: number }>;
}

const dir = vectorsDir();
const present = existsSync(path.join(dir, 'manifest.json'));

if (!present) {
  const why = `x86 test vectors not found at ${dir} (set VANDERPOOL_VECTORS_DIR to the folder holding manifest.json and *.jsonl.gz)`;
  if (process.env.CI) {
    describe('x86 test vectors', () => {
      it('are present', () => {
        throw new Error(why);
      });
    });
  } else {
    console.warn(`skipping the x86 vector suite: ${why}`);
    describe.skip(`x86 test vectors (${why})`, () => {
      it('are present', () => undefined);
    });
  }
} else {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const files = listVectorFiles(dir);
  const vcpu = new VectorCpu();

  describe('x86 test vectors', () => {
    it('every file in the manifest is present and every present file is in the manifest', () => {
      expect(files.map((f) => path.basename(f)).sort()).toEqual(Object.keys(manifest.files).sort());
    });

    for (const file of files) {
      const base = path.basename(file);
      const forms = Object.entries(manifest.forms).filter(([, f]) => f.file === base);

      describe(base, () => {
        let summary: FileSummary;
        beforeAll(async () => {
          summary = await runVectorFile(vcpu, file);
        });

        it(`holds exactly the manifest's ${manifest.files[base] ?? 0} tests in its ${forms.length} forms`, () => {
          const seen = [...summary.forms.values()].map((f) => [f.name, f.total]);
          expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(forms.map(([name, f]) => [name, f.tests])));
          expect(summary.total).toBe(manifest.files[base]);
        });

        for (const [name, meta] of forms) {
          it(`${name}: all ${meta.tests} cases match the reference state`, () => {
            const form = summary.forms.get(name);
            if (!form) throw new Error(`no test of form "${name}" in ${base}`);
            if (form.failed > 0) throw new Error(failureReport(form));
            expect(form.total).toBe(meta.tests);
          });
        }
      });
    }
  });
}
