/**
 * `disassemble`: guest instructions as NASM text through iced-x86 (emulator/cpu/disasm.ts),
 * with the symbol each address belongs to and its source line when the program was assembled
 * from source. Also the one-line text of an instruction for stop descriptions
 * ("VM exit CR_ACCESS: mov cr3, eax at 0x00101234").
 *
 * Negative `instructionOffset`s (the disassembly view scrolling up) need instruction starts
 * before an address, which x86 cannot decode backwards: we use the source map's line starts
 * when the address lies in the program, and otherwise decode forward from up to 15 bytes per
 * instruction earlier and keep the first start that re-synchronises on the address.
 */
import * as iced from 'iced-x86';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Disassembler } from '../emulator/cpu/disasm';
import { parseMemoryReference } from '../emulator/inspect/guest-memory';
import { AdapterError, hex32 } from './errors';
import { codeBits, readCodeBytes, readLinearBytes } from './guest';
import type { Target } from './launch';

let shared: Disassembler | null = null;

function disassembler(): Disassembler {
  shared ??= new Disassembler(iced);
  return shared;
}

/** One decoded instruction at guest-linear `address`: its text and length, or null when unreadable. */
export function instructionAt(target: Target, address: number): { text: string; length: number } | null {
  const bytes = readCodeBytes(target.vm, address);
  if (bytes.length === 0) return null;
  const line = disassembler().disassemble(bytes, address, codeBits(target.vm));
  return { text: line.text, length: line.length };
}

/** `mov cr3, eax` or `??` when the bytes cannot be read. */
export function instructionText(target: Target, address: number): string {
  return instructionAt(target, address)?.text ?? '??';
}

/** Start of the instruction `count` instructions before `address` (best effort: see the file header). */
function backUp(target: Target, address: number, count: number): number {
  let a = address >>> 0;
  for (let k = 0; k < count && a > 0; k++) {
    const inProgram = target.sources?.lineAt(a - 1);
    if (inProgram) {
      a = inProgram.address;
      continue;
    }
    let found = -1;
    for (let back = 15; back >= 1 && found < 0; back--) {
      const start = a - back;
      if (start < 0) continue;
      const bytes = readLinearBytes(target.vm, start, back + 15);
      if (!bytes) continue;
      const lines = disassembler().disassembleBlock(bytes, start, codeBits(target.vm));
      for (const l of lines) {
        if (l.address === a) {
          found = lines[lines.indexOf(l) - 1]?.address ?? -1;
          break;
        }
        if (l.address > a) break;
      }
    }
    a = found >= 0 ? found : a - 1;
  }
  return a >>> 0;
}

/**
 * Answer `disassemble`.
 * @throws AdapterError for a memory reference that is not guest-linear ('lin:0x…' or a number)
 */
export function disassemble(target: Target, args: DebugProtocol.DisassembleArguments): DebugProtocol.DisassembledInstruction[] {
  let ref;
  try {
    ref = parseMemoryReference(args.memoryReference);
  } catch (e) {
    throw new AdapterError(`disassemble: ${(e as Error).message}`);
  }
  if (ref.space !== 'lin') throw new AdapterError(`disassemble: '${args.memoryReference}' is guest-physical; instructions are disassembled at guest-linear addresses ('lin:0x…')`);
  let address = (ref.address + (args.offset ?? 0)) >>> 0;
  const skip = args.instructionOffset ?? 0;
  if (skip < 0) address = backUp(target, address, -skip);
  const out: DebugProtocol.DisassembledInstruction[] = [];
  const wanted = args.instructionCount;
  let k = skip > 0 ? -skip : 0;
  let lastFile: string | undefined;
  while (out.length < wanted) {
    const insn = instructionAt(target, address);
    if (k >= 0) {
      if (!insn) out.push({ address: hex32(address), instruction: '??', presentationHint: 'invalid' });
      else {
        const bytes = readLinearBytes(target.vm, address, insn.length);
        const d: DebugProtocol.DisassembledInstruction = {
          address: hex32(address),
          instruction: insn.text,
          instructionBytes: bytes ? [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') : undefined,
        };
        const sym = target.sources?.symbolAt(address);
        if (sym && args.resolveSymbols !== false) d.symbol = sym.offset === 0 ? sym.name : `${sym.name}+0x${sym.offset.toString(16)}`;
        const line = target.sources?.lineAt(address);
        if (line) {
          if (line.file !== lastFile) d.location = { name: line.file.split(/[\\/]/).pop(), path: line.file };
          lastFile = line.file;
          d.line = line.line;
        }
        out.push(d);
      }
    }
    k++;
    address = (address + (insn?.length ?? 1)) >>> 0;
  }
  return out;
}
