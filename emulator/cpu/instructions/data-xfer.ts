/**
 * Data transfer: MOV, LEA, XCHG, XADD, CMPXCHG, CMPXCHG8B, MOVZX, MOVSX, CBW/CWDE,
 * CWD/CDQ, XLAT, CMOVcc, SETcc, NOP.
 *
 * @see Intel SDM Vol. 2A "CMOVcc", "CMPXCHG", "CMPXCHG8B", "CBW/CWDE", "CWD/CDQ";
 *      Vol. 2B "MOV", "LEA", "MOVSX", "MOVZX", "NOP", "SETcc", "XADD", "XCHG", "XLAT/XLATB".
 */
import type { ExecForms } from '../decoder/types';
import { testCC } from '../flags';
import { ea, readV16, readV32, writeV8 } from '../memory-access';
import { setReg8 } from '../operands';

/**
 * CMOVcc Gv, Ev (0F 40+cc). The source is read (and a memory source may fault) whatever
 * the condition; when the condition is false the destination is unchanged, in 32-bit as
 * in 16-bit operand size (this is IA-32: no zero-extension into a 64-bit register).
 * SDM Vol. 2A "CMOVcc".
 */
export function cmovcc(cc: number): ExecForms {
  return {
    r16: (cpu, i) => {
      if (testCC(cpu, cc)) cpu.regs16[i.reg << 1] = cpu.regs16[i.rm << 1];
    },
    m16: (cpu, i) => {
      const v = readV16(cpu, i.seg, ea(cpu, i));
      if (testCC(cpu, cc)) cpu.regs16[i.reg << 1] = v;
    },
    r32: (cpu, i) => {
      if (testCC(cpu, cc)) cpu.regs[i.reg] = cpu.regs[i.rm];
    },
    m32: (cpu, i) => {
      const v = readV32(cpu, i.seg, ea(cpu, i));
      if (testCC(cpu, cc)) cpu.regs[i.reg] = v;
    },
  };
}

/** SETcc Eb (0F 90+cc): the byte becomes 1 when the condition holds, else 0. SDM Vol. 2B "SETcc". */
export function setcc(cc: number): ExecForms {
  return {
    r8: (cpu, i) => setReg8(cpu, i.rm, testCC(cpu, cc) ? 1 : 0),
    m8: (cpu, i) => writeV8(cpu, i.seg, ea(cpu, i), testCC(cpu, cc) ? 1 : 0),
  };
}

