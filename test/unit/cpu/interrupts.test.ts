import { describe, expect, it } from 'vitest';
import { EFLAGS_IF, EFLAGS_NT, EFLAGS_TF } from '../../../emulator/arch/eflags';
import { Vector } from '../../../emulator/arch/exceptions';
import { SegReg, SystemType } from '../../../emulator/arch/segments';
import type { CpuEvent } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { CpuFault, gp } from '../../../emulator/cpu/fault';
import { getEflags, setEflagsBits } from '../../../emulator/cpu/flags';
import {
  deliverException,
  deliverExternalInterrupt,
  deliverNmi,
  deliverSoftwareInterrupt,
  isDoubleFaultPair,
} from '../../../emulator/cpu/interrupts';
import {
  AR_DC,
  CODE32,
  faultOf,
  KCODE,
  KDATA,
  Machine,
  STACK0,
  STACK3,
  TSS,
  UCODE,
  UDATA,
  dpl,
} from './descriptor-machine';

const HANDLER = 0x6000;
const HANDLER2 = 0x6100;

/** Protected mode with the current instruction at 0x5000. */
function pm(cpl = 0): Machine {
  const m = new Machine().protectedMode(cpl);
  m.cpu.eip = 0x5000;
  return m;
}

/** The n-th dword above the stack pointer of `m` (at linear SS.base + ESP). */
function stackDword(m: Machine, n: number): number {
  return m.r32(m.cpu.segs[SegReg.SS].base + (m.cpu.regs[4] >>> 0) + 4 * n);
}

describe('real-address-mode delivery through the IVT', () => {
  it('intN_pushesFlagsCsIp_clearsIfTf_andJumpsThroughTheIvt', () => {
    const m = new Machine();
    const cpu = m.cpu;
    cpu.idtr.base = 0;
    cpu.idtr.limit = 0x3ff;
    m.w16(0x21 * 4, 0x0100);
    m.w16(0x21 * 4 + 2, 0x2000);
    cpu.segs[SegReg.CS].setCache(0x0700, 0x7000, 0xffff, cpu.segs[SegReg.CS].ar);
    cpu.segs[SegReg.SS].setCache(0, 0, 0xffff, cpu.segs[SegReg.SS].ar);
    cpu.regs[4] = 0x800;
    cpu.eip = 0x12;
    setEflagsBits(cpu, EFLAGS_IF | EFLAGS_TF, EFLAGS_IF | EFLAGS_TF);
    deliverSoftwareInterrupt(cpu, 0x21, 'INTn', 2);
    expect(cpu.segs[SegReg.CS].selector).toBe(0x2000);
    expect(cpu.segs[SegReg.CS].base).toBe(0x20000);
    expect(cpu.eip).toBe(0x100);
    expect(cpu.regs[4]).toBe(0x7fa);
    expect([m.r16(0x7fa), m.r16(0x7fc)]).toEqual([0x12, 0x0700]);
    expect(m.r16(0x7fe) & (EFLAGS_IF | EFLAGS_TF)).toBe(EFLAGS_IF | EFLAGS_TF);
    expect(getEflags(cpu) & (EFLAGS_IF | EFLAGS_TF)).toBe(0);
  });

  it('ivtLimitTooSmallForEveryVector_endsInTripleFaultShutdown', () => {
    const m = new Machine();
    const cpu = m.cpu;
    cpu.idtr.limit = 3; // only vector 0
    let shutdownReason = '';
    cpu.hooks.onShutdown = (r) => (shutdownReason = r);
    m.code(0x500, [0xcd, 0x21]); // INT 21h
    cpu.segs[SegReg.CS].setCache(0, 0, 0xffff, cpu.segs[SegReg.CS].ar);
    const stop = run(cpu, 10);
    expect(stop.kind).toBe('shutdown');
    expect(cpu.shutdown).toBe(true);
    expect(shutdownReason).toMatch(/triple fault/);
    // INT 21h → #GP (beyond IVT limit) → #DF (contributory on contributory) → shutdown.
    expect(m.events.map((e) => e.vector)).toEqual([0x21, Vector.GP, Vector.DF]);
  });
});

describe('protected-mode delivery, same privilege', () => {
  it('fault_pushesEflagsCsEipErrorCode_onTheCurrentStack_andInterruptGateClearsIF', () => {
    const m = pm(0);
    const cpu = m.cpu;
    m.idtGate(Vector.GP, KCODE, HANDLER);
    setEflagsBits(cpu, EFLAGS_IF | EFLAGS_NT, EFLAGS_IF | EFLAGS_NT);
    const flagsBefore = getEflags(cpu);
    deliverException(cpu, gp(0x1234, 'test'), false);
    expect(cpu.eip).toBe(HANDLER);
    expect(cpu.regs[4]).toBe(STACK0 - 16);
    expect([stackDword(m, 0), stackDword(m, 1), stackDword(m, 2), stackDword(m, 3)]).toEqual([0x1234, 0x5000, KCODE, flagsBefore]);
    expect(getEflags(cpu) & (EFLAGS_IF | EFLAGS_NT)).toBe(0);
    expect(m.events).toEqual([{ vector: Vector.GP, errorCode: 0x1234, kind: 'exception', reason: 'test' }]);
  });

  it('trapGate_leavesIFSet', () => {
    const m = pm(0);
    m.idtGate(0x40, KCODE, HANDLER, SystemType.TRAP_GATE32);
    setEflagsBits(m.cpu, EFLAGS_IF, EFLAGS_IF);
    deliverSoftwareInterrupt(m.cpu, 0x40, 'INTn', 2);
    expect(getEflags(m.cpu) & EFLAGS_IF).toBe(EFLAGS_IF);
  });

  it('sixteenBitGate_pushesAWordFrame', () => {
    const m = pm(0);
    m.idtGate(0x41, KCODE, 0x12345678, SystemType.INTERRUPT_GATE16);
    deliverSoftwareInterrupt(m.cpu, 0x41, 'INTn', 2);
    expect(m.cpu.eip).toBe(0x5678); // the offset is truncated to 16 bits
    expect(m.cpu.regs[4]).toBe(STACK0 - 6);
    expect([m.r16(STACK0 - 6), m.r16(STACK0 - 4)]).toEqual([0x5000, KCODE]);
  });

  it('conformingHandler_runsAtTheCallersCpl_withoutAStackSwitch', () => {
    const m = pm(3);
    m.setDescriptor(0x50, 0, 0xfffff, CODE32 | AR_DC); // conforming, DPL 0
    m.idtGate(0x42, 0x50, HANDLER, SystemType.INTERRUPT_GATE32, 3);
    deliverSoftwareInterrupt(m.cpu, 0x42, 'INTn', 2);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.segs[SegReg.CS].selector).toBe(0x53);
    expect(m.cpu.segs[SegReg.SS].selector).toBe(UDATA);
    expect(m.cpu.regs[4]).toBe(STACK3 - 12);
  });

  it('delivery_clearsTheHaltedState', () => {
    const m = pm(0);
    m.idtGate(0x30, KCODE, HANDLER);
    m.cpu.halted = true;
    deliverExternalInterrupt(m.cpu, 0x30);
    expect(m.cpu.halted).toBe(false);
    expect(m.cpu.eip).toBe(HANDLER);
  });
});

describe('protected-mode delivery across privilege levels', () => {
  it('ring3Fault_switchesToTheTssRing0Stack_andPushesSsEspEflagsCsEipErrorCode', () => {
    const m = pm(3);
    const cpu = m.cpu;
    m.idtGate(Vector.GP, KCODE, HANDLER);
    m.code(0x5000, [0xf4]); // HLT at CPL 3 → #GP(0)
    m.poke(HANDLER, [0xf4]); // the handler halts at CPL 0
    const flags = getEflags(cpu);
    const stop = run(cpu, 5);
    expect(stop.kind).toBe('hlt');
    expect(cpu.cpl).toBe(0);
    expect(cpu.segs[SegReg.CS].selector).toBe(KCODE);
    expect(cpu.segs[SegReg.SS].selector).toBe(KDATA);
    expect(cpu.regs[4]).toBe(STACK0 - 24);
    expect([0, 1, 2, 3, 4, 5].map((n) => stackDword(m, n))).toEqual([0, 0x5000, UCODE, flags, STACK3, UDATA]);
  });

  it('sixteenBitTss_suppliesSP0AndSS0AtOffsets2And4', () => {
    const m = pm(3);
    m.setDescriptor(0x58, 0x3400, 0x2b, 0x80 | SystemType.TSS16_BUSY);
    m.cpu.tr.setCache(0x58, 0x3400, 0x2b, 0x80 | SystemType.TSS16_BUSY);
    m.w16(0x3402, 0x7000);
    m.w16(0x3404, KDATA);
    m.idtGate(0x43, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 3);
    deliverSoftwareInterrupt(m.cpu, 0x43, 'INTn', 2);
    expect(m.cpu.regs[4]).toBe(0x7000 - 20);
    expect(m.r32(0x7000 - 4)).toBe(UDATA);
  });

  it('tssStackWithNullSS_raisesTS0_withEXTForAnExternalInterrupt', () => {
    const m = pm(3);
    m.w16(TSS + 8, 0); // SS0 = null
    m.idtGate(0x30, KCODE, HANDLER);
    m.idtGate(Vector.TS, KCODE, HANDLER2);
    deliverExternalInterrupt(m.cpu, 0x30);
    expect(m.events[1].vector).toBe(Vector.TS);
    expect(m.events[1].errorCode).toBe(1); // null selector + EXT
    // Delivering #TS itself needs the broken ring-0 stack: #TS while delivering #TS is a double
    // fault, and #DF needs that stack too: triple fault.
    expect(m.events.map((e) => e.vector)).toEqual([0x30, Vector.TS, Vector.DF]);
    expect(m.cpu.shutdown).toBe(true);
  });

  it('tssTooShortForTheStack_raisesTSWithTheTssSelector', () => {
    const m = pm(3);
    m.cpu.tr.setCache(0x28, TSS, 0x07, m.cpu.tr.ar); // limit 7: ESP0/SS0 at 4..9 do not fit
    m.idtGate(0x44, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 3);
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x44, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.TS, 0x28]);
  });
});

describe('gate and code-segment checks', () => {
  it('intN_gateDplBelowCpl_raisesGPWithIdtErrorCode', () => {
    const m = pm(3);
    m.idtGate(0x80, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0);
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x80, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0x80 * 8 + 2]);
  });

  it('int3AndInto_alsoCheckTheGateDpl_butInt1DoesNotAndSetsEXT', () => {
    const m = pm(3);
    m.idtGate(Vector.BP, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0);
    m.idtGate(Vector.DB, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0);
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, Vector.BP, 'INT3', 1));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 3 * 8 + 2]);
    deliverSoftwareInterrupt(m.cpu, Vector.DB, 'INT1', 1);
    expect(m.cpu.eip).toBe(HANDLER);
    expect(m.cpu.cpl).toBe(0);
  });

  it('exceptionsIgnoreTheGateDpl', () => {
    const m = pm(3);
    m.idtGate(Vector.BP, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0);
    deliverException(m.cpu, new CpuFault(Vector.BP, -1, 'int3 as exception'), true);
    expect(m.cpu.eip).toBe(HANDLER);
  });

  it('gateNotPresent_raisesNPWithIdtErrorCodeAndEXT_forExternalInterrupts', () => {
    const m = pm(0);
    m.idtGate(0x30, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0, false);
    m.idtGate(Vector.NP, KCODE, HANDLER2);
    deliverExternalInterrupt(m.cpu, 0x30);
    expect(m.events[1]).toMatchObject({ vector: Vector.NP, errorCode: 0x30 * 8 + 2 + 1 });
    expect(m.cpu.eip).toBe(HANDLER2);
    expect(stackDword(m, 0)).toBe(0x30 * 8 + 3);
  });

  it('vectorBeyondIdtLimit_raisesGPWithIdtErrorCode', () => {
    const m = pm(0);
    m.cpu.idtr.limit = 0x40 * 8 - 1;
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x40, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0x40 * 8 + 2]);
  });

  it('notAGate_raisesGPWithIdtErrorCode', () => {
    const m = pm(0);
    m.gateAt(0x2000 + 0x45 * 8, KCODE, HANDLER, SystemType.CALL_GATE32, 3);
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x45, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0x45 * 8 + 2]);
  });

  it('taskGate_raisesGPSayingTaskSwitchingIsNotImplemented', () => {
    const m = pm(0);
    m.idtGate(0x46, 0x28, 0, SystemType.TASK_GATE);
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x46, 'INTn', 2));
    expect(f.vector).toBe(Vector.GP);
    expect(f.reason).toMatch(/task switching is not implemented/);
  });

  it('gateToDataSegment_raisesGPSelector; to a null selector GP0; to a more-outer DPL GPSelector', () => {
    const m = pm(0);
    m.idtGate(0x47, KDATA, HANDLER);
    expect(faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x47, 'INTn', 2)).errorCode).toBe(KDATA);
    m.idtGate(0x47, 0, HANDLER);
    expect(faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x47, 'INTn', 2)).errorCode).toBe(0);
    m.idtGate(0x47, UCODE, HANDLER); // DPL 3 > CPL 0
    expect(faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x47, 'INTn', 2)).errorCode).toBe(UCODE & ~3);
  });

  it('codeSegmentNotPresent_raisesNPSelector; offset beyond the limit raises GP0', () => {
    const m = pm(0);
    m.setDescriptor(0x50, 0, 0xfffff, CODE32 & ~0x80);
    m.idtGate(0x48, 0x50, HANDLER);
    const f = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x48, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.NP, 0x50]);
    m.setDescriptor(0x50, 0, 0xfff, CODE32 & ~(1 << 15)); // byte-granular, limit 0xFFF
    const g = faultOf(() => deliverSoftwareInterrupt(m.cpu, 0x48, 'INTn', 2));
    expect([g.vector, g.errorCode]).toEqual([Vector.GP, 0]);
  });
});

describe('double fault, triple fault and the all-or-nothing rule', () => {
  it('isDoubleFaultPair_followsTable6-5', () => {
    expect(isDoubleFaultPair(Vector.GP, Vector.NP)).toBe(true);
    expect(isDoubleFaultPair(Vector.PF, Vector.PF)).toBe(true);
    expect(isDoubleFaultPair(Vector.PF, Vector.GP)).toBe(true);
    expect(isDoubleFaultPair(Vector.GP, Vector.PF)).toBe(false);
    expect(isDoubleFaultPair(Vector.BP, Vector.GP)).toBe(false);
    expect(isDoubleFaultPair(Vector.DE, Vector.TS)).toBe(true);
  });

  it('contributoryWhileDeliveringContributory_deliversDoubleFaultWithErrorCode0', () => {
    const m = pm(0);
    m.idtGate(Vector.GP, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0, false); // #GP gate absent → #NP
    m.idtGate(Vector.DF, KCODE, HANDLER2);
    deliverException(m.cpu, gp(0, 'first'), false);
    expect(m.events.map((e) => [e.vector, e.errorCode])).toEqual([
      [Vector.GP, 0],
      [Vector.DF, 0],
    ]);
    expect(m.cpu.eip).toBe(HANDLER2);
    expect([stackDword(m, 0), stackDword(m, 1)]).toEqual([0, 0x5000]);
  });

  it('contributoryWhileDeliveringPageFault_isADoubleFault', () => {
    const m = pm(0);
    m.idtGate(Vector.PF, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0, false);
    m.idtGate(Vector.DF, KCODE, HANDLER2);
    deliverException(m.cpu, new CpuFault(Vector.PF, 2, 'pf'), false);
    expect(m.events.map((e) => e.vector)).toEqual([Vector.PF, Vector.DF]);
    expect(m.cpu.eip).toBe(HANDLER2);
  });

  it('contributoryWhileDeliveringBenign_isHandledSerially', () => {
    const m = pm(0);
    m.idtGate(Vector.BP, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 0, false);
    m.idtGate(Vector.NP, KCODE, HANDLER2);
    deliverException(m.cpu, new CpuFault(Vector.BP, -1, 'bp'), true);
    expect(m.events.map((e) => [e.vector, e.errorCode])).toEqual([
      [Vector.BP, -1],
      [Vector.NP, Vector.BP * 8 + 3],
    ]);
    expect(m.cpu.eip).toBe(HANDLER2);
  });

  it('faultWhileDeliveringDoubleFault_isATripleFault_shutdownAndRunStops', () => {
    const m = pm(0);
    const cpu = m.cpu;
    let reason = '';
    cpu.hooks.onShutdown = (r) => (reason = r);
    m.code(0x5000, [0x8e, 0xd8]); // MOV DS, AX with AX = 0x0203: beyond the GDT → #GP; no IDT gates at all
    cpu.regs[0] = 0x0203;
    const stop = run(cpu, 10);
    expect(stop).toEqual({ kind: 'shutdown', reason });
    expect(reason).toMatch(/^triple fault/);
    expect(cpu.shutdown).toBe(true);
    expect(m.events.map((e) => e.vector)).toEqual([Vector.GP, Vector.DF]);
    expect(cpu.eip).toBe(0x5000);
    expect(run(cpu, 10).kind).toBe('shutdown'); // stays shut down
  });

  it('frameThatDoesNotFit_faultsSS0_andChangesNothing', () => {
    const m = pm(0);
    const cpu = m.cpu;
    m.setDescriptor(0x50, 0, 0x0fff, 0x80 | 0x10 | 0x02 | (1 << 14)); // byte-granular 4-KiB stack, 32-bit
    m.load(SegReg.SS, 0x50);
    cpu.regs[4] = 8; // room for two dwords of a three-dword frame
    m.idtGate(0x49, KCODE, HANDLER);
    m.w32(0, 0xaaaaaaaa);
    m.w32(4, 0xbbbbbbbb);
    const flags = getEflags(cpu);
    const f = faultOf(() => deliverSoftwareInterrupt(cpu, 0x49, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.SS, 0]);
    expect([cpu.regs[4], cpu.eip, cpu.segs[SegReg.CS].selector, getEflags(cpu)]).toEqual([8, 0x5000, KCODE, flags]);
    expect([m.r32(0), m.r32(4)]).toEqual([0xaaaaaaaa, 0xbbbbbbbb]);
  });

  it('newStackThatDoesNotFit_faultsSSWithTheNewSSSelector_andChangesNothing', () => {
    const m = pm(3);
    const cpu = m.cpu;
    m.w32(TSS + 4, 12); // ESP0 = 12: no room for 5 dwords
    m.idtGate(0x4a, KCODE, HANDLER, SystemType.INTERRUPT_GATE32, 3);
    m.setDescriptor(0x50, 0, 0x0fff, 0x80 | 0x10 | 0x02 | (1 << 14));
    m.w16(TSS + 8, 0x50);
    const f = faultOf(() => deliverSoftwareInterrupt(cpu, 0x4a, 'INTn', 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.SS, 0x50]);
    expect([cpu.cpl, cpu.segs[SegReg.SS].selector, cpu.regs[4]]).toEqual([3, UDATA, STACK3]);
  });
});

describe('NMI, the VMM interceptor and the interrupt shadow', () => {
  it('nmi_blocksFurtherNmisUntilIret', () => {
    const m = pm(0);
    m.idtGate(Vector.NMI, KCODE, HANDLER);
    m.poke(HANDLER, [0xcf]); // IRETD
    m.code(0x5000, [0x90, 0x90, 0xf4]);
    deliverNmi(m.cpu);
    expect(m.cpu.nmiBlocked).toBe(true);
    expect(m.cpu.eip).toBe(HANDLER);
    run(m.cpu, 1); // IRETD
    expect(m.cpu.nmiBlocked).toBe(false);
    expect(m.cpu.eip).toBe(0x5000);
  });

  it('interceptEvent_returningTrue_deliversNothing_andSeesTypeAndErrorCode', () => {
    const m = pm(3);
    const seen: CpuEvent[] = [];
    m.cpu.hooks.interceptEvent = (_cpu, ev) => {
      seen.push(ev);
      return true;
    };
    m.idtGate(Vector.GP, KCODE, HANDLER);
    deliverException(m.cpu, gp(0x18, 'x'), false);
    deliverSoftwareInterrupt(m.cpu, 0x80, 'INTn', 2);
    deliverSoftwareInterrupt(m.cpu, 3, 'INT3', 1);
    deliverExternalInterrupt(m.cpu, 0x20);
    expect(seen.map((e) => [e.vector, e.errorCode, e.type, e.instructionLength])).toEqual([
      [Vector.GP, 0x18, 'hardware-exception', 0],
      [0x80, -1, 'software-interrupt', 2],
      [3, -1, 'software-exception', 1],
      [0x20, -1, 'external-interrupt', 0],
    ]);
    expect([m.cpu.cpl, m.cpu.eip, m.cpu.regs[4]]).toEqual([3, 0x5000, STACK3]);
  });

  it('interceptEvent_returningFalse_letsDeliveryProceed', () => {
    const m = pm(0);
    m.cpu.hooks.interceptEvent = () => false;
    m.idtGate(0x30, KCODE, HANDLER);
    deliverExternalInterrupt(m.cpu, 0x30);
    expect(m.cpu.eip).toBe(HANDLER);
  });

  function shadowRun(loadSs: boolean): { ecx: number; savedEip: number } {
    const m = pm(0);
    const cpu = m.cpu;
    setEflagsBits(cpu, EFLAGS_IF, EFLAGS_IF);
    cpu.regs[0] = KDATA;
    // MOV SS, AX (or MOV DS, AX); INC ECX; INC ECX; HLT
    m.code(0x5000, [0x8e, loadSs ? 0xd0 : 0xd8, 0x41, 0x41, 0xf4]);
    m.idtGate(0x30, KCODE, HANDLER);
    m.poke(HANDLER, [0xf4]);
    run(cpu, 1); // the segment load
    // A device raises INTR now (and, as devices do, makes the run loop look at it).
    let raised = false;
    cpu.intr = {
      pending: () => !raised,
      acknowledge: () => {
        raised = true;
        return 0x30;
      },
    };
    cpu.breakBlock = true;
    run(cpu, 20);
    return { ecx: cpu.regs[1], savedEip: stackDword(m, 0) };
  }

  it('movSS_holdsOffAnInterruptUntilAfterTheNextInstruction', () => {
    expect(shadowRun(true)).toEqual({ ecx: 1, savedEip: 0x5003 });
  });

  it('movDS_doesNotHoldOffAnInterrupt', () => {
    expect(shadowRun(false)).toEqual({ ecx: 0, savedEip: 0x5002 });
  });
});

describe('interrupt return into the guest', () => {
  it('intN_fromRing3_toRing0_andIretBack_restoresEverything', () => {
    const m = pm(3);
    const cpu = m.cpu;
    m.idtGate(0x80, KCODE, HANDLER, SystemType.TRAP_GATE32, 3);
    m.poke(HANDLER, [0x40, 0xcf]); // INC EAX; IRETD
    m.code(0x5000, [0xcd, 0x80, 0x41, 0xf4]); // INT 80h; INC ECX; (HLT → #GP at ring 3)
    run(cpu, 4);
    expect(cpu.regs[0]).toBe(1);
    expect(cpu.regs[1]).toBe(1);
    expect([cpu.cpl, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector, cpu.regs[4]]).toEqual([3, UCODE, UDATA, STACK3]);
    expect(cpu.eip).toBe(0x5003);
    expect(dpl(3)).toBe(0x60);
  });
});
