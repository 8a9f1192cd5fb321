// Our decoder (emulator/cpu/decoder) against iced-x86 as the reference decoder.
//
// THE PROPERTY. Our CPU model is a Pentium Pro/II-class IA-32 processor without x87, MMX or
// SSE (opcode-table.ts header). iced decodes for the newest x86 CPUs, so it is run with the
// options of a P6-class Intel CPU (p6DecoderOptions in emulator/cpu/disasm.ts: reserved-NOP
// hint space, REP BSF/BSR rather than TZCNT/LZCNT, WBINVD rather than WBNOINVD), and each of
// its answers is classified by the CPUID features iced lists for the instruction:
//   1. iced says invalid                          → ours is invalid (entry null).
//   2. every feature is in MODEL_FEATURES          → ours decodes it, same length, same
//      mnemonic (case-insensitive, through MNEMONIC_ALIASES).
//   3. some feature is an x87 one (X87_FEATURES)   → ours decodes the x87 escape row (attr X87)
//      with the same length: this model has no FPU, every valid escape is one ESC row that
//      raises #NM (CR0.EM/TS) and the length must still be right for the executor.
//   4. anything else (outside the model)           → ours is invalid (entry null).
// Byte strings are 15 bytes long (the architectural maximum, SDM Vol. 2A §2.3.11) so every
// instruction fits: a shorter string would make iced report "no more bytes" where our byte
// source reads zeros. Each string is decoded in both 16-bit and 32-bit code, so the 1,000,000
// runs check 1,000,000 strings per mode.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { arraySource, decode } from '../../emulator/cpu/decoder/decoder';
import { Insn } from '../../emulator/cpu/decoder/insn';
import { Attr } from '../../emulator/cpu/decoder/types';
import { featureName, iced, IcedReference, type IcedResult } from '../helpers/iced';

const F = iced.CpuidFeature;

/**
 * iced CPUID features of instructions this model implements. An instruction is in the model
 * when all of its features are in this list.
 */
const MODEL_FEATURES: ReadonlySet<number> = new Set([
  F.INTEL8086, // the 8086 base set (iced lists SALC, the F6/F7 /1 TEST and the /6 SAL aliases here too)
  F.INTEL186, // PUSH imm, IMUL imm, shifts by imm8, ENTER/LEAVE, BOUND, INS/OUTS, PUSHA/POPA
  F.INTEL286, // protected-mode system instructions (LGDT … ARPL, LAR/LSL, CLTS, LMSW/SMSW), UD2
  F.INTEL386, // 32-bit forms, MOVZX/MOVSX, BT*, SHLD/SHRD, SETcc, Jcc rel16/32, MOV CR/DR, INT1, UD0/UD1
  F.INTEL486, // BSWAP, XADD, CMPXCHG, INVD, WBINVD, INVLPG
  F.CPUID, // CPUID
  F.TSC, // RDTSC
  F.MSR, // RDMSR, WRMSR
  F.CX8, // CMPXCHG8B
  F.SMM, // RSM
  F.CMOV, // CMOVcc (P6); the x87 FCMOVcc/FCOMI also list CMOV but list FPU as well (rule 3)
  F.SEP, // SYSENTER, SYSEXIT (Pentium II)
  F.MULTIBYTENOP, // 0F 1F NOP Ev and the reserved-NOP hint space 0F 0D, 0F 18–0F 1E (P6)
  F.PAUSE, // F3 90: PAUSE is REP NOP, which a P6 executes as NOP; the table names it PAUSE
]);
// Left out on purpose: INTEL8086_ONLY (POP CS), INTEL286_ONLY / INTEL386_ONLY / INTEL386_A0_ONLY /
// INTEL486_A_ONLY (LOADALL, XBTS/IBTS, CMPXCHG at 0F A6/A7 …: gone by the P6), RDPMC (a P6
// instruction this model does not implement yet: 0F 33 decodes as invalid), and everything
// newer (SSE …, SYSCALL, VMX, SMX, …).

/** x87 features: the instruction is an FPU escape (rule 3). */
const X87_FEATURES: ReadonlySet<number> = new Set([F.FPU, F.FPU287, F.FPU287XL_ONLY, F.FPU387, F.FPU387SL_ONLY]);

/**
 * iced Mnemonic name → our mnemonic, only where the names legitimately differ.
 * Everything else must match case-insensitively (iced `Pushad` = our `PUSHAD`, …).
 */
const MNEMONIC_ALIASES: Readonly<Record<string, string>> = {
  // iced names the hint space 0F 0D, 0F 18–0F 1F (with ForceReservedNop) "Reservednop", one
  // Code per opcode. They execute as the multi-byte NOP of SDM Vol. 2B "NOP" (0F 1F /0), and
  // our table names them all NOP (opcode-table.ts HINT_NOP).
  Reservednop: 'NOP',
};

/** How many decodes fell under each rule (reported, so a reader can see what was exercised). */
const tally = { invalid: 0, model: 0, x87: 0, outside: 0 };

/** Upper-cased expected mnemonic per iced Mnemonic name (aliases applied), computed once per name. */
const expectedMnemonic = new Map<string, string>();
function expected(icedMnemonic: string): string {
  let m = expectedMnemonic.get(icedMnemonic);
  if (m === undefined) {
    m = (MNEMONIC_ALIASES[icedMnemonic] ?? icedMnemonic).toUpperCase();
    expectedMnemonic.set(icedMnemonic, m);
  }
  return m;
}

/** Why ours disagrees with iced under the property, or '' when they agree. Messages are built only on failure. */
function disagreement(ice: IcedResult, ours: Insn): string {
  const e = ours.entry;
  const oursText = () => (e ? `${ours.mnemonic} (len ${ours.len})` : `invalid (${ours.invalid})`);
  const icedText = () => `${ice.codeName} (len ${ice.length}; ${ice.features.map(featureName).join(',')})`;
  if (ice.invalid) {
    tally.invalid++;
    return e ? `iced: invalid; ours: ${oursText()}` : '';
  }
  if (ice.features.every((f) => MODEL_FEATURES.has(f))) {
    tally.model++;
    if (!e || ours.len !== ice.length || ours.mnemonic.toUpperCase() !== expected(ice.mnemonic)) return `iced: ${icedText()}; ours: ${oursText()}`;
    return '';
  }
  if (ice.features.some((f) => X87_FEATURES.has(f))) {
    tally.x87++;
    if (!e || !((e.attrs ?? 0) & Attr.X87) || ours.len !== ice.length) return `iced: x87 ${icedText()}; ours: ${oursText()}`;
    return '';
  }
  tally.outside++;
  return e ? `iced: outside the model ${icedText()}; ours: ${oursText()}` : '';
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

const ref = new IcedReference();
afterAll(() => ref.dispose());
const scratch = new Insn(() => undefined);

/** Compare both decoders on one 15-byte string in one mode, given iced's answer; '' or a message naming the bytes. */
function compare(ice: IcedResult, bytes: Uint8Array, code32: boolean): string {
  const ours = decode(arraySource(bytes), code32, scratch);
  const why = disagreement(ice, ours);
  return why ? `${code32 ? 32 : 16}-bit ${hex(bytes)}: ${why}` : '';
}

/** Decode one 15-byte string with both decoders in one mode; '' or a message naming the bytes. */
function check(bytes: Uint8Array, code32: boolean): string {
  return compare(ref.decode(bytes, code32 ? 32 : 16), bytes, code32);
}

const LEGACY_PREFIXES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];

/**
 * A 15-byte string from 16 random bytes. The 16th byte picks the shape: below 80h the 15 bytes
 * are used as they are (uniform); otherwise its low four bits give a number of leading bytes
 * (0–15) turned into legacy prefixes, and bit 4 puts the 0F escape after them — so prefix
 * rules, the two-byte map and the length limit are hit often. (One flat uint8Array keeps
 * generation cheap: composed arbitraries cost more than both decoders together.)
 */
function shape(raw: Uint8Array): Uint8Array {
  const out = raw.slice(0, 15);
  const sel = raw[15];
  if (sel < 0x80) return out;
  const n = sel & 15;
  for (let j = 0; j < n; j++) out[j] = LEGACY_PREFIXES[out[j] % LEGACY_PREFIXES.length];
  if (sel & 0x10 && n < 15) out[n] = 0x0f;
  return out;
}
const byteString: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(shape);

describe('decoder vs iced-x86 (P6 model)', () => {
  it('agrees on length and mnemonic, or both say invalid, for 1,000,000 random 15-byte strings in 16- and 32-bit code', () => {
    const started = performance.now();
    Object.assign(tally, { invalid: 0, model: 0, x87: 0, outside: 0 });
    fc.assert(
      fc.property(byteString, (bytes) => {
        const why = check(bytes, false) || check(bytes, true);
        if (why) throw new Error(why);
      }),
      { numRuns: 1_000_000 },
    );
    const ms = performance.now() - started;
    console.log(
      `decoder vs iced: 1,000,000 strings × 2 modes in ${(ms / 1000).toFixed(1)} s; ` +
        `iced invalid ${tally.invalid}, in the model ${tally.model}, x87 ${tally.x87}, outside the model ${tally.outside}`,
    );
    // Every rule must have been exercised, or the generator has gone blind.
    expect(Math.min(tally.invalid, tally.model, tally.x87, tally.outside)).toBeGreaterThan(10_000);
  });

  it('agrees for every opcode and ModRM byte in both maps, with no prefix and with each single prefix', () => {
    const failures: string[] = [];
    // The 256 ModRM values of one opcode, 15 bytes each, decoded by iced with one Decoder.
    const batch = new Uint8Array(256 * 15);
    for (const prefix of [-1, 0x66, 0x67, 0xf0, 0xf2, 0xf3]) {
      for (const map of [-1, 0x0f]) {
        for (let op = 0; op < 256; op++) {
          for (let modrm = 0; modrm < 256; modrm++) {
            let k = modrm * 15;
            if (prefix >= 0) batch[k++] = prefix;
            if (map >= 0) batch[k++] = map;
            batch[k++] = op;
            batch[k++] = modrm;
            // The rest: a SIB byte and immediates that vary with the ModRM byte.
            for (let j = 0; k < (modrm + 1) * 15; j++) batch[k++] = (modrm * 37 + j * 11) & 0xff;
          }
          for (const code32 of [false, true]) {
            const ice = ref.decodeBatch(batch, 15, 256, code32 ? 32 : 16);
            for (let modrm = 0; modrm < 256; modrm++) {
              const why = compare(ice[modrm], batch.subarray(modrm * 15, modrm * 15 + 15), code32);
              if (why && failures.length < 50) failures.push(why);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
