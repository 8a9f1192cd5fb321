/**
 * Disassembly text for the CLI trace, the debugger and the language server.
 *
 * The text comes from iced-x86 (npm `iced-x86`, a Rust decoder compiled to WebAssembly with
 * wasm-bindgen) and its NASM formatter. Our own decoder (decoder/decoder.ts) decides what the
 * CPU executes; this file only renders bytes as text, with iced options that make iced decode
 * as the Pentium Pro/II-class processor of opcode-table.ts does (see `p6DecoderOptions`).
 *
 * How iced-x86 is loaded, and why it is injected: the npm package is wasm-bindgen's `nodejs`
 * target. At `require` time its `iced_x86.js` does `require('util')` (TextDecoder),
 * `require('fs').readFileSync(path.join(__dirname, 'iced_x86_bg.wasm'))` and a synchronous
 * `new WebAssembly.Module(bytes)`. So importing it at run time pulls Node's `fs`, `path` and
 * `util` into whatever imports it, and in an esbuild bundle it works only with
 * `platform: 'node'` and the .wasm file copied next to the bundle (esbuild.mjs does that
 * for dist/). emulator/ must not depend on Node, so this file imports iced-x86 for its
 * *types only* (erased at compile time) and takes the loaded module from its host: Node
 * hosts (CLI, debug adapter, language server, tests) pass `await import('iced-x86')` or
 * `import * as iced from 'iced-x86'`; a browser host would pass a wasm-bindgen `web` build
 * of the same API after initialising it. Nothing here touches the file system.
 *
 * wasm-bindgen objects live in WebAssembly memory and are not garbage-collected: every
 * Decoder, Formatter and Instruction must be `.free()`d. A `Disassembler` owns one
 * Formatter and one Instruction (freed by `dispose()`); each call makes and frees its own
 * Decoder, since an iced Decoder is bound to the bytes it was built with.
 *
 * @see Intel SDM Vol. 2A §2.1 (instruction format) for what a "length" is; the 15-byte
 *   limit is §2.3.11.
 */
import type * as Iced from 'iced-x86';

/** The part of the iced-x86 module this file uses; pass the whole module. */
export type IcedModule = Pick<typeof Iced, 'Decoder' | 'DecoderOptions' | 'Formatter' | 'FormatterSyntax' | 'Instruction' | 'Code'>;

/** Code width of the instruction stream: CS.D = 0 (16) or 1 (32). */
export type Bitness = 16 | 32;

/** One disassembled instruction. */
export interface DisasmLine {
  /** NASM-syntax text, e.g. `mov eax, [ebx+0x10]`; `(bad)` for an invalid or truncated encoding. */
  text: string;
  /**
   * Length in bytes (1..15). For an invalid or truncated encoding this is 1, so a listing
   * can step over one byte and resynchronise (the CPU itself raises #UD or #GP(0) there).
   */
  length: number;
  /** The bytes are not a valid instruction of this model, or end before the instruction does. */
  invalid: boolean;
}

/**
 * iced DecoderOptions that make iced decode like the Pentium Pro/II-class CPU of
 * opcode-table.ts (no SSE, no later hint instructions):
 * - `ForceReservedNop`: 0F 0D and 0F 18–0F 1F are the reserved-NOP (hint) space — on a P6
 *   they execute as NOP Ev whatever their ModRM and prefixes; later CPUs put PREFETCHh,
 *   PREFETCHW, CLDEMOTE, ENDBR32 … there precisely because older CPUs ignore them
 *   (SDM Vol. 2B "NOP"; see opcode-table.ts HINT_NOP).
 * - `NoMPFX_0FBC`, `NoMPFX_0FBD`: F3 0F BC / F3 0F BD are REP BSF / REP BSR (the F3 prefix is
 *   ignored) on CPUs without BMI1/LZCNT, not TZCNT/LZCNT.
 * - `NoWbnoinvd`: F3 0F 09 is WBINVD with an ignored F3 prefix, not WBNOINVD.
 * Not set: `AMD` (0F FF UD0 takes a ModRM byte on Intel CPUs; LOCK MOV CR is #UD on Intel),
 * `NoPause` (F3 90 is named PAUSE, which executes as NOP on a P6), and the options for
 * instructions of other vendors or of the 286/386/486 only (LOADALL, UMOV, XBTS/IBTS,
 * CMPXCHG at 0F A6/A7, MOV TRn), which a P6 does not have.
 */
export function p6DecoderOptions(iced: Pick<IcedModule, 'DecoderOptions'>): number {
  const o = iced.DecoderOptions;
  return o.ForceReservedNop | o.NoMPFX_0FBC | o.NoMPFX_0FBD | o.NoWbnoinvd;
}

/** Formatting choices; all optional. */
export interface DisasmOptions {
  /** Upper-case mnemonics, registers and keywords (default false). Hex digits are always upper case. */
  uppercase?: boolean;
}

/** Renders instructions as NASM text. Holds WebAssembly objects: call `dispose()` when done. */
export class Disassembler {
  private readonly iced: IcedModule;
  private readonly options: number;
  private formatter: Iced.Formatter | null;
  private instruction: Iced.Instruction | null;

  /**
   * @param iced the loaded iced-x86 module (see the file header for why it is injected)
   * @param opts formatting choices
   */
  constructor(iced: IcedModule, opts: DisasmOptions = {}) {
    this.iced = iced;
    this.options = p6DecoderOptions(iced);
    const f = new iced.Formatter(iced.FormatterSyntax.Nasm);
    f.spaceAfterOperandSeparator = true;
    f.hexPrefix = '0x';
    f.hexSuffix = '';
    f.branchLeadingZeros = false;
    f.uppercaseAll = !!opts.uppercase;
    this.formatter = f;
    this.instruction = new iced.Instruction();
  }

  /**
   * Disassemble the instruction at the start of `bytes`.
   * @param bytes instruction bytes; more than one instruction's worth is fine (only the first is read)
   * @param address the instruction's offset in its code segment (EIP, or IP in 16-bit code),
   *   used to print absolute branch targets; wraps at 2^16 for a 16-bit operand size
   * @param bitness 16 or 32: the code segment's default operand and address size
   * @returns text and length; `(bad)` with length 1 when invalid or truncated
   * @throws Error after `dispose()` (a host programming error, not a guest event)
   */
  disassemble(bytes: Uint8Array, address: number, bitness: Bitness): DisasmLine {
    const formatter = this.formatter;
    const instruction = this.instruction;
    if (!formatter || !instruction) throw new Error('Disassembler used after dispose()');
    if (bytes.length === 0) return { text: '(bad)', length: 1, invalid: true };
    const decoder = new this.iced.Decoder(bitness, bytes.length > 15 ? bytes.subarray(0, 15) : bytes, this.options);
    try {
      decoder.ip = BigInt(address >>> 0);
      decoder.decodeOut(instruction);
      if (instruction.code === this.iced.Code.INVALID) return { text: '(bad)', length: 1, invalid: true };
      return { text: formatter.format(instruction), length: instruction.length, invalid: false };
    } finally {
      decoder.free();
    }
  }

  /**
   * Disassemble consecutive instructions.
   * @param bytes code bytes
   * @param address offset of `bytes[0]` in the code segment
   * @param bitness 16 or 32
   * @param maxCount stop after this many instructions (default: until the bytes run out)
   * @returns one line per instruction with its offset; an invalid byte yields a 1-byte `(bad)` line
   */
  disassembleBlock(bytes: Uint8Array, address: number, bitness: Bitness, maxCount = Infinity): (DisasmLine & { address: number })[] {
    const out: (DisasmLine & { address: number })[] = [];
    const wrap = bitness === 16 ? 0xffff : 0xffffffff;
    let pos = 0;
    while (pos < bytes.length && out.length < maxCount) {
      const at = ((address + pos) & wrap) >>> 0;
      const line = this.disassemble(bytes.subarray(pos, pos + 15), at, bitness);
      out.push({ ...line, address: at });
      pos += line.length;
    }
    return out;
  }

  /** Free the WebAssembly objects. The disassembler cannot be used afterwards. */
  dispose(): void {
    this.formatter?.free();
    this.instruction?.free();
    this.formatter = null;
    this.instruction = null;
  }
}
