/**
 * `stackTrace`: frame 0 is CS:EIP; the callers come from the EBP chain (the frame layout of
 * `push ebp; mov ebp, esp`: [EBP] = the caller's EBP, [EBP+4] = the return address; SDM
 * Vol. 1 §6.2.4 "Procedure Linking Information"). The walk stops at EBP = 0, an unreadable or
 * non-increasing EBP, a return address with neither a source line nor a symbol (code that
 * keeps no frame pointer), or MAX_FRAMES. Frames carry the symbol (+offset) and the source
 * line when the program has them; frames without a source have `instructionPointerReference`
 * and `presentationHint: 'subtle'`, so VS Code opens the disassembly for them.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SegReg } from '../emulator/arch/segments';
import { hex32 } from './errors';
import { linearEip, readLinearDword } from './guest';
import type { Target } from './launch';

const MAX_FRAMES = 64;

/** Frame ids: thread × FRAME_STRIDE + depth (stable while stopped). */
export const FRAME_STRIDE = 1000;

/** The DAP frame id of frame `depth` (0 = innermost) of a thread. */
export function frameId(threadId: number, depth: number): number {
  return threadId * FRAME_STRIDE + depth;
}

/** The thread and depth a DAP frame id stands for (the inverse of `frameId`). */
export function frameOf(id: number): { threadId: number; depth: number } {
  return { threadId: Math.floor(id / FRAME_STRIDE), depth: id % FRAME_STRIDE };
}

/** Guest-linear addresses of the frames, innermost first. */
export function framePcs(t: Target): number[] {
  const vm = t.vm;
  const pcs = [linearEip(vm)];
  const ss = vm.cpu.segs[SegReg.SS].base >>> 0;
  const cs = vm.cpu.segs[SegReg.CS].base >>> 0;
  let ebp = vm.cpu.regs[5] >>> 0;
  while (pcs.length < MAX_FRAMES && ebp !== 0) {
    const saved = readLinearDword(vm, (ss + ebp) >>> 0);
    const ret = readLinearDword(vm, (ss + ebp + 4) >>> 0);
    if (saved === null || ret === null) break;
    const pc = (cs + ret) >>> 0;
    if (!t.sources?.lineAt(pc) && !t.sources?.symbolAt(pc)) break;
    pcs.push(pc);
    if (saved <= ebp) break;
    ebp = saved;
  }
  return pcs;
}

/** Answer `stackTrace` (`startFrame`, `levels`) for a stopped target; see the file header for the walk. */
export function stackTrace(t: Target, args: DebugProtocol.StackTraceArguments): DebugProtocol.StackTraceResponse['body'] {
  const pcs = framePcs(t);
  const start = args.startFrame ?? 0;
  const count = args.levels ? args.levels : pcs.length;
  const frames = pcs.slice(start, start + count).map((pc, k) => {
    const depth = start + k;
    const sym = t.sources?.symbolAt(pc);
    const line = t.sources?.lineAt(pc);
    const name = sym ? (sym.offset === 0 ? sym.name : `${sym.name}+0x${sym.offset.toString(16)}`) : hex32(pc);
    const frame: DebugProtocol.StackFrame = { id: frameId(t.threadId, depth), name, line: line?.line ?? 0, column: line ? 1 : 0, instructionPointerReference: hex32(pc) };
    if (line) frame.source = { name: line.file.split(/[\\/]/).pop(), path: line.file };
    else frame.presentationHint = 'subtle';
    return frame;
  });
  return { stackFrames: frames, totalFrames: pcs.length };
}
