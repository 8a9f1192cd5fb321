/**
 * Protected-mode scenarios run end to end through the executor with hand-assembled code
 * (bytes with their assembly in comments): a boot from real mode into a ring-0/ring-3
 * system that uses INT n, a call gate and an exception handler; and the "unreal mode"
 * hidden-segment-state problem from the virtualization background notes.
 */
import { describe, expect, it } from 'vitest';
import { Vector } from '../../emulator/arch/exceptions';
import { AR_ACCESSED, AR_CODE, AR_P, AR_RW, AR_S, SegReg, SystemType } from '../../emulator/arch/segments';
import { run } from '../../emulator/cpu/executor';
import { loadSegmentCache } from '../../emulator/cpu/segmentation';
import { KCODE, le16, le32, Machine, STACK0, STACK3, UCODE, UDATA } from '../unit/cpu/descriptor-machine';

const REAL_CODE = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED;
const REAL_DATA = AR_P | AR_S | AR_RW | AR_ACCESSED;

/** Reset-like real mode with CS = DS = SS = 0 and the descriptor tables not yet loaded. */
function realModeMachine(): Machine {
  const m = new Machine();
  const cpu = m.cpu;
  cpu.gdtr.base = 0;
  cpu.gdtr.limit = 0xffff;
  cpu.idtr.base = 0;
  cpu.idtr.limit = 0x3ff;
  loadSegmentCache(cpu, SegReg.CS, 0, 0, 0xffff, REAL_CODE);
  for (const s of [SegReg.DS, SegReg.ES, SegReg.SS, SegReg.FS, SegReg.GS]) loadSegmentCache(cpu, s, 0, 0, 0xffff, REAL_DATA);
  cpu.regs[4] = 0x7c00;
  // Pseudo-descriptors for LGDT / LIDT at 7E00h / 7E08h.
  m.poke(0x7e00, [...le16(0x1ff), ...le32(0x1000)]);
  m.poke(0x7e08, [...le16(0x7ff), ...le32(0x2000)]);
  return m;
}

/** Real-mode prologue at 7C00h: load GDTR and IDTR, set CR0.PE. */
const ENTER_PROTECTED_MODE = [
  0xfa, //                      cli
  0x0f, 0x01, 0x16, ...le16(0x7e00), // lgdt [7E00h]
  0x0f, 0x01, 0x1e, ...le16(0x7e08), // lidt [7E08h]
  0x0f, 0x20, 0xc0, //          mov eax, cr0
  0x66, 0x83, 0xc8, 0x01, //    or eax, 1
  0x0f, 0x22, 0xc0, //          mov cr0, eax
];

describe('boot to ring 3 and back through INT n, a call gate and #GP', () => {
  it('bootsThroughAFarJump_iretsToRing3_andServicesSystemCallsAndAFault', () => {
    const m = realModeMachine();
    const cpu = m.cpu;
    m.code(0x7c00, [
      ...ENTER_PROTECTED_MODE,
      0x66, 0xea, ...le32(0x8000), ...le16(KCODE), // jmp dword 08h:8000h
    ]);
    m.poke(0x8000, [
      0x66, 0xb8, ...le16(0x10), // mov ax, 10h
      0x8e, 0xd8, //                mov ds, ax
      0x8e, 0xc0, //                mov es, ax
      0x8e, 0xd0, //                mov ss, ax
      0xbc, ...le32(STACK0), //     mov esp, STACK0
      0x66, 0xb8, ...le16(0x28), // mov ax, 28h
      0x0f, 0x00, 0xd8, //          ltr ax
      0x6a, UDATA, //               push 23h         ; SS
      0x68, ...le32(STACK3), //     push STACK3      ; ESP
      0x6a, 0x02, //                push 2           ; EFLAGS
      0x6a, UCODE, //               push 1Bh         ; CS
      0x68, ...le32(0xa000), //     push 0A000h      ; EIP
      0xcf, //                      iretd            ; to ring 3
    ]);
    m.poke(0xa000, [
      0x8c, 0xc8, //                mov eax, cs      ; the ring shows in CS
      0x89, 0xc6, //                mov esi, eax
      0xb8, ...le32(7), //          mov eax, 7
      0xcd, 0x80, //                int 80h          ; eax += 1 in the kernel
      0x6a, 0x05, //                push 5           ; one parameter
      0x9a, ...le32(0), ...le16(0x5b), // call far 5Bh:0 ; call gate to ring 0
      0xf4, //                      hlt              ; privileged: #GP(0)
    ]);
    m.idtGate(0x80, KCODE, 0xb000, SystemType.TRAP_GATE32, 3);
    m.poke(0xb000, [0x40, 0xcf]); //    inc eax; iretd
    m.callGate(0x58, KCODE, 0xb100, 3, 1);
    m.poke(0xb100, [
      0x8b, 0x5c, 0x24, 0x08, //    mov ebx, [esp+8] ; the copied parameter
      0xca, ...le16(4), //          retf 4
    ]);
    m.idtGate(Vector.GP, KCODE, 0xb200);
    m.poke(0xb200, [
      0x5a, //                      pop edx          ; error code
      0x8b, 0x0c, 0x24, //          mov ecx, [esp]   ; faulting EIP
      0xf4, //                      hlt              ; ring 0: halts the machine
    ]);

    const stop = run(cpu, 200);
    expect(stop.kind).toBe('hlt');
    expect(cpu.regs[6]).toBe(UCODE); // ring-3 code saw CPL 3 in CS
    expect(cpu.regs[0]).toBe(8); // INT 80h ran the ring-0 handler and came back
    expect(cpu.regs[3]).toBe(5); // the call gate copied the parameter
    expect(cpu.regs[2]).toBe(0); // #GP(0) error code
    expect(cpu.regs[1]).toBe(0xa014); // at the HLT
    expect([cpu.cpl, cpu.segs[SegReg.CS].selector, cpu.segs[SegReg.SS].selector]).toEqual([0, KCODE, 0x10]);
    // The #GP frame on the ring-0 stack still holds the ring-3 SS:ESP (RETF 4 released the parameter).
    expect([m.r32(STACK0 - 8), m.r32(STACK0 - 4)]).toEqual([STACK3, UDATA]);
    expect(m.events.map((e) => e.vector)).toEqual([0x80, Vector.GP]);
  });
});

describe('hidden segment state: unreal mode', () => {
  /** Enter protected mode, load FS flat, return to real mode, reload FS = 0, read FS:[80000h]. */
  function unrealRun(m: Machine): void {
    m.code(0x7c00, [
      ...ENTER_PROTECTED_MODE,
      0xb8, ...le16(0x10), //       mov ax, 10h       ; (16-bit code: no operand-size prefix)
      0x8e, 0xe0, //                mov fs, ax        ; 4-GiB limit into the hidden cache
      0x0f, 0x20, 0xc0, //          mov eax, cr0
      0x66, 0x83, 0xe0, 0xfe, //    and eax, ~1
      0x0f, 0x22, 0xc0, //          mov cr0, eax      ; back to real mode
      0x31, 0xc0, //                xor ax, ax
      0x8e, 0xe0, //                mov fs, ax        ; real-mode load: base 0, limit kept
      0x66, 0xbb, ...le32(0x80000), // mov ebx, 80000h
      0x64, 0x66, 0x67, 0x8b, 0x03, // mov eax, fs:[ebx] ; offset beyond 64 KiB
      0xf4, //                      hlt
    ]);
    m.w32(0x80000, 0x600dcafe);
  }

  it('aRealModeSegmentKeepsTheLimitLoadedInProtectedMode', () => {
    const m = realModeMachine();
    unrealRun(m);
    expect(run(m.cpu, 100).kind).toBe('hlt');
    expect(m.cpu.regs[0] >>> 0).toBe(0x600dcafe);
    expect(m.cpu.segs[SegReg.FS].limit).toBe(0xffffffff);
    expect(m.events).toEqual([]);
  });

  it('aMonitorThatRestoresFsByItsSelector_losesTheLimit_andTheGuestFaults', () => {
    const m = realModeMachine();
    const cpu = m.cpu;
    unrealRun(m);
    run(cpu, 14); // up to and including the real-mode MOV FS, AX and MOV EBX
    expect(cpu.segs[SegReg.FS].limit).toBe(0xffffffff);
    // An interrupt arrives; the monitor saves FS as software can see it — the selector — and
    // later restores it the only way software can: as a fresh real-mode segment.
    const saved = cpu.segs[SegReg.FS].selector;
    loadSegmentCache(cpu, SegReg.FS, saved, saved << 4, 0xffff, REAL_DATA);
    m.poke(0x0d * 4, [...le16(0x7e40), ...le16(0)]); // IVT entry for #GP: a HLT
    m.poke(0x7e40, [0xf4]);
    run(cpu, 10);
    expect(m.events.map((e) => [e.vector, e.errorCode])).toEqual([[Vector.GP, 0]]);
    expect(cpu.regs[0] >>> 0).not.toBe(0x600dcafe);
  });
});
