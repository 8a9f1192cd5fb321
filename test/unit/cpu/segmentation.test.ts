import { describe, expect, it } from 'vitest';
import { Vector } from '../../../emulator/arch/exceptions';
import { AR_UNUSABLE, SegReg, SystemType } from '../../../emulator/arch/segments';
import {
  checkStackSegment,
  loadSegment,
  loadSegmentCache,
  nullInaccessibleDataSegments,
  readDescriptor,
  setCpl,
} from '../../../emulator/cpu/segmentation';
import { readV32 } from '../../../emulator/cpu/memory-access';
import {
  AR_ACCESSED,
  AR_DC,
  AR_P,
  AR_RW,
  AR_S,
  CODE32,
  DATA32,
  dpl,
  faultOf,
  KDATA,
  Machine,
  TSS_SEL,
  UDATA,
} from './descriptor-machine';

const FREE = 0x50; // first free GDT selector

function pm(cpl = 0): Machine {
  return new Machine().protectedMode(cpl);
}

describe('loadSegment in real-address mode', () => {
  it('realMode_load_setsBaseToSelectorTimes16', () => {
    const m = new Machine();
    loadSegment(m.cpu, SegReg.DS, 0x1234);
    expect(m.cpu.segs[SegReg.DS].selector).toBe(0x1234);
    expect(m.cpu.segs[SegReg.DS].base).toBe(0x12340);
  });

  it('realMode_loadAfterProtectedModeFlatLoad_keepsThe4GiBLimit (unreal mode)', () => {
    const m = pm();
    loadSegment(m.cpu, SegReg.FS, KDATA); // limit 4 GiB - 1 in the cache
    m.cpu.cr0 &= ~1; // back to real mode
    loadSegment(m.cpu, SegReg.FS, 0x0000);
    const fs = m.cpu.segs[SegReg.FS];
    expect(fs.base).toBe(0);
    expect(fs.limit).toBe(0xffffffff);
    m.w32(0x80000, 0xcafef00d);
    expect(readV32(m.cpu, SegReg.FS, 0x80000) >>> 0).toBe(0xcafef00d); // beyond 64 KiB, no #GP
  });

  it('realMode_loadAfterProtectedModeNullLoad_makesTheRegisterUsableAgain', () => {
    const m = pm();
    loadSegment(m.cpu, SegReg.ES, 0);
    expect(m.cpu.segs[SegReg.ES].usable).toBe(false);
    m.cpu.cr0 &= ~1;
    loadSegment(m.cpu, SegReg.ES, 0x2000);
    expect(m.cpu.segs[SegReg.ES].usable).toBe(true);
    expect(m.cpu.segs[SegReg.ES].base).toBe(0x20000);
  });

  it('realMode_loadSS_setsTheInterruptShadow', () => {
    const m = new Machine();
    m.cpu.icount = 10;
    loadSegment(m.cpu, SegReg.SS, 0x100);
    expect(m.cpu.shadowUntil).toBe(11);
  });
});

describe('loadSegment of DS/ES/FS/GS in protected mode', () => {
  it('nullSelector_makesTheRegisterUnusable_andAccessesFaultGP0', () => {
    const m = pm();
    loadSegment(m.cpu, SegReg.DS, 0x0003);
    const ds = m.cpu.segs[SegReg.DS];
    expect(ds.selector).toBe(3);
    expect(ds.ar & AR_UNUSABLE).toBe(AR_UNUSABLE);
    const f = faultOf(() => readV32(m.cpu, SegReg.DS, 0));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0]);
  });

  it('indexBeyondGdtLimit_raisesGPWithSelectorWithoutRpl', () => {
    const m = pm();
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, 0x0203)); // GDT limit is 0x1FF
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0x0200]);
  });

  it('ldtSelectorWithNullLdtr_raisesGPSelector', () => {
    const m = pm();
    m.cpu.ldtr.setCache(0, 0, 0, AR_UNUSABLE);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, 0x000c));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0x000c]);
  });

  it('ldtSelector_loadsFromTheLdt', () => {
    const m = pm();
    m.setDescriptor(0x0c, 0x40000, 0xff, DATA32 & ~(1 << 15)); // LDT entry 1, byte granular
    loadSegment(m.cpu, SegReg.ES, 0x0c);
    expect(m.cpu.segs[SegReg.ES].base).toBe(0x40000);
    expect(m.cpu.segs[SegReg.ES].limit).toBe(0xff);
  });

  it('systemDescriptor_raisesGPSelector', () => {
    const m = pm();
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, TSS_SEL));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, TSS_SEL]);
  });

  it('executeOnlyCode_raisesGPSelector_butReadableCodeLoads', () => {
    const m = pm();
    m.setDescriptor(FREE, 0, 0xfffff, CODE32 & ~AR_RW);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, FREE));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, FREE]);
    m.setDescriptor(FREE, 0, 0xfffff, CODE32);
    loadSegment(m.cpu, SegReg.DS, FREE);
    expect(m.cpu.segs[SegReg.DS].selector).toBe(FREE);
  });

  it('dataDplBelowCpl_raisesGPSelector', () => {
    const m = pm(3);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, KDATA | 3));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, KDATA]);
  });

  it('rplAboveDataDpl_raisesGPSelector', () => {
    const m = pm(0);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, KDATA | 2));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, KDATA]);
  });

  it('conformingReadableCodeWithDplBelowCpl_loads (no privilege check)', () => {
    const m = pm(3);
    m.setDescriptor(FREE, 0, 0xfffff, CODE32 | AR_DC);
    loadSegment(m.cpu, SegReg.GS, FREE | 3);
    expect(m.cpu.segs[SegReg.GS].selector).toBe(FREE | 3);
  });

  it('notPresent_raisesNPSelector', () => {
    const m = pm();
    m.setDescriptor(FREE, 0, 0xfffff, DATA32 & ~AR_P);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.FS, FREE));
    expect([f.vector, f.errorCode]).toEqual([Vector.NP, FREE]);
  });

  it('checksInSdmOrder_typeBeforePresent: not-present system descriptor is #GP, not #NP', () => {
    const m = pm();
    m.setDescriptor(FREE, 0, 0, SystemType.LDT); // P = 0 and not a data segment
    const f = faultOf(() => loadSegment(m.cpu, SegReg.DS, FREE));
    expect(f.vector).toBe(Vector.GP);
  });

  it('successfulLoad_setsTheAccessedBitInTheGdt', () => {
    const m = pm();
    m.setDescriptor(FREE, 0x1000, 0xfff, (DATA32 & ~(1 << 15)) & ~AR_ACCESSED);
    expect(m.descriptorHigh(FREE) & (1 << 8)).toBe(0);
    loadSegment(m.cpu, SegReg.DS, FREE);
    expect(m.descriptorHigh(FREE) & (1 << 8)).toBe(1 << 8);
    expect(m.cpu.segs[SegReg.DS].ar & AR_ACCESSED).toBe(AR_ACCESSED);
  });

  it('faultingLoad_leavesTheRegisterUnchanged', () => {
    const m = pm();
    const before = { ...m.cpu.segs[SegReg.DS] };
    m.setDescriptor(FREE, 0, 0xfffff, DATA32 & ~AR_P);
    faultOf(() => loadSegment(m.cpu, SegReg.DS, FREE));
    const ds = m.cpu.segs[SegReg.DS];
    expect([ds.selector, ds.base, ds.limit, ds.ar]).toEqual([before.selector, before.base, before.limit, before.ar]);
  });

  it('hiddenCache_isNotRefreshedWhenTheDescriptorInMemoryChanges', () => {
    const m = pm();
    m.setDescriptor(FREE, 0x20000, 0xffff, DATA32 & ~(1 << 15));
    loadSegment(m.cpu, SegReg.FS, FREE);
    m.setDescriptor(FREE, 0x50000, 0x0f, (DATA32 & ~(1 << 15)) & ~AR_RW); // rewritten: other base, tiny, read-only
    const fs = m.cpu.segs[SegReg.FS];
    expect([fs.base, fs.limit]).toEqual([0x20000, 0xffff]);
    m.w32(0x20000 + 0x100, 0x11223344);
    expect(readV32(m.cpu, SegReg.FS, 0x100)).toBe(0x11223344); // still the old segment
    loadSegment(m.cpu, SegReg.FS, FREE); // only a reload picks up the change
    expect([fs.base, fs.limit]).toEqual([0x50000, 0x0f]);
  });
});

describe('loadSegment of SS in protected mode', () => {
  it('nullSelector_raisesGP0', () => {
    const m = pm();
    const f = faultOf(() => loadSegment(m.cpu, SegReg.SS, 0));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, 0]);
  });

  it('rplNotCpl_raisesGPSelector', () => {
    const m = pm();
    const f = faultOf(() => loadSegment(m.cpu, SegReg.SS, KDATA | 1));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, KDATA]);
  });

  it('dplNotCpl_raisesGPSelector', () => {
    const m = pm();
    const f = faultOf(() => loadSegment(m.cpu, SegReg.SS, UDATA & ~3));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, UDATA & ~3]);
  });

  it('readOnlyData_raisesGPSelector', () => {
    const m = pm();
    m.setDescriptor(FREE, 0, 0xfffff, DATA32 & ~AR_RW);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.SS, FREE));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, FREE]);
  });

  it('codeSegment_raisesGPSelector', () => {
    const m = pm();
    m.setDescriptor(FREE, 0, 0xfffff, CODE32);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.SS, FREE));
    expect([f.vector, f.errorCode]).toEqual([Vector.GP, FREE]);
  });

  it('notPresent_raisesSSSelector', () => {
    const m = pm();
    m.setDescriptor(FREE, 0, 0xfffff, DATA32 & ~AR_P);
    const f = faultOf(() => loadSegment(m.cpu, SegReg.SS, FREE));
    expect([f.vector, f.errorCode]).toEqual([Vector.SS, FREE]);
  });

  it('validLoad_setsInterruptShadowAndBreakBlock', () => {
    const m = pm();
    m.cpu.icount = 41;
    m.cpu.breakBlock = false;
    loadSegment(m.cpu, SegReg.SS, KDATA);
    expect(m.cpu.shadowUntil).toBe(42);
    expect(m.cpu.breakBlock).toBe(true);
  });

  it('withoutInhibit (LSS)_doesNotSetTheShadow', () => {
    const m = pm();
    m.cpu.icount = 41;
    loadSegment(m.cpu, SegReg.SS, KDATA, false);
    expect(m.cpu.shadowUntil).toBe(-1);
  });

  it('checkStackSegment_withTS_reportsBadSelectorsAsTS', () => {
    const m = pm();
    const f = faultOf(() => checkStackSegment(m.cpu, UDATA, 0, Vector.TS));
    expect([f.vector, f.errorCode]).toEqual([Vector.TS, UDATA & ~3]);
    const f0 = faultOf(() => checkStackSegment(m.cpu, 0, 0, Vector.TS));
    expect([f0.vector, f0.errorCode]).toEqual([Vector.TS, 0]);
  });
});

describe('descriptor reads and machine set-up', () => {
  it('readDescriptor_beyondLimitWithTS_raisesTSSelector', () => {
    const m = pm();
    const f = faultOf(() => readDescriptor(m.cpu, 0x0400, Vector.TS));
    expect([f.vector, f.errorCode]).toEqual([Vector.TS, 0x0400]);
  });

  it('readDescriptor_returnsBothDwordsAndLinearAddress', () => {
    const m = pm();
    const d = readDescriptor(m.cpu, KDATA);
    expect(d.linear).toBe(0x1000 + KDATA);
    expect(d.ar & (AR_P | AR_S)).toBe(AR_P | AR_S);
  });

  it('loadSegmentCache_forCS_setsTheCplFromTheDpl', () => {
    const m = pm();
    loadSegmentCache(m.cpu, SegReg.CS, 0x1b, 0, 0xffffffff, CODE32 | dpl(3));
    expect(m.cpu.cpl).toBe(3);
  });

  it('setCpl_updatesTheUserAccessMasks', () => {
    const m = pm();
    const before = m.cpu.tlbReadMask;
    setCpl(m.cpu, 3);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.tlbReadMask).not.toBe(before);
  });

  it('nullInaccessibleDataSegments_nullsOnlyDataWithDplBelowCpl', () => {
    const m = pm();
    m.load(SegReg.ES, UDATA); // DPL 3: stays
    m.setDescriptor(FREE, 0, 0xfffff, CODE32 | AR_DC);
    m.load(SegReg.FS, FREE); // conforming code: stays
    setCpl(m.cpu, 3);
    nullInaccessibleDataSegments(m.cpu);
    expect(m.cpu.segs[SegReg.ES].selector).toBe(UDATA);
    expect(m.cpu.segs[SegReg.FS].selector).toBe(FREE);
    expect(m.cpu.segs[SegReg.DS].selector).toBe(0);
    expect(m.cpu.segs[SegReg.DS].usable).toBe(false);
    expect(m.cpu.segs[SegReg.GS].usable).toBe(false);
  });
});
