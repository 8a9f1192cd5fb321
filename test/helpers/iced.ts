/**
 * A small iced-x86 wrapper for tests: decode bytes with iced as the reference decoder and
 * report length, mnemonic, Code and CPUID features as plain values.
 *
 * iced-x86 is a wasm-bindgen package: its Decoder and Instruction objects live in
 * WebAssembly memory and must be `.free()`d. `IcedReference` keeps one Instruction and
 * frees every Decoder it makes; `dispose()` frees the rest. The decoder options are the
 * ones the disassembler uses (`p6DecoderOptions`, emulator/cpu/disasm.ts), so iced decodes
 * as the Pentium Pro/II-class CPU of opcode-table.ts does.
 */
import * as iced from 'iced-x86';
import { p6DecoderOptions } from '../../emulator/cpu/disasm';

export { iced };

/** What iced says about one byte string. */
export interface IcedResult {
  /** iced reports Code.INVALID (any reason, including fewer bytes than the instruction needs). */
  invalid: boolean;
  /** Instruction length in bytes (meaningless when invalid). */
  length: number;
  /** iced `Code` value and its name, e.g. `Pushad`, `Add_rm8_imm8_82`. */
  code: number;
  codeName: string;
  /** iced `Mnemonic` name, e.g. `Pushad`, `Reservednop`; `INVALID` when invalid. */
  mnemonic: string;
  /** CPUID features iced lists for the instruction (iced `CpuidFeature` values). */
  features: readonly number[];
}

/** DecoderOptions for a Pentium Pro/II-class Intel CPU (see emulator/cpu/disasm.ts). */
export const P6_DECODER_OPTIONS = p6DecoderOptions(iced);

/** Reference decoder over iced-x86. Not thread-safe; one per test file is enough. */
export class IcedReference {
  private readonly options: number;
  private instruction: iced.Instruction | null = new iced.Instruction();
  /** CPUID features per Code: `cpuidFeatures()` allocates, and the answer depends only on the Code. */
  private readonly featureCache = new Map<number, readonly number[]>();

  constructor(options: number = P6_DECODER_OPTIONS) {
    this.options = options;
  }

  /** Decode the first instruction of `bytes` (at most 15 are read) in 16- or 32-bit code. */
  decode(bytes: Uint8Array, bitness: 16 | 32): IcedResult {
    const results = this.decodeBatch(bytes, bytes.length, 1, bitness);
    return results[0];
  }

  /**
   * Decode `count` byte strings of `stride` bytes each, packed back to back in `buffer`,
   * with a single iced Decoder (one copy of the bytes into WebAssembly memory).
   * `stride` must be at least 15 so that no instruction reads into the next string
   * (iced stops at the 15-byte limit, SDM Vol. 2A §2.3.11) — or the string is the last one.
   */
  decodeBatch(buffer: Uint8Array, stride: number, count: number, bitness: 16 | 32): IcedResult[] {
    const instruction = this.instruction;
    if (!instruction) throw new Error('IcedReference used after dispose()');
    if (count > 1 && stride < 15) throw new Error('stride must be at least 15 bytes');
    const out: IcedResult[] = [];
    const decoder = new iced.Decoder(bitness, buffer.subarray(0, stride * count), this.options);
    try {
      for (let n = 0; n < count; n++) {
        decoder.position = n * stride;
        decoder.decodeOut(instruction);
        out.push(this.describe(instruction));
      }
    } finally {
      decoder.free();
    }
    return out;
  }

  /** Features of an iced Code (cached). */
  featuresOf(instruction: iced.Instruction): readonly number[] {
    const code = instruction.code;
    let f = this.featureCache.get(code);
    if (!f) {
      f = Array.from(instruction.cpuidFeatures());
      this.featureCache.set(code, f);
    }
    return f;
  }

  private describe(instruction: iced.Instruction): IcedResult {
    const code = instruction.code;
    const invalid = code === iced.Code.INVALID;
    return {
      invalid,
      length: instruction.length,
      code,
      codeName: iced.Code[code],
      mnemonic: iced.Mnemonic[instruction.mnemonic],
      features: invalid ? [] : this.featuresOf(instruction),
    };
  }

  /** Free the WebAssembly objects. */
  dispose(): void {
    this.instruction?.free();
    this.instruction = null;
  }
}

/** iced `CpuidFeature` name of a value, for messages. */
export function featureName(f: number): string {
  return iced.CpuidFeature[f];
}
