import { describe, expect, it } from 'vitest';
import { EFLAGS_ZF } from '../../../emulator/arch/eflags';
import { Vector } from '../../../emulator/arch/exceptions';
import { SegReg, SystemType } from '../../../emulator/arch/segments';
import { getEflags, setEflagsBits } from '../../../emulator/cpu/flags';
import {
  AR_DC,
  AR_P,
  AR_RW,
  CODE32,
  DATA32,
  dpl,
  KCODE,
  KDATA,
  LDT_SEL,
  le32,
  Machine,
  STACK0,
  STACK3,
  TSS_SEL,
  UCODE,
  UDATA,
} from './descriptor-machine';

const SEL = 0x50;

function pm(cpl = 0): Machine {
  const m = new Machine().protectedMode(cpl);
  m.cpu.eip = 0x5000;
  return m;
}
const zf = (m: Machine): boolean => (getEflags(m.cpu) & EFLAGS_ZF) !== 0;

describe('PUSH / POP Sreg', () => {
  it('pushCs_revealsTheCplInTheRpl (ring aliasing)', () => {
    const m = pm(3);
    expect(m.exec([0x0e])).toBeNull();
    expect(m.r16(STACK3 - 4) & 3).toBe(3);
  });

  it('push32_writesOnlyTheLowWordOfA4ByteSlot', () => {
    const m = pm(0);
    m.w32(STACK0 - 4, 0xdeadbeef);
    expect(m.exec([0x0f, 0xa0])).toBeNull(); // PUSH FS
    expect(m.cpu.regs[4]).toBe(STACK0 - 4);
    expect(m.r32(STACK0 - 4)).toBe((0xdead0000 | KDATA) >>> 0);
  });

  it('push16_movesSpBy2', () => {
    const m = pm(0);
    expect(m.exec([0x66, 0x06])).toBeNull(); // PUSH ES, o16
    expect([m.cpu.regs[4], m.r16(STACK0 - 2)]).toEqual([STACK0 - 2, KDATA]);
  });

  it('popDs_loadsThroughTheChecks_andMovesEspBy4', () => {
    const m = pm(3);
    m.cpu.regs[4] = STACK3 - 4;
    m.w32(STACK3 - 4, 0xffff0000 | UDATA);
    m.load(SegReg.DS, 0x0); // start from something else
    expect(m.exec([0x1f])).toBeNull();
    expect([m.cpu.segs[SegReg.DS].selector, m.cpu.regs[4]]).toEqual([UDATA, STACK3]);
  });

  it('popWithABadSelector_faultsAndLeavesEspAndTheRegister', () => {
    const m = pm(3);
    m.cpu.regs[4] = STACK3 - 4;
    m.w32(STACK3 - 4, KDATA); // DPL 0 at CPL 3
    const f = m.exec([0x0f, 0xa1]); // POP FS
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, KDATA]);
    expect([m.cpu.regs[4], m.cpu.segs[SegReg.FS].selector]).toEqual([STACK3 - 4, UDATA]);
  });

  it('popSs_setsTheInterruptShadow', () => {
    const m = pm(0);
    m.cpu.regs[4] = STACK0 - 4;
    m.w32(STACK0 - 4, KDATA);
    m.cpu.icount = 7;
    expect(m.exec([0x17])).toBeNull();
    expect(m.cpu.shadowUntil).toBe(8);
  });
});

describe('MOV to and from Sreg', () => {
  it('movR32Sreg_zeroExtends; movR16Sreg_keepsTheUpperHalf', () => {
    const m = pm(0);
    m.cpu.regs[0] = 0x12345678 | 0;
    expect(m.exec([0x8c, 0xd8])).toBeNull(); // MOV EAX, DS
    expect(m.cpu.regs[0]).toBe(KDATA);
    m.cpu.regs[0] = 0x12345678 | 0;
    expect(m.exec([0x66, 0x8c, 0xd8])).toBeNull(); // MOV AX, DS
    expect(m.cpu.regs[0] >>> 0).toBe(0x12340000 | KDATA);
  });

  it('movMemSreg_writesAWordEvenWith32BitOperandSize', () => {
    const m = pm(0);
    m.cpu.regs[3] = 0x7000;
    m.w32(0x7000, 0xffffffff);
    expect(m.exec([0x8c, 0x1b])).toBeNull(); // MOV [EBX], DS
    expect(m.r32(0x7000)).toBe((0xffff0000 | KDATA) >>> 0);
  });

  it('movSsAx_setsTheShadow; movDsAx_raisesTheCheckedFault', () => {
    const m = pm(0);
    m.cpu.regs[0] = KDATA;
    m.cpu.icount = 3;
    expect(m.exec([0x8e, 0xd0])).toBeNull();
    expect(m.cpu.shadowUntil).toBe(4);
    m.setDescriptor(SEL, 0, 0xfffff, DATA32 & ~AR_P);
    m.cpu.regs[0] = SEL;
    expect(m.exec([0x8e, 0xd8])).toMatchObject({ vector: Vector.NP, errorCode: SEL });
  });

  it('movToCs_isAnInvalidOpcode', () => {
    const m = pm(0);
    expect(m.exec([0x8e, 0xc8])).toMatchObject({ vector: Vector.UD });
  });
});

describe('LDS / LES / LSS / LFS / LGS', () => {
  it('lds_loadsOffsetAndSelector', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0x20000, 0xffff, DATA32 & ~(1 << 15));
    m.cpu.regs[3] = 0x7000;
    m.poke(0x7000, [...le32(0xcafe1234), SEL, 0]);
    expect(m.exec([0xc5, 0x33])).toBeNull(); // LDS ESI, [EBX]
    expect([m.cpu.regs[6] >>> 0, m.cpu.segs[SegReg.DS].selector, m.cpu.segs[SegReg.DS].base]).toEqual([0xcafe1234, SEL, 0x20000]);
  });

  it('lfsWithABadSelector_changesNeitherTheRegisterNorTheSegment', () => {
    const m = pm(0);
    m.cpu.regs[3] = 0x7000;
    m.cpu.regs[7] = 0x1111;
    m.poke(0x7000, [...le32(0xcafe1234), 0x08, 0x20]); // selector 2008h: beyond the GDT limit
    expect(m.exec([0x0f, 0xb4, 0x3b])).toMatchObject({ vector: Vector.GP, errorCode: 0x2008 });
    expect([m.cpu.regs[7], m.cpu.segs[SegReg.FS].selector]).toEqual([0x1111, KDATA]);
  });

  it('lss_loadsSsEsp_withoutTheMovSsShadow', () => {
    const m = pm(0);
    m.cpu.regs[3] = 0x7000;
    m.poke(0x7000, [...le32(0x8800), KDATA, 0]);
    m.cpu.icount = 5;
    expect(m.exec([0x0f, 0xb2, 0x23])).toBeNull(); // LSS ESP, [EBX]
    expect([m.cpu.regs[4], m.cpu.segs[SegReg.SS].selector, m.cpu.shadowUntil]).toEqual([0x8800, KDATA, -1]);
  });
});

describe('ARPL, LAR, LSL, VERR, VERW', () => {
  it('arpl_raisesTheRplAndSetsZF_orClearsZF', () => {
    const m = pm(0);
    m.cpu.regs[0] = 0x0010;
    m.cpu.regs[1] = 0x0003;
    expect(m.exec([0x63, 0xc8])).toBeNull(); // ARPL AX, CX
    expect([m.cpu.regs[0], zf(m)]).toEqual([0x13, true]);
    expect(m.exec([0x63, 0xc8])).toBeNull();
    expect([m.cpu.regs[0], zf(m)]).toEqual([0x13, false]);
    m.cpu.regs[3] = 0x7000;
    m.w16(0x7000, 0x0021);
    expect(m.exec([0x63, 0x0b])).toBeNull(); // ARPL [EBX], CX
    expect(m.r16(0x7000)).toBe(0x23);
  });

  it('pmOnlyInstructions_raiseUDInRealMode', () => {
    const m = new Machine();
    for (const bytes of [[0x63, 0xc8], [0x0f, 0x02, 0xc1], [0x0f, 0x03, 0xc1], [0x0f, 0x00, 0xe1], [0x0f, 0x00, 0xe9], [0x0f, 0x00, 0xc0], [0x0f, 0x00, 0xc8], [0x0f, 0x00, 0xd1], [0x0f, 0x00, 0xd9]]) {
      expect(m.exec(bytes)?.vector).toBe(Vector.UD);
    }
  });

  it('lar_returnsTheAccessRightsOfAVisibleDescriptor', () => {
    const m = pm(3);
    m.cpu.regs[1] = UDATA;
    expect(m.exec([0x0f, 0x02, 0xc1])).toBeNull(); // LAR EAX, CX
    const hi = m.descriptorHigh(UDATA);
    expect([m.cpu.regs[0], zf(m)]).toEqual([hi & 0x00f0ff00, true]);
  });

  it('lar_clearsZFForDplBelowCpl_forInterruptGates_andForNull; acceptsConformingCodeAndCallGates', () => {
    const m = pm(3);
    m.cpu.regs[0] = 0x5555;
    for (const sel of [KDATA | 3, 0, 0x1ff8]) {
      m.cpu.regs[1] = sel;
      setEflagsBits(m.cpu, EFLAGS_ZF, EFLAGS_ZF);
      m.exec([0x0f, 0x02, 0xc1]);
      expect(zf(m)).toBe(false);
    }
    m.gateAt(0x1000 + SEL, KCODE, 0, SystemType.INTERRUPT_GATE32, 3);
    m.cpu.regs[1] = SEL | 3;
    m.exec([0x0f, 0x02, 0xc1]);
    expect(zf(m)).toBe(false);
    expect(m.cpu.regs[0]).toBe(0x5555); // untouched when ZF = 0
    m.gateAt(0x1000 + SEL, KCODE, 0, SystemType.CALL_GATE32, 3);
    m.exec([0x0f, 0x02, 0xc1]);
    expect(zf(m)).toBe(true);
    m.setDescriptor(0x58, 0, 0xfffff, CODE32 | AR_DC);
    m.cpu.regs[1] = 0x5b;
    m.exec([0x0f, 0x02, 0xc1]);
    expect(zf(m)).toBe(true);
  });

  it('lsl_returnsTheScaledLimit; rejectsGates', () => {
    const m = pm(0);
    m.cpu.regs[1] = KDATA;
    expect(m.exec([0x0f, 0x03, 0xc1])).toBeNull();
    expect([m.cpu.regs[0] >>> 0, zf(m)]).toEqual([0xffffffff, true]);
    m.cpu.regs[1] = TSS_SEL;
    m.exec([0x0f, 0x03, 0xc1]);
    expect([m.cpu.regs[0], zf(m)]).toEqual([0x67, true]);
    m.gateAt(0x1000 + SEL, KCODE, 0, SystemType.CALL_GATE32, 0);
    m.cpu.regs[1] = SEL;
    m.exec([0x0f, 0x03, 0xc1]);
    expect(zf(m)).toBe(false);
  });

  it('verrAndVerw_judgeReadabilityAndWritabilityAtCplAndRpl', () => {
    const m = pm(3);
    const check = (bytes: number[], sel: number): boolean => {
      m.cpu.regs[1] = sel;
      m.exec(bytes);
      return zf(m);
    };
    const VERR = [0x0f, 0x00, 0xe1];
    const VERW = [0x0f, 0x00, 0xe9];
    expect(check(VERR, UDATA)).toBe(true);
    expect(check(VERW, UDATA)).toBe(true);
    expect(check(VERR, UCODE)).toBe(true); // readable code
    expect(check(VERW, UCODE)).toBe(false); // code is never writable
    expect(check(VERR, KDATA | 3)).toBe(false); // DPL 0 < CPL 3
    m.setDescriptor(SEL, 0, 0xfffff, (DATA32 & ~AR_RW) | dpl(3));
    expect(check(VERR, SEL | 3)).toBe(true);
    expect(check(VERW, SEL | 3)).toBe(false); // read-only
    expect(check(VERR, 0)).toBe(false);
  });
});

describe('SLDT, STR, LLDT, LTR', () => {
  it('sldtAndStr_zeroExtendInto32BitRegisters_andWorkAtCpl3 (a virtualization hole)', () => {
    const m = pm(3);
    m.cpu.regs[0] = -1;
    expect(m.exec([0x0f, 0x00, 0xc0])).toBeNull(); // SLDT EAX
    expect(m.cpu.regs[0]).toBe(LDT_SEL);
    m.cpu.regs[0] = -1;
    expect(m.exec([0x0f, 0x00, 0xc8])).toBeNull(); // STR EAX
    expect(m.cpu.regs[0]).toBe(TSS_SEL);
  });

  it('lldt_loadsLdtrFromTheGdt; null makes it unusable', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0x3c00, 0x1f, AR_P | SystemType.LDT);
    m.cpu.regs[1] = SEL;
    expect(m.exec([0x0f, 0x00, 0xd1])).toBeNull();
    expect([m.cpu.ldtr.selector, m.cpu.ldtr.base, m.cpu.ldtr.limit]).toEqual([SEL, 0x3c00, 0x1f]);
    m.cpu.regs[1] = 0;
    expect(m.exec([0x0f, 0x00, 0xd1])).toBeNull();
    expect(m.cpu.ldtr.usable).toBe(false);
  });

  it('lldt_faults: CPL3 GP0, TI=1 GPSel, not an LDT GPSel, not present NPSel', () => {
    const u = pm(3);
    u.cpu.regs[1] = LDT_SEL;
    expect(u.exec([0x0f, 0x00, 0xd1])).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    const m = pm(0);
    const lldt = (sel: number): unknown => {
      m.cpu.regs[1] = sel;
      return m.exec([0x0f, 0x00, 0xd1]);
    };
    expect(lldt(0x0c)).toMatchObject({ vector: Vector.GP, errorCode: 0x0c });
    expect(lldt(KDATA)).toMatchObject({ vector: Vector.GP, errorCode: KDATA });
    m.setDescriptor(SEL, 0x3c00, 0x1f, SystemType.LDT);
    expect(lldt(SEL)).toMatchObject({ vector: Vector.NP, errorCode: SEL });
  });

  it('ltr_loadsTrAndMarksTheTssBusy; a busy TSS raises GPSel', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0x3400, 0x67, AR_P | SystemType.TSS32_AVAILABLE);
    m.cpu.regs[1] = SEL;
    expect(m.exec([0x0f, 0x00, 0xd9])).toBeNull();
    expect([m.cpu.tr.selector, m.cpu.tr.base, m.cpu.tr.ar & 0xf]).toEqual([SEL, 0x3400, SystemType.TSS32_BUSY]);
    expect((m.descriptorHigh(SEL) >>> 8) & 0xf).toBe(SystemType.TSS32_BUSY);
    expect(m.exec([0x0f, 0x00, 0xd9])).toMatchObject({ vector: Vector.GP, errorCode: SEL });
  });

  it('ltr_null_GP0; atCpl3_GP0; notPresent_NPSel', () => {
    const m = pm(0);
    m.cpu.regs[1] = 0;
    expect(m.exec([0x0f, 0x00, 0xd9])).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    m.setDescriptor(SEL, 0x3400, 0x67, SystemType.TSS32_AVAILABLE);
    m.cpu.regs[1] = SEL;
    expect(m.exec([0x0f, 0x00, 0xd9])).toMatchObject({ vector: Vector.NP, errorCode: SEL });
    const u = pm(3);
    u.cpu.regs[1] = SEL;
    expect(u.exec([0x0f, 0x00, 0xd9])).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });
});
