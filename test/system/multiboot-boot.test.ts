/**
 * Booting a Multiboot kernel through the machine: the loader (emulator/loader) places the
 * image and the information structure, the machine enters it in the state of Multiboot
 * §3.2 after the built-in BIOS's POST, and a guest-initiated reset loads it again.
 */
import { describe, expect, it } from 'vitest';
import { SegReg } from '../../emulator/arch/segments';
import { EFLAGS_IF } from '../../emulator/arch/eflags';
import type { UnassignedAccess } from '../../emulator/machine/machine';
import { asm, testMachine } from '../unit/machine/guest';

const KERNEL = asm(`
bits 32
org 0x100000
header:
  dd 0x1badb002
  dd 0x00010000
  dd -(0x1badb002 + 0x00010000)
  dd header, header, 0, 0, start
start:
  mov esp, 0x180000              ; Multiboot leaves ESP undefined: the kernel sets its stack
  mov [0x200000], eax
  mov [0x200004], ebx
  mov ax, cs
  mov [0x200008], ax
  pushfd
  pop dword [0x20000c]
  mov eax, [0x7f000000]          ; above RAM: nobody answers
  mov [0x200010], eax
  inc dword [0x200100]           ; boots so far (memory survives a reset)
  cmp dword [0x200100], 2
  je .exit
  mov al, 0xfe                   ; reset through the 8042
  out 0x64, al
  jmp $
.exit:
  mov esi, msg
.next:
  lodsb
  test al, al
  jz .done
  out 0xe9, al
  jmp .next
.done:
  mov al, 2
  out 0xf4, al
  jmp $
msg: db "multiboot kernel", 0
`);

describe('a Multiboot kernel', () => {
  it('isEnteredInTheMultibootMachineState_andLoadedAgainAfterAReset', () => {
    const t = testMachine({ memoryMiB: 32 });
    const m = t.machine;
    const load = m.loadMultiboot(KERNEL);
    expect(load.ok).toBe(true);
    expect(m.cpu.eip).toBe(0x100000 + 32); // start, after the 32-byte header
    const unassigned: UnassignedAccess[] = [];
    m.onUnassigned = (a) => unassigned.push(a);
    expect(m.run(1_000_000)).toEqual({ kind: 'exit', status: 5 });
    expect(t.e9()).toBe('multiboot kernel');
    const mem = m.memory;
    expect(mem.read32(0x200100)).toBe(2);
    expect(mem.read32(0x200000) >>> 0).toBe(0x2badb002);
    const info = mem.read32(0x200004);
    expect(mem.read32(info + 8)).toBe(31 * 1024); // mem_upper in KiB
    expect(mem.read16(0x200008)).toBe(0x10);
    expect(mem.read32(0x20000c) & EFLAGS_IF).toBe(0);
    expect(m.cpu.segs[SegReg.CS].base).toBe(0);
    expect(m.cpu.segs[SegReg.SS].big).toBe(true);
    // The read above RAM came back as all ones and was reported.
    expect(mem.read32(0x200010) >>> 0).toBe(0xffffffff);
    // Reported byte by byte: four reads on each of the two boots.
    expect(unassigned.filter((a) => a.space === 'memory')).toHaveLength(8);
    expect(unassigned).toContainEqual({ space: 'memory', address: 0x7f000003, size: 1, write: false });
    expect(m.stats.snapshot().unassigned.memoryReads).toBe(8);
  });

  it('hasTheBiosDataAreaAndInterruptHardwareAsAfterPost', () => {
    const t = testMachine({ memoryMiB: 32 });
    t.machine.loadMultiboot(KERNEL);
    expect(t.machine.memory.read16(0x400)).toBe(0x3f8); // COM1 in the BDA
    expect(t.machine.memory.read16(0x413)).toBe(639);
    expect(t.machine.pic.master.vectorBase).toBe(0x08);
    expect(t.machine.pic.slave.vectorBase).toBe(0x70);
  });

  it('aKernelTheLoaderRejects_isReportedAndTheMachineHasNothingToBoot', () => {
    const t = testMachine({ memoryMiB: 32 });
    const load = t.machine.loadMultiboot(new Uint8Array(64));
    expect(load.ok).toBe(false);
    const stop = t.machine.run(1000);
    expect(stop.kind).toBe('halted');
    expect(t.video()).toBe('No bootable device.\r\n');
  });
});
