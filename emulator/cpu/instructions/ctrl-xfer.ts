/**
 * Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ, and BOUND.
 *
 * A relative target is `EIP + rel` where EIP already points past the instruction; with a
 * 16-bit operand size the target is truncated to 16 bits (IP wraps). A target beyond the
 * CS limit raises #GP(0) before anything changes (SDM Vol. 2A "Jcc": "IF tempEIP is not
 * within code segment limit THEN #GP(0)").
 *
 * @see Intel SDM Vol. 2A "CALL—Call Procedure", "Jcc—Jump if Condition Is Met",
 *      "JMP—Jump", "BOUND—Check Array Index Against Bounds"; Vol. 2B "LOOP/LOOPcc",
 *      "RET—Return From Procedure".
 */
import { SegReg } from '../../arch/segments';
import type { Cpu } from '../cpu';
import type { Exec } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { gp } from '../fault';
import { testCC } from '../flags';

/**
 * Set EIP to `target` (an offset in CS, already truncated to the operand size).
 * @throws CpuFault #GP(0) when the target lies beyond the CS limit (nothing changed)
 */
export function jumpNear(cpu: Cpu, target: number): void {
  const limit = cpu.segs[SegReg.CS].limit;
  if (target > limit) throw gp(0, `near branch target 0x${target.toString(16)} beyond the CS limit 0x${limit.toString(16)}`);
  cpu.eip = target;
}

/** The target of a relative branch: EIP + rel, wrapped to 16 bits for a 16-bit operand size. */
export function relTarget(cpu: Cpu, i: Insn): number {
  return i.o32 ? (cpu.eip + i.imm) >>> 0 : (cpu.eip + i.imm) & 0xffff;
}

/** Jcc rel8 / rel16 / rel32 (70+cc, 0F 80+cc) for condition code `cc` (0..15). SDM Vol. 2A "Jcc". */
export function jcc(cc: number): Exec {
  return (cpu, i) => {
    if (testCC(cpu, cc)) jumpNear(cpu, relTarget(cpu, i));
  };
}
