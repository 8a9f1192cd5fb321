/**
 * VMM reason STACK_SEGMENT_LOAD: the guest kernel's MOV SS, r/m16 (8E /2) and POP SS (17)
 * with its own ring-0 selector fault at CPL 1 — SS's RPL must equal the CPL (SDM Vol. 2B
 * "MOV—Move", "POP": #GP(selector) "If the SS register is being loaded and the segment
 * selector's RPL and the segment descriptor's DPL are not equal to the CPL") — and are
 * emulated by loading the same descriptor (DPL 1 or 3 in the shadow GDT: the model's kernel
 * ring) with that RPL, with the CPU's own checks and its MOV SS interrupt shadow. The guest
 * then reads SS with RPL 1 or 3 (ring aliasing, as for CS).
 * NOT YET: LSS (0F B2) — it is reflected as the #GP it raised.
 */
import { SegReg } from '../../../arch/segments';
import { ESP } from '../../../cpu/cpu';
import { ea, readV16 } from '../../../cpu/memory-access';
import { getReg16 } from '../../../cpu/operands';
import { loadSegment } from '../../../cpu/segmentation';
import { peek } from '../../../cpu/stack-ops';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

export const MOV_SREG_OPCODE = 0x8e;
export const POP_SS_OPCODE = 0x17;

/** Whether a decoded instruction is one this handler emulates. */
export function isStackSegmentLoad(opcode: number, reg: number): boolean {
  return opcode === POP_SS_OPCODE || (opcode === MOV_SREG_OPCODE && reg === SegReg.SS);
}

export function onStackSegmentLoad(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'SS load');
  if (insn.opcode === POP_SS_OPCODE) {
    const size = insn.o32 ? 4 : 2;
    const sel = peek(cpu, insn.o32, 0) & 0xffff;
    const big = cpu.segs[SegReg.SS].big; // the pop's stack width is the old stack's
    loadSegment(cpu, SegReg.SS, (sel & 0xfffc) | state.ring.kernelRing);
    if (big) cpu.regs[ESP] = (cpu.regs[ESP] + size) | 0;
    else cpu.regs[ESP] = (cpu.regs[ESP] & ~0xffff) | ((cpu.regs[ESP] + size) & 0xffff);
  } else {
    const sel = insn.mod === 3 ? getReg16(cpu, insn.rm) : readV16(cpu, insn.seg, ea(cpu, insn));
    // A null selector stays null (the RPL does not make it non-null): the load raises #GP(0), reflected.
    loadSegment(cpu, SegReg.SS, (sel & 0xfffc) | state.ring.kernelRing);
  }
  retire(cpu, insn);
  return RESUME;
}
