/**
 * Decimal (BCD) adjust instructions: DAA, DAS, AAA, AAS, AAM, AAD. They work on AL/AH
 * (cpu.regs8[0] / cpu.regs8[1]).
 *
 * Undefined flags follow Bochs 2.7 (the reference of the shared test vectors), which matches
 * P6-family processors: every instruction here computes SF, ZF and PF from the final AL with
 * OF = 0, then sets the flags the SDM defines (CF and AF for DAA/DAS/AAA/AAS); AAM and AAD
 * leave CF = AF = OF = 0.
 *
 * @see Intel SDM Vol. 2A "AAA—ASCII Adjust After Addition", "AAD—ASCII Adjust AX Before
 *      Division", "AAM—ASCII Adjust AX After Multiply", "AAS—ASCII Adjust AL After
 *      Subtraction", "DAA—Decimal Adjust AL after Addition", "DAS—Decimal Adjust AL after
 *      Subtraction".
 */
import { EFLAGS_AF, EFLAGS_CF } from '../../arch/eflags';
import type { Cpu } from '../cpu';
import type { Exec } from '../decoder/types';
import { de } from '../fault';
import { getAF, getCF, setStatusFlags, szpFlags, MASK8 } from '../flags';

const AL = 0, AH = 1;

/** SZP of AL plus the given CF/AF bits; OF = 0. */
function setAdjustFlags(cpu: Cpu, cf: boolean, af: boolean): void {
  setStatusFlags(cpu, szpFlags(cpu.regs8[AL], MASK8) | (cf ? EFLAGS_CF : 0) | (af ? EFLAGS_AF : 0));
}

/** DAA (27): adjust AL after adding two packed-BCD values. */
export const DAA: Exec = (cpu) => {
  const r = cpu.regs8;
  const oldAl = r[AL];
  const oldCf = getCF(cpu) !== 0;
  let cf = false;
  let af = false;
  if ((oldAl & 0x0f) > 9 || getAF(cpu)) {
    cf = oldCf || oldAl > 0xf9; // carry out of AL + 6
    r[AL] = oldAl + 6;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    r[AL] += 0x60;
    cf = true;
  }
  setAdjustFlags(cpu, cf, af);
};

/** DAS (2F): adjust AL after subtracting two packed-BCD values. */
export const DAS: Exec = (cpu) => {
  const r = cpu.regs8;
  const oldAl = r[AL];
  const oldCf = getCF(cpu) !== 0;
  let cf = false;
  let af = false;
  if ((oldAl & 0x0f) > 9 || getAF(cpu)) {
    cf = oldCf || oldAl < 6; // borrow from AL - 6
    r[AL] = oldAl - 6;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    r[AL] -= 0x60;
    cf = true;
  }
  setAdjustFlags(cpu, cf, af);
};

/** AAA (37): adjust AX after adding two unpacked-BCD digits (AX += 106h when adjusting). */
export const AAA: Exec = (cpu) => {
  const adjust = (cpu.regs8[AL] & 0x0f) > 9 || getAF(cpu);
  if (adjust) cpu.regs16[0] += 0x106;
  cpu.regs8[AL] &= 0x0f;
  setAdjustFlags(cpu, adjust, adjust);
};

/** AAS (3F): adjust AX after subtracting two unpacked-BCD digits (AX -= 106h when adjusting). */
export const AAS: Exec = (cpu) => {
  const adjust = (cpu.regs8[AL] & 0x0f) > 9 || getAF(cpu);
  if (adjust) cpu.regs16[0] -= 0x106;
  cpu.regs8[AL] &= 0x0f;
  setAdjustFlags(cpu, adjust, adjust);
};

/** AAM imm8 (D4 ib; imm8 = 0Ah for the mnemonic AAM): AH = AL / imm8, AL = AL mod imm8. #DE when imm8 = 0. */
export const AAM: Exec = (cpu, i) => {
  const base = i.imm & 0xff;
  if (base === 0) throw de('AAM with a zero base');
  const al = cpu.regs8[AL];
  cpu.regs8[AH] = (al / base) | 0;
  cpu.regs8[AL] = al % base;
  setAdjustFlags(cpu, false, false);
};

/** AAD imm8 (D5 ib; imm8 = 0Ah for the mnemonic AAD): AL = (AL + AH * imm8) & FFh, AH = 0. */
export const AAD: Exec = (cpu, i) => {
  cpu.regs16[0] = (cpu.regs8[AL] + cpu.regs8[AH] * (i.imm & 0xff)) & 0xff;
  setAdjustFlags(cpu, false, false);
};
