/**
 * Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ, and BOUND.
 *
 * A relative target is `EIP + rel` where EIP already points past the instruction; with a
 * 16-bit operand size the target is truncated to 16 bits (IP wraps). A target beyond the
 * CS limit raises #GP(0) before anything changes (SDM Vol. 2A "Jcc": "IF tempEIP is not
 * within code segment limit THEN #GP(0)").
 *
 * @see Intel SDM Vol. 2A "CALL—Call Procedure", "Jcc—Jump if Condition Is Met",
 *      "JMP—Jump", "BOUND—Check Array Index Against Bounds", "LOOP/LOOPcc";
 *      Vol. 2B "RET—Return From Procedure".
 */
import { SegReg } from '../../arch/segments';
import { Vector } from '../../arch/exceptions';
import { ECX, type Cpu } from '../cpu';
import type { Exec, ExecForms } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { CpuFault, gp } from '../fault';
import { getCF, getOF, getPF, getSF, getZF } from '../flags';
import { ea, readV16, readV32 } from '../memory-access';
import { peek, push16, push32, setStackPointer, stackOffset } from '../stack-ops';

/**
 * Set EIP to `target` (an offset in CS, already truncated to the operand size).
 * @throws CpuFault #GP(0) when the target lies beyond the CS limit (nothing changed)
 */
export function jumpNear(cpu: Cpu, target: number): void {
  if (target > cpu.segs[SegReg.CS].limit) throw beyondLimit(cpu, target);
  cpu.eip = target;
}

/** The #GP(0) of a near branch beyond the CS limit (out of line: keeps jumpNear small enough to inline everywhere). */
function beyondLimit(cpu: Cpu, target: number): CpuFault {
  return gp(0, `near branch target 0x${target.toString(16)} beyond the CS limit 0x${cpu.segs[SegReg.CS].limit.toString(16)}`);
}

/** The target of a relative branch: EIP + rel, wrapped to 16 bits for a 16-bit operand size. */
export function relTarget(cpu: Cpu, i: Insn): number {
  return i.o32 ? (cpu.eip + i.imm) >>> 0 : (cpu.eip + i.imm) & 0xffff;
}

/**
 * Jcc rel8 / rel16 / rel32 (70+cc, 0F 80+cc) per condition code (SDM Vol. 2A "Jcc";
 * conditions as Vol. 1 Appendix B). One function literal per condition, not one closure
 * over `cc`: each then has its own type feedback, so V8 inlines its flag test into
 * compiled blocks instead of dispatching through flags.ts testCC (measured by `npm run bench`).
 */
const JCC: readonly Exec[] = [
  (cpu, i) => { if (getOF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JO
  (cpu, i) => { if (!getOF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JNO
  (cpu, i) => { if (getCF(cpu) !== 0) jumpNear(cpu, relTarget(cpu, i)); }, // JB
  (cpu, i) => { if (getCF(cpu) === 0) jumpNear(cpu, relTarget(cpu, i)); }, // JAE
  (cpu, i) => { if (getZF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JE
  (cpu, i) => { if (!getZF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JNE
  (cpu, i) => { if (getCF(cpu) !== 0 || getZF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JBE
  (cpu, i) => { if (getCF(cpu) === 0 && !getZF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JA
  (cpu, i) => { if (getSF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JS
  (cpu, i) => { if (!getSF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JNS
  (cpu, i) => { if (getPF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JP
  (cpu, i) => { if (!getPF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JNP
  (cpu, i) => { if (getSF(cpu) !== getOF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JL
  (cpu, i) => { if (getSF(cpu) === getOF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JGE
  (cpu, i) => { if (getZF(cpu) || getSF(cpu) !== getOF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JLE
  (cpu, i) => { if (!getZF(cpu) && getSF(cpu) === getOF(cpu)) jumpNear(cpu, relTarget(cpu, i)); }, // JG
];

/** The Jcc handler for condition code `cc` (0..15). */
export function jcc(cc: number): Exec {
  return JCC[cc];
}

/** JMP rel8 / rel16 / rel32 (EB, E9). */
export const JMP_J: Exec = (cpu, i) => jumpNear(cpu, relTarget(cpu, i));

/**
 * Near CALL to `target`: check the target against the CS limit, push the return address
 * (EIP, or IP for a 16-bit operand size), then jump. A faulting push leaves EIP and ESP
 * unchanged.
 */
function callNear(cpu: Cpu, o32: boolean, target: number): void {
  const limit = cpu.segs[SegReg.CS].limit;
  if (target > limit) throw gp(0, `near call target 0x${target.toString(16)} beyond the CS limit 0x${limit.toString(16)}`);
  if (o32) push32(cpu, cpu.eip);
  else push16(cpu, cpu.eip);
  cpu.eip = target;
}

/** CALL rel16 / rel32 (E8). */
export const CALL_Jz: Exec = (cpu, i) => callNear(cpu, i.o32, relTarget(cpu, i));

/** CALL r/m16, r/m32 (FF /2): absolute indirect; a 16-bit target is zero-extended. */
export const CALL_Ev: ExecForms = {
  r16: (cpu, i) => callNear(cpu, false, cpu.regs16[i.rm << 1]),
  r32: (cpu, i) => callNear(cpu, true, cpu.regs[i.rm] >>> 0),
  m16: (cpu, i) => callNear(cpu, false, readV16(cpu, i.seg, ea(cpu, i))),
  m32: (cpu, i) => callNear(cpu, true, readV32(cpu, i.seg, ea(cpu, i)) >>> 0),
};

/** JMP r/m16, r/m32 (FF /4): absolute indirect; a 16-bit target is zero-extended. */
export const JMP_Ev: ExecForms = {
  r16: (cpu, i) => jumpNear(cpu, cpu.regs16[i.rm << 1]),
  r32: (cpu, i) => jumpNear(cpu, cpu.regs[i.rm] >>> 0),
  m16: (cpu, i) => jumpNear(cpu, readV16(cpu, i.seg, ea(cpu, i))),
  m32: (cpu, i) => jumpNear(cpu, readV32(cpu, i.seg, ea(cpu, i)) >>> 0),
};

/**
 * RET (C3) and RET imm16 (C2; the decoder leaves i.imm = 0 for C3): pop the return
 * address (#SS if it is outside the stack), check it against the CS limit (#GP(0)),
 * then release it and imm16 bytes of parameters (eSP by the stack-address size).
 * SDM Vol. 2B "RET", near return.
 */
export const RET_near: Exec = (cpu, i) => {
  const v = peek(cpu, i.o32, 0);
  const target = i.o32 ? v >>> 0 : v & 0xffff;
  jumpNear(cpu, target);
  setStackPointer(cpu, stackOffset(cpu, (i.o32 ? 4 : 2) + (i.imm & 0xffff)));
};

/**
 * The LOOP family (E0–E2): decrement the count register (CX or ECX by the ADDRESS size,
 * without touching flags) and branch while it is non-zero and, for LOOPE/LOOPNE, while
 * ZF is 1/0. A taken branch beyond the CS limit raises #GP(0) before the count changes.
 * `zf`: -1 plain LOOP, 1 LOOPE/LOOPZ, 0 LOOPNE/LOOPNZ. SDM Vol. 2A "LOOP/LOOPcc".
 */
function loop(cpu: Cpu, i: Insn, zf: number): void {
  const count = i.a32 ? (cpu.regs[ECX] - 1) | 0 : (cpu.regs16[ECX << 1] - 1) & 0xffff;
  const taken = count !== 0 && (zf < 0 || getZF(cpu) === (zf === 1));
  if (taken) jumpNear(cpu, relTarget(cpu, i));
  if (i.a32) cpu.regs[ECX] = count;
  else cpu.regs16[ECX << 1] = count;
}

/** LOOP rel8 (E2). */
export const LOOP: Exec = (cpu, i) => loop(cpu, i, -1);
/** LOOPE/LOOPZ rel8 (E1). */
export const LOOPE: Exec = (cpu, i) => loop(cpu, i, 1);
/** LOOPNE/LOOPNZ rel8 (E0). */
export const LOOPNE: Exec = (cpu, i) => loop(cpu, i, 0);

/** JCXZ (16-bit address size) / JECXZ (32-bit address size) rel8 (E3): branch when CX/ECX is 0. SDM Vol. 2A "Jcc". */
export const JCXZ: Exec = (cpu, i) => {
  const zero = i.a32 ? cpu.regs[ECX] === 0 : cpu.regs16[ECX << 1] === 0;
  if (zero) jumpNear(cpu, relTarget(cpu, i));
};

/**
 * BOUND Gv, Ma (62): the signed index in Gv must lie within the signed bounds
 * [m, m + w] (lower bound at the operand, upper bound right after it; the second
 * offset wraps at the address size), else #BR (a fault: EIP points at BOUND).
 * The register form is #UD. SDM Vol. 2A "BOUND".
 */
export const BOUND: ExecForms = {
  m16: (cpu, i) => {
    const off = ea(cpu, i);
    const lower = (readV16(cpu, i.seg, off) << 16) >> 16;
    const upper = (readV16(cpu, i.seg, i.a32 ? (off + 2) >>> 0 : (off + 2) & 0xffff) << 16) >> 16;
    const index = (cpu.regs16[i.reg << 1] << 16) >> 16;
    if (index < lower || index > upper) throw new CpuFault(Vector.BR, -1, `BOUND: index ${index} outside [${lower}, ${upper}]`);
  },
  m32: (cpu, i) => {
    const off = ea(cpu, i);
    const lower = readV32(cpu, i.seg, off);
    const upper = readV32(cpu, i.seg, i.a32 ? (off + 4) >>> 0 : (off + 4) & 0xffff);
    const index = cpu.regs[i.reg];
    if (index < lower || index > upper) throw new CpuFault(Vector.BR, -1, `BOUND: index ${index} outside [${lower}, ${upper}]`);
  },
};
