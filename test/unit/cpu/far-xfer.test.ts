import { describe, expect, it } from 'vitest';
import { CR0_PE } from '../../../emulator/arch/control-registers';
import { EFLAGS_CF, EFLAGS_IF, EFLAGS_IOPL, EFLAGS_NT, EFLAGS_OF, EFLAGS_VM } from '../../../emulator/arch/eflags';
import { Vector } from '../../../emulator/arch/exceptions';
import { SegReg, SystemType } from '../../../emulator/arch/segments';
import { run } from '../../../emulator/cpu/executor';
import { getEflags, setEflagsBits } from '../../../emulator/cpu/flags';
import {
  AR_DC,
  AR_P,
  CODE32,
  DATA32,
  dpl,
  KCODE,
  KDATA,
  le16,
  le32,
  Machine,
  R1DATA,
  STACK0,
  STACK3,
  UCODE,
  UDATA,
} from './descriptor-machine';

const TARGET = 0x6000;
const SEL = 0x50; // a free GDT slot per test
const GATE = 0x58;

function pm(cpl = 0): Machine {
  const m = new Machine().protectedMode(cpl);
  m.cpu.eip = 0x5000;
  return m;
}
const jmpf = (off: number, sel: number): number[] => [0xea, ...le32(off), ...le16(sel)];
const callf = (off: number, sel: number): number[] => [0x9a, ...le32(off), ...le16(sel)];

describe('far CALL / JMP / RET in real-address mode', () => {
  it('farCall_pushesCsAndIp_andRetfReturns', () => {
    const m = new Machine();
    const cpu = m.cpu;
    cpu.segs[SegReg.CS].setCache(0, 0, 0xffff, cpu.segs[SegReg.CS].ar);
    cpu.regs[4] = 0x1000;
    m.code(0x500, [0x9a, ...le16(0x0100), ...le16(0x2000), 0x41, 0xf4]); // CALL 2000:0100; INC CX; HLT
    m.poke(0x20100, [0x40, 0xcb]); // INC AX; RETF
    run(cpu, 2);
    expect([cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.CS].base, cpu.eip]).toEqual([0x2000, 0x20000, 0x101]);
    expect([m.r16(0xffc), m.r16(0xffe)]).toEqual([0x505, 0]);
    run(cpu, 2);
    expect([cpu.segs[SegReg.CS].selector, cpu.eip, cpu.regs[4], cpu.regs[0], cpu.regs[1]]).toEqual([0, 0x506, 0x1000, 1, 1]);
  });

  it('farJmpBeyondTheCsLimit_raisesGP0', () => {
    const m = new Machine();
    m.cpu.segs[SegReg.CS].setCache(0, 0, 0xffff, m.cpu.segs[SegReg.CS].ar);
    m.cpu.eip = 0x500;
    const f = m.exec([0x66, 0xea, ...le32(0x10000), ...le16(0x1000)]);
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, 0]);
    expect(m.cpu.segs[SegReg.CS].selector).toBe(0);
  });
});

describe('direct far JMP and CALL in protected mode', () => {
  it('jmpToNonconformingSameDpl_loadsCsWithRplEqualCpl', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0, 0xfffff, CODE32);
    expect(m.exec(jmpf(TARGET, SEL))).toBeNull();
    expect([m.cpu.segs[SegReg.CS].selector, m.cpu.eip, m.cpu.cpl]).toEqual([SEL, TARGET, 0]);
    expect(m.cpu.breakBlock).toBe(true);
  });

  it('nonconformingWithRplAboveCpl_raisesGPSelector', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0, 0xfffff, CODE32);
    const f = m.exec(jmpf(TARGET, SEL | 3));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, SEL]);
  });

  it('nonconformingWithDplNotCpl_raisesGPSelector (no privilege change without a gate)', () => {
    const m = pm(3);
    const f = m.exec(callf(TARGET, KCODE));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, KCODE]);
  });

  it('conformingWithDplAboveCpl_raisesGPSelector', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0, 0xfffff, CODE32 | AR_DC | dpl(3));
    const f = m.exec(jmpf(TARGET, SEL));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, SEL]);
  });

  it('conformingRing0FromRing3_keepsCpl3', () => {
    const m = pm(3);
    m.setDescriptor(SEL, 0, 0xfffff, CODE32 | AR_DC);
    expect(m.exec(callf(TARGET, SEL))).toBeNull();
    expect([m.cpu.cpl, m.cpu.segs[SegReg.CS].selector]).toEqual([3, SEL | 3]);
  });

  it('notPresent_raisesNPSelector', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0, 0xfffff, CODE32 & ~AR_P);
    const f = m.exec(jmpf(TARGET, SEL));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.NP, SEL]);
  });

  it('offsetBeyondTheLimit_raisesGP0', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0, 0xfff, CODE32 & ~(1 << 15));
    const f = m.exec(jmpf(0x1000, SEL));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, 0]);
  });

  it('nullSelector_raisesGP0_dataSegment_raisesGPSelector', () => {
    const m = pm(0);
    const f = m.exec(jmpf(TARGET, 0));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, 0]);
    const g = m.exec(jmpf(TARGET, KDATA));
    expect([g?.vector, g?.errorCode]).toEqual([Vector.GP, KDATA]);
  });

  it('toATss_raisesGPSayingTaskSwitchingIsNotImplemented', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0x3000, 0x67, 0x80 | SystemType.TSS32_AVAILABLE);
    const f = m.exec(jmpf(0, SEL));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, SEL]);
    expect(f?.reason).toMatch(/task switching is not implemented/);
  });

  it('call32_pushesCsZeroExtendedAndEip; call16_pushesWords', () => {
    const m = pm(0);
    m.w32(STACK0 - 8, 0xffffffff);
    m.w32(STACK0 - 4, 0xffffffff);
    expect(m.exec(callf(TARGET, KCODE))).toBeNull();
    expect([m.cpu.regs[4], m.r32(STACK0 - 8), m.r32(STACK0 - 4)]).toEqual([STACK0 - 8, 0x5007, KCODE]);
    const n = pm(0);
    expect(n.exec([0x66, 0x9a, ...le16(0x1234), ...le16(KCODE)])).toBeNull();
    expect([n.cpu.regs[4], n.r16(STACK0 - 4), n.r16(STACK0 - 2), n.cpu.eip]).toEqual([STACK0 - 4, 0x5006, KCODE, 0x1234]);
  });

  it('callWithNoRoomOnTheStack_raisesSS0_andChangesNothing', () => {
    const m = pm(0);
    m.setDescriptor(SEL, 0, 0xfff, (DATA32 & ~(1 << 15)));
    m.load(SegReg.SS, SEL);
    m.cpu.regs[4] = 4;
    const f = m.exec(callf(TARGET, KCODE));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.SS, 0]);
    expect([m.cpu.regs[4], m.cpu.eip, m.cpu.segs[SegReg.CS].selector]).toEqual([4, 0x5000, KCODE]);
  });

  it('callfMp_readsOffsetThenSelectorFromMemory', () => {
    const m = pm(0);
    m.w32(0x7000, TARGET);
    m.w16(0x7004, KCODE);
    expect(m.exec([0xff, 0x1d, ...le32(0x7000)])).toBeNull(); // CALL FAR [0x7000]
    expect([m.cpu.eip, m.r32(STACK0 - 8)]).toEqual([TARGET, 0x5006]);
  });
});

describe('call gates', () => {
  it('sameprivilege_gate_pushesCsEip_andEntersAtTheGateOffset', () => {
    const m = pm(0);
    m.callGate(GATE, KCODE, TARGET, 0);
    expect(m.exec(callf(0xdeadbeef, GATE))).toBeNull(); // the instruction's offset is ignored
    expect([m.cpu.eip, m.cpu.segs[SegReg.CS].selector, m.r32(STACK0 - 8), m.r32(STACK0 - 4)]).toEqual([TARGET, KCODE, 0x5007, KCODE]);
  });

  it('morePrivilege_switchesToTheTssStack_copiesParameters_andRetfImmReturns', () => {
    const m = pm(3);
    const cpu = m.cpu;
    m.callGate(GATE, KCODE, TARGET, 3, 2);
    // PUSH 11111111h; PUSH 22222222h; CALL FAR GATE|3:0; INC ECX; HLT
    m.code(0x5000, [0x68, ...le32(0x11111111), 0x68, ...le32(0x22222222), ...callf(0, GATE | 3), 0x41, 0xf4]);
    // Handler: MOV AX, 10h; MOV DS, AX; RETF 8
    m.poke(TARGET, [0x66, 0xb8, ...le16(KDATA), 0x8e, 0xd8, 0xca, ...le16(8)]);
    run(cpu, 3);
    expect([cpu.cpl, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector, cpu.eip]).toEqual([0, KCODE, KDATA, TARGET]);
    expect(cpu.regs[4]).toBe(STACK0 - 24);
    // New stack, from the top: SS, ESP, parameters in their original order, CS, EIP.
    expect([0, 4, 8, 12, 16, 20].map((o) => m.r32(STACK0 - 24 + o))).toEqual([0x5011, UCODE, 0x22222222, 0x11111111, STACK3 - 8, UDATA]);
    run(cpu, 3); // MOV AX; MOV DS; RETF 8
    expect([cpu.cpl, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector, cpu.eip]).toEqual([3, UCODE, UDATA, 0x5011]);
    expect(cpu.regs[4]).toBe(STACK3); // 8 bytes of parameters released on the caller's stack too
    // DS held a DPL-0 segment: nulled on the way out. ES (DPL 3) is kept.
    expect([cpu.segs[SegReg.DS].selector, cpu.segs[SegReg.DS].usable]).toEqual([0, false]);
    expect(cpu.segs[SegReg.ES].selector).toBe(UDATA);
  });

  it('sixteenBitGate_copiesWordParameters_andPushesAWordFrame', () => {
    const m = pm(3);
    m.callGate(GATE, KCODE, TARGET, 3, 1, SystemType.CALL_GATE16);
    m.cpu.regs[4] = STACK3 - 2;
    m.w16(STACK3 - 2, 0xabcd);
    expect(m.exec(callf(0, GATE))).toBeNull();
    expect(m.cpu.regs[4]).toBe(STACK0 - 10);
    expect([0, 2, 4, 6, 8].map((o) => m.r16(STACK0 - 10 + o))).toEqual([0x5007, UCODE, 0xabcd, STACK3 - 2, UDATA]);
  });

  it('jmpThroughAGateToMorePrivilege_raisesGPCodeSelector', () => {
    const m = pm(3);
    m.callGate(GATE, KCODE, TARGET, 3);
    const f = m.exec(jmpf(0, GATE));
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, KCODE]);
  });

  it('jmpThroughAGateAtSamePrivilege_transfersWithoutPushing', () => {
    const m = pm(0);
    m.callGate(GATE, KCODE, TARGET, 0);
    expect(m.exec(jmpf(0, GATE))).toBeNull();
    expect([m.cpu.eip, m.cpu.regs[4]]).toEqual([TARGET, STACK0]);
  });

  it('gateDplBelowCpl_or_rplAboveGateDpl_raisesGPGateSelector; notPresent_NPGateSelector', () => {
    const m = pm(3);
    m.callGate(GATE, KCODE, TARGET, 0);
    expect(m.exec(callf(0, GATE | 3))).toMatchObject({ vector: Vector.GP, errorCode: GATE });
    const k = pm(0);
    k.callGate(GATE, KCODE, TARGET, 1);
    expect(k.exec(callf(0, GATE | 2))).toMatchObject({ vector: Vector.GP, errorCode: GATE });
    k.gateAt(0x1000 + GATE, KCODE, TARGET, SystemType.CALL_GATE32, 0, 0, false);
    expect(k.exec(callf(0, GATE))).toMatchObject({ vector: Vector.NP, errorCode: GATE });
  });

  it('gateToADataSegment_raisesGPThatSelector; to null_GP0', () => {
    const m = pm(0);
    m.callGate(GATE, KDATA, TARGET, 0);
    expect(m.exec(callf(0, GATE))).toMatchObject({ vector: Vector.GP, errorCode: KDATA });
    m.callGate(GATE, 0, TARGET, 0);
    expect(m.exec(callf(0, GATE))).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });
});

describe('far RET', () => {
  it('toAnInnerRing_raisesGPSelector', () => {
    const m = pm(3);
    m.w32(STACK3 - 8, TARGET);
    m.w32(STACK3 - 4, KCODE);
    m.cpu.regs[4] = STACK3 - 8;
    expect(m.exec([0xcb])).toMatchObject({ vector: Vector.GP, errorCode: KCODE });
  });

  it('toAnOuterRingWithABadStackSelector_raisesGPThatSelector_andChangesNothing', () => {
    const m = pm(0);
    const sp = STACK0 - 16;
    m.cpu.regs[4] = sp;
    m.w32(sp, TARGET);
    m.w32(sp + 4, UCODE);
    m.w32(sp + 8, STACK3);
    m.w32(sp + 12, KDATA | 3); // RPL 3 but DPL 0
    expect(m.exec([0xcb])).toMatchObject({ vector: Vector.GP, errorCode: KDATA });
    expect([m.cpu.cpl, m.cpu.regs[4], m.cpu.segs[SegReg.CS].selector]).toEqual([0, sp, KCODE]);
  });

  it('sameLevelWithImmediate_releasesTheParameters', () => {
    const m = pm(0);
    m.cpu.regs[4] = STACK0 - 8;
    m.w32(STACK0 - 8, TARGET);
    m.w32(STACK0 - 4, KCODE);
    expect(m.exec([0xca, ...le16(0x10)])).toBeNull();
    expect([m.cpu.eip, m.cpu.regs[4]]).toEqual([TARGET, STACK0 + 0x10]);
  });
});

describe('IRET', () => {
  function iretFrame(m: Machine, sp: number, values: number[]): void {
    m.cpu.regs[4] = sp;
    values.forEach((v, k) => m.w32(sp + 4 * k, v));
  }

  it('toAnOuterRing_loadsSsEsp_nullsDataSegmentsBelowTheNewCpl', () => {
    const m = pm(0);
    m.load(SegReg.ES, UDATA);
    m.load(SegReg.FS, R1DATA);
    iretFrame(m, STACK0 - 20, [TARGET, UCODE, 0x202, STACK3 - 4, UDATA]);
    expect(m.exec([0xcf])).toBeNull();
    const cpu = m.cpu;
    expect([cpu.cpl, cpu.eip, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector, cpu.regs[4]]).toEqual([3, TARGET, UCODE, UDATA, STACK3 - 4]);
    expect(cpu.segs[SegReg.ES].selector).toBe(UDATA);
    for (const s of [SegReg.DS, SegReg.FS, SegReg.GS]) expect([cpu.segs[s].selector, cpu.segs[s].usable]).toEqual([0, false]);
  });

  it('atCpl0_loadsIFAndIopl; atCpl3WithIopl0_keepsThemButLoadsStatusFlags', () => {
    const m = pm(0);
    iretFrame(m, STACK0 - 20, [TARGET, UCODE, 0x3202 | EFLAGS_CF, STACK3, UDATA]);
    m.exec([0xcf]);
    expect(getEflags(m.cpu) & (EFLAGS_IF | EFLAGS_IOPL | EFLAGS_CF)).toBe(EFLAGS_IF | EFLAGS_IOPL | EFLAGS_CF);
    const u = pm(3);
    iretFrame(u, STACK3 - 12, [TARGET, UCODE, 0x3202 | EFLAGS_CF]);
    u.exec([0xcf]);
    expect(getEflags(u.cpu) & (EFLAGS_IF | EFLAGS_IOPL | EFLAGS_CF)).toBe(EFLAGS_CF);
  });

  it('withNT_raisesGPSayingTaskSwitchingIsNotImplemented', () => {
    const m = pm(0);
    setEflagsBits(m.cpu, EFLAGS_NT, EFLAGS_NT);
    iretFrame(m, STACK0 - 12, [TARGET, KCODE, 2]);
    const f = m.exec([0xcf]);
    expect([f?.vector, f?.errorCode]).toEqual([Vector.GP, 0]);
    expect(f?.reason).toMatch(/task switching is not implemented/);
  });

  it('toVirtual8086Mode_raisesGPSayingItIsNotImplemented', () => {
    const m = pm(0);
    iretFrame(m, STACK0 - 12, [TARGET, KCODE, 2 | EFLAGS_VM]);
    const f = m.exec([0xcf]);
    expect(f?.reason).toMatch(/virtual-8086 mode is not implemented/);
    expect(m.cpu.regs[4]).toBe(STACK0 - 12);
  });

  it('toAnInnerRing_raisesGPSelector', () => {
    const m = pm(3);
    iretFrame(m, STACK3 - 12, [TARGET, KCODE, 2]);
    expect(m.exec([0xcf])).toMatchObject({ vector: Vector.GP, errorCode: KCODE });
  });

  it('realMode_popsIpCsFlags', () => {
    const m = new Machine();
    const cpu = m.cpu;
    cpu.segs[SegReg.SS].setCache(0, 0, 0xffff, cpu.segs[SegReg.SS].ar);
    cpu.regs[4] = 0x700;
    m.w16(0x700, 0x1234);
    m.w16(0x702, 0x3000);
    m.w16(0x704, 0x0203);
    expect(m.exec([0xcf])).toBeNull(); // IRET in the 16-bit code segment of the reset state
    expect([cpu.eip, cpu.segs[SegReg.CS].base, cpu.regs[4], getEflags(cpu) & 0xfff]).toEqual([0x1234, 0x30000, 0x706, 0x203]);
  });
});

describe('SYSENTER and SYSEXIT', () => {
  it('roundTrip_entersFlatRing0_andReturnsToFlatRing3', () => {
    const m = pm(3);
    const cpu = m.cpu;
    cpu.sysenterCs = KCODE;
    cpu.sysenterEsp = STACK0;
    cpu.sysenterEip = TARGET;
    setEflagsBits(cpu, EFLAGS_IF, EFLAGS_IF);
    m.code(0x5000, [0x0f, 0x34, 0x41, 0xf4]); // SYSENTER; INC ECX
    // MOV ECX, STACK3-16; MOV EDX, 5002h; SYSEXIT
    m.poke(TARGET, [0xb9, ...le32(STACK3 - 16), 0xba, ...le32(0x5002), 0x0f, 0x35]);
    run(cpu, 1);
    expect([cpu.cpl, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector, cpu.regs[4], cpu.eip]).toEqual([0, KCODE, KDATA, STACK0, TARGET]);
    expect(getEflags(cpu) & EFLAGS_IF).toBe(0);
    expect([cpu.segs[SegReg.CS].limit, cpu.segs[SegReg.CS].big]).toEqual([0xffffffff, true]);
    run(cpu, 4);
    expect([cpu.cpl, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector, cpu.regs[4], cpu.regs[1]]).toEqual([3, UCODE, UDATA, STACK3 - 16, STACK3 - 16 + 1]);
  });

  it('sysenterWithSysenterCs0_orInRealMode_raisesGP0', () => {
    const m = pm(3);
    expect(m.exec([0x0f, 0x34])).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    const r = new Machine();
    r.cpu.sysenterCs = KCODE;
    expect(r.cpu.cr0 & CR0_PE).toBe(0);
    expect(r.exec([0x0f, 0x34])).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });

  it('sysexitAtCpl3_raisesGP0', () => {
    const m = pm(3);
    m.cpu.sysenterCs = KCODE;
    expect(m.exec([0x0f, 0x35])).toMatchObject({ vector: Vector.GP, errorCode: 0 });
  });
});

describe('INT n, INTO, INT3 and INT1 handlers', () => {
  it('into_withOFClear_doesNothing; withOFSet_deliversOF', () => {
    const m = pm(0);
    m.idtGate(Vector.OF, KCODE, TARGET, SystemType.TRAP_GATE32, 3);
    expect(m.exec([0xce])).toBeNull();
    expect(m.cpu.eip).toBe(0x5001);
    setEflagsBits(m.cpu, EFLAGS_OF, EFLAGS_OF);
    m.cpu.eip = 0x5000;
    expect(m.exec([0xce])).toBeNull();
    expect([m.cpu.eip, m.r32(STACK0 - 12)]).toEqual([TARGET, 0x5001]);
  });

  it('int3AndInt1_pushTheNextInstructionsAddress', () => {
    const m = pm(0);
    m.idtGate(Vector.BP, KCODE, TARGET);
    m.idtGate(Vector.DB, KCODE, TARGET + 0x10);
    expect(m.exec([0xcc])).toBeNull();
    expect([m.cpu.eip, m.r32(STACK0 - 12)]).toEqual([TARGET, 0x5001]);
    m.cpu.eip = 0x5000;
    expect(m.exec([0xf1])).toBeNull();
    expect(m.cpu.eip).toBe(TARGET + 0x10);
  });

  it('intN_throughAGateWithDplBelowCpl_faultsAtTheIntInstruction', () => {
    const m = pm(3);
    m.idtGate(0x80, KCODE, TARGET, SystemType.INTERRUPT_GATE32, 0);
    const f = m.exec([0xcd, 0x80]);
    expect([f?.vector, f?.errorCode, m.cpu.eip]).toEqual([Vector.GP, 0x402, 0x5000]);
  });
});
