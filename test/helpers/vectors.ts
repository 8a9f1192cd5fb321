// Reader and comparer for the IA-32 single-instruction test vectors in
// ../shared/x86-vectors (format: that folder's README.md). Shared by the vitest
// suites and by cli/vectors.ts, so this file must not import vitest.
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

export const VECTOR_REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export type VectorReg = (typeof VECTOR_REGS)[number];

/** Machine state before or after the instruction. */
export interface VectorState extends Record<VectorReg, number> {
  eflags: number;
  /** Hex of the 16 scratch bytes at mem_addr, lowest address first. */
  mem: string;
  /** Always 0x6A30. */
  mem_addr: number;
}

export interface VectorTest {
  /** Instruction form, e.g. "add r32,imm8". */
  name: string;
  /** Hex of the complete instruction encoding. */
  bytes: string;
  initial: VectorState;
  final: VectorState;
  /** Vector of the exception raised (0 = #DE, 6 = #UD), or null. */
  exception: number | null;
  /** EFLAGS bits to ignore in final.eflags. */
  undefined_flags: number;
  /** Registers (or "mem") whose final value is undefined. */
  undefined_regs: (VectorReg | 'mem')[];
}

/** What an emulator produced for one test. */
export interface VectorResult extends Record<VectorReg, number> {
  eflags: number;
  /** The 16 scratch bytes, as bytes or hex. */
  mem: Uint8Array | string;
  exception: number | null;
}

/** The repository root: the nearest folder above this module holding a package.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** The shared vectors folder: $VANDERPOOL_VECTORS_DIR, else <repo>/../shared/x86-vectors. */
export function vectorsDir(): string {
  const override = process.env.VANDERPOOL_VECTORS_DIR;
  return override ? path.resolve(override) : path.resolve(repoRoot(), '..', 'shared', 'x86-vectors');
}

/** Absolute paths of every `.jsonl.gz` file in `dir`, sorted by name. */
export function listVectorFiles(dir: string = vectorsDir()): string[] {
  if (!existsSync(dir)) {
    throw new Error(`x86 test vectors not found at ${dir} (set VANDERPOOL_VECTORS_DIR to their folder)`);
  }
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl.gz'))
    .sort()
    .map((name) => path.join(dir, name));
}

/** Streams the tests of one gzipped JSON Lines file. */
export async function* readVectors(file: string): AsyncGenerator<VectorTest> {
  const lines = createInterface({
    input: createReadStream(file).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as VectorTest;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      throw new Error(`${file}:${lineNo}: ${err.message}`);
    }
  }
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex byte string: "${hex}"`);
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

const EXCEPTION_MNEMONICS = [
  'DE', 'DB', 'NMI', 'BP', 'OF', 'BR', 'UD', 'NM', 'DF', 'CSO', 'TS', 'NP', 'SS', 'GP', 'PF', '15',
  'MF', 'AC', 'MC', 'XM', 'VE', 'CP',
];

const EFLAGS_BIT_NAMES: Record<number, string> = {
  0: 'CF', 2: 'PF', 4: 'AF', 6: 'ZF', 7: 'SF', 8: 'TF', 9: 'IF', 10: 'DF', 11: 'OF',
  12: 'IOPL0', 13: 'IOPL1', 14: 'NT', 16: 'RF', 17: 'VM', 18: 'AC', 19: 'VIF', 20: 'VIP', 21: 'ID',
};

function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}

function exceptionText(vector: number | null): string {
  if (vector === null) return 'none';
  const mnemonic = EXCEPTION_MNEMONICS[vector];
  return mnemonic ? `#${mnemonic} (${vector})` : `vector ${vector}`;
}

function flagNames(bits: number): string {
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((bits >>> bit) & 1) names.push(EFLAGS_BIT_NAMES[bit] ?? `bit${bit}`);
  }
  return names.join(' ');
}

/**
 * Compares an emulator's result with a test's expected outcome, per the
 * vectors README: same exception (or none); every register and the scratch
 * memory equal except those in undefined_regs; EFLAGS equal outside
 * undefined_flags. Register values are compared as unsigned 32-bit, so
 * signed results (e.g. from an Int32Array) are fine. Returns one line per
 * mismatch; empty means the test passed.
 */
export function compareVector(test: VectorTest, got: VectorResult): string[] {
  const mismatches: string[] = [];
  const undefinedRegs = new Set<string>(test.undefined_regs);

  if (got.exception !== test.exception) {
    mismatches.push(`exception: expected ${exceptionText(test.exception)}, got ${exceptionText(got.exception)}`);
  }
  for (const reg of VECTOR_REGS) {
    if (undefinedRegs.has(reg)) continue;
    if ((got[reg] >>> 0) !== (test.final[reg] >>> 0)) {
      mismatches.push(`${reg}: expected ${hex32(test.final[reg])}, got ${hex32(got[reg])}`);
    }
  }
  const flagDiff = ((got.eflags ^ test.final.eflags) & ~test.undefined_flags) >>> 0;
  if (flagDiff !== 0) {
    mismatches.push(
      `eflags: expected ${hex32(test.final.eflags)}, got ${hex32(got.eflags)} (differs in ${flagNames(flagDiff)})`,
    );
  }
  if (!undefinedRegs.has('mem')) {
    const expected = test.final.mem.toLowerCase();
    const actual = typeof got.mem === 'string' ? got.mem.toLowerCase() : bytesToHex(got.mem);
    if (actual !== expected) mismatches.push(`mem: expected ${expected}, got ${actual}`);
  }
  return mismatches;
}
