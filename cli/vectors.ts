/**
 * `npm run vectors [-- FILE.jsonl.gz …]`: replay IA-32 single-instruction test vectors
 * (../shared/x86-vectors, see its README.md) on the emulated CPU.
 *
 * With no arguments it runs every `.jsonl.gz` file of the shared vectors folder
 * ($VANDERPOOL_VECTORS_DIR overrides it). Prints one line per failing instruction form with
 * its first failing case, a per-file table, and ends with "N passed, N failed" (tests).
 * Exits 1 when a test failed, 2 on a usage or I/O error.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { listVectorFiles, vectorsDir } from '../test/helpers/vectors';
import { VectorCpu } from '../test/helpers/vector-cpu';
import { failureLine, runVectorFile } from '../test/helpers/vector-run';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    console.log('usage: npm run vectors [-- FILE.jsonl.gz ...]   (default: every file in ' + vectorsDir() + ')');
    return 0;
  }
  let files: string[];
  try {
    files = args.length > 0 ? args.map((a) => path.resolve(a)) : listVectorFiles();
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  for (const f of files) {
    if (!existsSync(f)) {
      console.error(`no such vector file: ${f}`);
      return 2;
    }
  }

  const vcpu = new VectorCpu();
  const started = performance.now();
  let passed = 0;
  let failed = 0;
  const table: string[] = [];
  for (const file of files) {
    const summary = await runVectorFile(vcpu, file);
    for (const form of summary.forms.values()) if (form.failed > 0) console.log(failureLine(form));
    let failingForms = 0;
    for (const form of summary.forms.values()) if (form.failed > 0) failingForms++;
    table.push(
      `${summary.file.padEnd(24)} ${String(summary.total - summary.failed).padStart(6)} passed ${String(summary.failed).padStart(6)} failed` +
        `  (${summary.forms.size - failingForms}/${summary.forms.size} forms pass, ${(summary.ms / 1000).toFixed(2)} s)`,
    );
    passed += summary.total - summary.failed;
    failed += summary.failed;
  }
  console.log('');
  for (const line of table) console.log(line);
  console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 2;
  },
);
