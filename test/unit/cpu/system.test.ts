import { describe, expect, it } from 'vitest';
import { CR0_CD, CR0_EM, CR0_ET, CR0_MP, CR0_NW, CR0_PE, CR0_PG, CR0_TS, CR4_PAE, CR4_TSD, CR4_VME, DR7_GD } from '../../../emulator/arch/control-registers';
import { CPUID_1_EDX_FPU } from '../../../emulator/arch/cpuid';
import { Vector } from '../../../emulator/arch/exceptions';
import {
  IA32_APIC_BASE,
  IA32_BIOS_SIGN_ID,
  IA32_MISC_ENABLE,
  IA32_SYSENTER_CS,
  IA32_SYSENTER_EIP,
  IA32_SYSENTER_ESP,
  IA32_TIME_STAMP_COUNTER,
} from '../../../emulator/arch/msr';
import { PTE_P, PTE_RW } from '../../../emulator/arch/paging';
import { AR_ACCESSED, AR_DB, AR_P, AR_RW, AR_S, SegReg } from '../../../emulator/arch/segments';
import { EAX, EBX, ECX, EDX, type Cpu } from '../../../emulator/cpu/cpu';
import { CPUID_LEAVES, CPUID_SIGNATURE } from '../../../emulator/cpu/cpuid';
import { run } from '../../../emulator/cpu/executor';
import { IMPLEMENTED_MSRS } from '../../../emulator/cpu/msr';
import { enablePaging, exec, flatProtectedMode, le32, makeCpu, PageTables, poke, setCpl } from './system-harness';

const ADDR = 0x3000;

/** Registers and system state a privileged instruction could change. */
function snapshot(cpu: Cpu) {
  return {
    regs: Array.from(cpu.regs),
    cr: [cpu.cr0, cpu.cr2, cpu.cr3, cpu.cr4],
    dr: Array.from(cpu.dr),
    gdtr: [cpu.gdtr.base, cpu.gdtr.limit],
    idtr: [cpu.idtr.base, cpu.idtr.limit],
    halted: cpu.halted,
    sysenter: [cpu.sysenterCs, cpu.sysenterEsp, cpu.sysenterEip],
    tsc: cpu.tscOffset,
    tlbCount: cpu.tlbCount,
    eip: cpu.eip,
  };
}

function cpuid(cpu: Cpu, leaf: number): number[] {
  cpu.regs[EAX] = leaf;
  expect(exec(cpu, [0x0f, 0xa2])).toBeNull();
  return [cpu.regs[EAX] >>> 0, cpu.regs[EBX] >>> 0, cpu.regs[ECX] >>> 0, cpu.regs[EDX] >>> 0];
}

function rdmsr(cpu: Cpu, index: number): [number, number] | number {
  cpu.regs[ECX] = index;
  const f = exec(cpu, [0x0f, 0x32]);
  if (f) return f.vector;
  return [cpu.regs[EDX] >>> 0, cpu.regs[EAX] >>> 0];
}

function wrmsr(cpu: Cpu, index: number, hi: number, lo: number): number {
  cpu.regs[ECX] = index;
  cpu.regs[EDX] = hi;
  cpu.regs[EAX] = lo;
  const f = exec(cpu, [0x0f, 0x30]);
  return f ? f.vector : -1;
}

describe('privileged system instructions at CPL 3', () => {
  const privileged: [string, number[]][] = [
    ['HLT', [0xf4]],
    ['LGDT', [0x0f, 0x01, 0x15, ...le32(ADDR)]],
    ['LIDT', [0x0f, 0x01, 0x1d, ...le32(ADDR)]],
    ['LMSW ax', [0x0f, 0x01, 0xf0]],
    ['LMSW m16', [0x0f, 0x01, 0x35, ...le32(ADDR)]],
    ['INVLPG', [0x0f, 0x01, 0x3d, ...le32(ADDR)]],
    ['CLTS', [0x0f, 0x06]],
    ['INVD', [0x0f, 0x08]],
    ['WBINVD', [0x0f, 0x09]],
    ['MOV eax, cr0', [0x0f, 0x20, 0xc0]],
    ['MOV eax, cr3', [0x0f, 0x20, 0xd8]],
    ['MOV cr0, eax', [0x0f, 0x22, 0xc0]],
    ['MOV cr3, eax', [0x0f, 0x22, 0xd8]],
    ['MOV cr4, eax', [0x0f, 0x22, 0xe0]],
    ['MOV eax, dr7', [0x0f, 0x21, 0xf8]],
    ['MOV dr0, eax', [0x0f, 0x23, 0xc0]],
    ['WRMSR', [0x0f, 0x30]],
    ['RDMSR', [0x0f, 0x32]],
  ];
  for (const [name, bytes] of privileged) {
    it(`${name} raises #GP(0) and changes nothing`, () => {
      const cpu = makeCpu();
      flatProtectedMode(cpu, 3);
      cpu.eip = 0x1000;
      cpu.cr0 |= CR0_TS;
      cpu.regs[EAX] = 0;
      cpu.regs[ECX] = IA32_SYSENTER_CS;
      const before = snapshot(cpu);
      const f = exec(cpu, bytes);
      expect(f?.vector).toBe(Vector.GP);
      expect(f?.errorCode).toBe(0);
      expect(snapshot(cpu)).toEqual(before);
    });
  }

  it('SGDT, SIDT, SMSW, CPUID and RDTSC (CR4.TSD = 0) are not privileged', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu, 3);
    for (const bytes of [
      [0x0f, 0x01, 0x05, ...le32(ADDR)],
      [0x0f, 0x01, 0x0d, ...le32(ADDR)],
      [0x0f, 0x01, 0xe0],
      [0x0f, 0xa2],
      [0x0f, 0x31],
    ]) {
      expect(exec(cpu, bytes)).toBeNull();
    }
  });

  it('RDTSC with CR4.TSD = 1 is #GP(0) at CPL 3 and allowed at CPL 0', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu, 3);
    cpu.cr4 = CR4_TSD;
    cpu.regs[EAX] = 0x1111;
    const f = exec(cpu, [0x0f, 0x31]);
    expect(f?.vector).toBe(Vector.GP);
    expect(f?.errorCode).toBe(0);
    expect(cpu.regs[EAX]).toBe(0x1111);
    setCpl(cpu, 0);
    expect(exec(cpu, [0x0f, 0x31])).toBeNull();
  });
});

describe('HLT', () => {
  it('at CPL 0 halts and stops run() with kind hlt, EIP past the HLT', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    poke(cpu, 0x1000, [0x90, 0xf4, 0x90]);
    cpu.eip = 0x1000;
    expect(run(cpu, 100)).toEqual({ kind: 'hlt' });
    expect(cpu.halted).toBe(true);
    expect(cpu.eip).toBe(0x1002);
    expect(cpu.icount).toBe(2);
  });
});

describe('SGDT, SIDT, LGDT, LIDT', () => {
  it('store limit and a 32-bit base with a 32-bit operand size', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    cpu.gdtr.base = 0x12345678;
    cpu.gdtr.limit = 0x0127;
    cpu.idtr.base = 0x9abcdef0;
    cpu.idtr.limit = 0x07ff;
    expect(exec(cpu, [0x0f, 0x01, 0x05, ...le32(ADDR)])).toBeNull();
    expect(exec(cpu, [0x0f, 0x01, 0x0d, ...le32(ADDR + 8)])).toBeNull();
    expect(Array.from(cpu.memory.readBytes(ADDR, 6))).toEqual([0x27, 0x01, 0x78, 0x56, 0x34, 0x12]);
    expect(Array.from(cpu.memory.readBytes(ADDR + 8, 6))).toEqual([0xff, 0x07, 0xf0, 0xde, 0xbc, 0x9a]);
  });

  it('store 24 bits of base and a zero fourth byte with a 16-bit operand size (real mode)', () => {
    const cpu = makeCpu(); // reset: real mode, 16-bit code
    cpu.gdtr.base = 0x12345678;
    cpu.gdtr.limit = 0xabcd;
    poke(cpu, 0x100, [0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
    expect(exec(cpu, [0x0f, 0x01, 0x06, 0x00, 0x01])).toBeNull(); // sgdt [0x100]
    expect(Array.from(cpu.memory.readBytes(0x100, 7))).toEqual([0xcd, 0xab, 0x78, 0x56, 0x34, 0x00, 0xaa]);
    expect(exec(cpu, [0x66, 0x0f, 0x01, 0x0e, 0x00, 0x02])).toBeNull(); // o32 sidt [0x200]
    expect(Array.from(cpu.memory.readBytes(0x200, 6))).toEqual([0xff, 0xff, 0x00, 0x00, 0x00, 0x00]);
  });

  it('LGDT/LIDT load a 24-bit base with a 16-bit operand size and a 32-bit base with 32', () => {
    const cpu = makeCpu();
    poke(cpu, 0x300, [0x17, 0x00, 0x78, 0x56, 0x34, 0x12]);
    expect(exec(cpu, [0x0f, 0x01, 0x16, 0x00, 0x03])).toBeNull(); // lgdt [0x300]
    expect([cpu.gdtr.base, cpu.gdtr.limit]).toEqual([0x345678, 0x17]);
    expect(exec(cpu, [0x66, 0x0f, 0x01, 0x1e, 0x00, 0x03])).toBeNull(); // o32 lidt [0x300]
    expect([cpu.idtr.base, cpu.idtr.limit]).toEqual([0x12345678, 0x17]);
  });

  it('SGDT whose 6 bytes cross the segment limit writes nothing and raises #GP(0)', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    cpu.segs[SegReg.DS].setCache(0x10, 0, ADDR + 3, AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB);
    poke(cpu, ADDR, [0xaa, 0xaa, 0xaa, 0xaa]);
    const f = exec(cpu, [0x0f, 0x01, 0x05, ...le32(ADDR)]);
    expect(f?.vector).toBe(Vector.GP);
    expect(f?.errorCode).toBe(0);
    expect(Array.from(cpu.memory.readBytes(ADDR, 4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
  });

  it('SGDT whose second page is not present writes nothing on the first page', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    const pt = new PageTables(cpu, 0x100000, 0x101000);
    pt.identity(0, 0x6000, PTE_P | PTE_RW);
    enablePaging(cpu, pt);
    poke(cpu, 0x5ffc, [0xaa, 0xaa, 0xaa, 0xaa]);
    const f = exec(cpu, [0x0f, 0x01, 0x05, ...le32(0x5ffc)]);
    expect(f?.vector).toBe(Vector.PF);
    expect(cpu.cr2).toBe(0x6000);
    expect(Array.from(cpu.memory.readBytes(0x5ffc, 4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
  });

  it('LGDT whose base lies beyond the segment limit raises #GP(0) and keeps GDTR', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    cpu.segs[SegReg.DS].setCache(0x10, 0, ADDR + 3, AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB);
    const f = exec(cpu, [0x0f, 0x01, 0x15, ...le32(ADDR)]);
    expect(f?.vector).toBe(Vector.GP);
    expect([cpu.gdtr.base, cpu.gdtr.limit]).toEqual([0, 0xffff]);
  });
});

describe('SMSW and LMSW', () => {
  it('SMSW r32 stores all of CR0, SMSW r16 only the low word, SMSW m16 exactly two bytes', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    cpu.cr0 = CR0_PG | CR0_PE | CR0_ET | CR0_TS;
    expect(exec(cpu, [0x0f, 0x01, 0xe0])).toBeNull(); // smsw eax
    expect(cpu.regs[EAX] >>> 0).toBe((CR0_PG | CR0_PE | CR0_ET | CR0_TS) >>> 0);
    cpu.regs[EBX] = 0x12340000;
    expect(exec(cpu, [0x66, 0x0f, 0x01, 0xe3])).toBeNull(); // smsw bx
    expect(cpu.regs[EBX] >>> 0).toBe(0x12340000 | CR0_PE | CR0_ET | CR0_TS);
    cpu.cr0 = CR0_PE | CR0_ET | CR0_TS; // same low word, paging off for the memory form
    poke(cpu, ADDR, [0xaa, 0xaa, 0xaa, 0xaa]);
    expect(exec(cpu, [0x0f, 0x01, 0x25, ...le32(ADDR)])).toBeNull(); // smsw [ADDR]
    expect(Array.from(cpu.memory.readBytes(ADDR, 4))).toEqual([CR0_PE | CR0_ET | CR0_TS, 0x00, 0xaa, 0xaa]);
  });

  it('LMSW sets PE from real mode but cannot clear it, and loads only PE, MP, EM, TS', () => {
    const cpu = makeCpu();
    cpu.regs[EAX] = 0xffe0 | CR0_PE | CR0_MP;
    expect(exec(cpu, [0x0f, 0x01, 0xf0])).toBeNull(); // lmsw ax
    expect(cpu.cr0 >>> 0).toBe((CR0_CD | CR0_NW | CR0_ET | CR0_PE | CR0_MP) >>> 0);
    cpu.regs[EAX] = 0;
    expect(exec(cpu, [0x0f, 0x01, 0xf0])).toBeNull();
    expect(cpu.cr0 & 0xf).toBe(CR0_PE);
    poke(cpu, 0x400, [CR0_TS | CR0_EM, 0]);
    expect(exec(cpu, [0x0f, 0x01, 0x36, 0x00, 0x04])).toBeNull(); // lmsw [0x400]
    expect(cpu.cr0 & 0xf).toBe(CR0_PE | CR0_TS | CR0_EM);
  });
});

describe('MOV to and from control registers', () => {
  it('MOV CR0 rejects PG without PE and NW without CD with #GP(0)', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    const before = cpu.cr0;
    for (const v of [CR0_PG | CR0_ET, CR0_PE | CR0_NW]) {
      cpu.regs[EAX] = v;
      const f = exec(cpu, [0x0f, 0x22, 0xc0]);
      expect(f?.vector).toBe(Vector.GP);
      expect(f?.errorCode).toBe(0);
      expect(cpu.cr0).toBe(before);
    }
    cpu.regs[EAX] = CR0_PE | CR0_CD | CR0_NW;
    expect(exec(cpu, [0x0f, 0x22, 0xc0])).toBeNull();
    expect(cpu.cr0).toBe(CR0_PE | CR0_CD | CR0_NW | CR0_ET);
  });

  it('MOV CR4 with an unsupported bit is #GP(0)', () => {
    const cpu = makeCpu();
    for (const v of [CR4_PAE, CR4_VME]) {
      cpu.regs[EAX] = v;
      expect(exec(cpu, [0x0f, 0x22, 0xe0])?.vector).toBe(Vector.GP);
      expect(cpu.cr4).toBe(0);
    }
  });

  it('CR1 and CR5-CR7 are #UD', () => {
    const cpu = makeCpu();
    for (const modrm of [0xc8, 0xe8, 0xf0, 0xf8]) {
      expect(exec(cpu, [0x0f, 0x20, modrm])?.vector).toBe(Vector.UD);
      expect(exec(cpu, [0x0f, 0x22, modrm])?.vector).toBe(Vector.UD);
    }
  });

  it('ignores ModRM.mod: 0F 20 00 reads CR0 into EAX; CR2 round-trips through EDX', () => {
    const cpu = makeCpu();
    const f = exec(cpu, [0x0f, 0x20, 0x00]);
    expect(f).toBeNull();
    expect(cpu.regs[EAX] >>> 0).toBe(cpu.cr0 >>> 0);
    cpu.regs[EDX] = 0xcafe1234 | 0;
    expect(exec(cpu, [0x0f, 0x22, 0xd2])).toBeNull(); // mov cr2, edx
    expect(exec(cpu, [0x0f, 0x20, 0xd3])).toBeNull(); // mov ebx, cr2
    expect(cpu.regs[EBX] >>> 0).toBe(0xcafe1234);
  });

  it('MOV DRn: DR7.GD gives #DB before the CPL check; DR4 with CR4.DE gives #UD', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu, 3);
    cpu.dr[7] |= DR7_GD;
    expect(exec(cpu, [0x0f, 0x21, 0xc0])?.vector).toBe(Vector.DB);
    expect(exec(cpu, [0x0f, 0x21, 0xc0])?.vector).toBe(Vector.GP); // GD was cleared by the #DB
    setCpl(cpu, 0);
    cpu.regs[EAX] = 0x00001234;
    expect(exec(cpu, [0x0f, 0x23, 0xc8])).toBeNull(); // mov dr1, eax
    expect(exec(cpu, [0x0f, 0x21, 0xcb])).toBeNull(); // mov ebx, dr1
    expect(cpu.regs[EBX]).toBe(0x1234);
    cpu.cr4 = 1 << 3; // CR4.DE
    expect(exec(cpu, [0x0f, 0x21, 0xe0])?.vector).toBe(Vector.UD); // mov eax, dr4
  });
});

describe('CPUID', () => {
  it('leaf 0 reports maximum leaf 1 and GenuineIntel', () => {
    const cpu = makeCpu();
    const [eax, ebx, ecx, edx] = cpuid(cpu, 0);
    expect(eax).toBe(1);
    const text = Buffer.alloc(12);
    text.writeUInt32LE(ebx, 0);
    text.writeUInt32LE(edx, 4);
    text.writeUInt32LE(ecx, 8);
    expect(text.toString('latin1')).toBe('GenuineIntel');
  });

  it('leaf 1 reports family 6 model 3 stepping 3 (the reset EDX) and exactly DE PSE TSC MSR CX8 SEP PGE CMOV', () => {
    const cpu = makeCpu();
    const resetEdx = cpu.regs[EDX];
    const [eax, ebx, ecx, edx] = cpuid(cpu, 1);
    expect(eax).toBe(0x633);
    expect(eax).toBe(resetEdx);
    expect(eax).toBe(CPUID_SIGNATURE);
    expect([ebx, ecx]).toEqual([0, 0]);
    expect(edx & CPUID_1_EDX_FPU).toBe(0);
    // DE(2) PSE(3) TSC(4) MSR(5) CX8(8) SEP(11) PGE(13) CMOV(15)
    expect(edx).toBe((1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15));
  });

  it('leaves above the maximum, basic or extended, return the highest basic leaf', () => {
    const cpu = makeCpu();
    const leaf1 = cpuid(cpu, 1);
    expect(cpuid(cpu, 2)).toEqual(leaf1);
    expect(cpuid(cpu, 0x80000000)).toEqual(leaf1);
    expect(cpuid(cpu, 0xffffffff)).toEqual(leaf1);
    expect(CPUID_LEAVES.length).toBe(2);
  });
});

describe('RDTSC and MSRs', () => {
  /** flat 32-bit code at 0x1000 */
  function program(bytes: number[]): Cpu {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    poke(cpu, 0x1000, bytes);
    cpu.eip = 0x1000;
    return cpu;
  }

  it('RDTSC returns the number of instructions retired since reset, the same on every run', () => {
    const code = [0x90, 0x90, 0x0f, 0x31, 0x89, 0xc3, 0x0f, 0x31, 0xf4]; // nop; nop; rdtsc; mov ebx,eax; rdtsc; hlt
    const results = [0, 1].map(() => {
      const cpu = program(code);
      expect(run(cpu, 100).kind).toBe('hlt');
      return [cpu.regs[EBX], cpu.regs[EAX], cpu.regs[EDX]];
    });
    expect(results[0]).toEqual([2, 4, 0]);
    expect(results[1]).toEqual(results[0]);
  });

  it('WRMSR to IA32_TIME_STAMP_COUNTER sets the low 32 bits, clears the high 32, and the TSC counts on', () => {
    // mov ecx,0x10; mov eax,1000; mov edx,5; wrmsr; nop; rdtsc; hlt
    const cpu = program([0xb9, ...le32(0x10), 0xb8, ...le32(1000), 0xba, ...le32(5), 0x0f, 0x30, 0x90, 0x0f, 0x31, 0xf4]);
    expect(run(cpu, 100).kind).toBe('hlt');
    expect([cpu.regs[EDX], cpu.regs[EAX]]).toEqual([0, 1002]);
    expect(rdmsr(cpu, IA32_TIME_STAMP_COUNTER)).toEqual([0, 1000 + 7 - 3]);
  });

  it('RDMSR of the TSC returns all 64 bits', () => {
    const cpu = makeCpu();
    cpu.tscOffset = 0x3_0000_0005 - cpu.icount;
    expect(rdmsr(cpu, IA32_TIME_STAMP_COUNTER)).toEqual([3, 5]);
  });

  it('SYSENTER MSRs hold 32 bits; EDX is ignored on write and reads as 0', () => {
    const cpu = makeCpu();
    expect(wrmsr(cpu, IA32_SYSENTER_CS, 0xffff, 0x0008)).toBe(-1);
    expect(wrmsr(cpu, IA32_SYSENTER_ESP, 1, 0x00090000)).toBe(-1);
    expect(wrmsr(cpu, IA32_SYSENTER_EIP, 0, 0xc0001000 | 0)).toBe(-1);
    expect([cpu.sysenterCs, cpu.sysenterEsp, cpu.sysenterEip]).toEqual([8, 0x90000, 0xc0001000]);
    expect(rdmsr(cpu, IA32_SYSENTER_CS)).toEqual([0, 8]);
    expect(rdmsr(cpu, IA32_SYSENTER_ESP)).toEqual([0, 0x90000]);
    expect(rdmsr(cpu, IA32_SYSENTER_EIP)).toEqual([0, 0xc0001000]);
  });

  it('IA32_BIOS_SIGN_ID reads 0 (no microcode update) and accepts writes', () => {
    const cpu = makeCpu();
    expect(wrmsr(cpu, IA32_BIOS_SIGN_ID, 0, 0)).toBe(-1);
    expect(rdmsr(cpu, IA32_BIOS_SIGN_ID)).toEqual([0, 0]);
  });

  it('MSRs of features this model lacks, and unknown MSRs, are #GP(0) on read and write without changing EDX:EAX', () => {
    const cpu = makeCpu();
    for (const index of [IA32_APIC_BASE, IA32_MISC_ENABLE, 0x200, 0x277, 0xc0000080, 0x12345678]) {
      expect(IMPLEMENTED_MSRS).not.toContain(index);
      cpu.regs[EAX] = 0x11;
      cpu.regs[EDX] = 0x22;
      expect(rdmsr(cpu, index)).toBe(Vector.GP);
      expect([cpu.regs[EAX], cpu.regs[EDX]]).toEqual([0x11, 0x22]);
      expect(wrmsr(cpu, index, 0, 0)).toBe(Vector.GP);
    }
  });
});

describe('x87 escapes, WAIT, CLTS, caches, invalid opcodes', () => {
  it('an x87 instruction is #NM with CR0.EM or CR0.TS, else #UD (no FPU)', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    const fld1 = [0xd9, 0xe8];
    const fldMem = [0xdd, 0x05, ...le32(0xfffff000)]; // fld qword [0xfffff000]: outside RAM, never accessed
    cpu.cr0 = CR0_PE | CR0_ET | CR0_EM;
    expect(exec(cpu, fld1)?.vector).toBe(Vector.NM);
    cpu.cr0 = CR0_PE | CR0_ET | CR0_TS | CR0_MP;
    expect(exec(cpu, fldMem)?.vector).toBe(Vector.NM);
    cpu.cr0 = CR0_PE | CR0_ET | CR0_MP;
    const f = exec(cpu, fld1);
    expect(f?.vector).toBe(Vector.UD);
    expect(f?.reason).toMatch(/no x87 FPU/);
    for (let op = 0xd8; op <= 0xdf; op++) expect(exec(cpu, [op, 0xc0])?.vector).toBe(Vector.UD);
  });

  it('WAIT is #NM only with CR0.MP and CR0.TS both set', () => {
    const cpu = makeCpu();
    const cases: [number, number | null][] = [
      [0, null],
      [CR0_TS, null],
      [CR0_EM | CR0_TS, null],
      [CR0_MP, null],
      [CR0_MP | CR0_TS, Vector.NM],
    ];
    for (const [bits, vector] of cases) {
      cpu.cr0 = CR0_ET | bits;
      expect(exec(cpu, [0x9b])?.vector ?? null).toBe(vector);
    }
  });

  it('CLTS clears CR0.TS; INVD and WBINVD at CPL 0 change nothing', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    cpu.cr0 |= CR0_TS;
    expect(exec(cpu, [0x0f, 0x06])).toBeNull();
    expect(cpu.cr0 & CR0_TS).toBe(0);
    const before = snapshot(cpu);
    expect(exec(cpu, [0x0f, 0x08])).toBeNull();
    expect(exec(cpu, [0x0f, 0x09])).toBeNull();
    expect({ ...snapshot(cpu), eip: before.eip }).toEqual(before);
  });

  it('INVLPG makes no segment check (offset beyond the DS limit does not fault)', () => {
    const cpu = makeCpu();
    flatProtectedMode(cpu);
    cpu.segs[SegReg.DS].setCache(0x10, 0, 0xfff, AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB);
    expect(exec(cpu, [0x0f, 0x01, 0x3d, ...le32(0x00400000)])).toBeNull();
  });

  it('UD2, UD1, UD0 and RSM are #UD', () => {
    const cpu = makeCpu();
    for (const bytes of [[0x0f, 0x0b], [0x0f, 0xb9, 0xc0], [0x0f, 0xff, 0xc0], [0x0f, 0xaa]]) {
      expect(exec(cpu, bytes)?.vector).toBe(Vector.UD);
    }
  });
});
