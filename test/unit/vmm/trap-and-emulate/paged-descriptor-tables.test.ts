import { describe, expect, it } from 'vitest';
import { assemble, formatDiagnostic } from '../../../../emulator/asm/index';
import { enterFlatProtectedMode } from '../../../../emulator/machine/flat-protected-mode';
import { Machine } from '../../../../emulator/machine/machine';
import { vmmCause, VmmExitReason } from '../../../../emulator/vmm/exit-cause';
import type { RingModel } from '../../../../emulator/vmm/guest-vm';
import { TrapAndEmulateVm } from '../../../../emulator/vmm/trap-and-emulate/vm';
import { EXIT, ORIGIN, STACK_TOP } from './guest';

/**
 * The shadow GDT follows the guest's GDT at its guest-LINEAR address (SDM Vol. 3A §3.5.1: the
 * GDTR holds a linear base), read through the guest's own page tables once its paging is on.
 * The guest maps linear 0x40000000 to the page of gdt_a (page directory 0x10000) or of gdt_b
 * (page directory 0x13000), neither identity; runs LGDT with base 0x40000000 after enabling
 * paging and far-jumps through it; loads FS from entry 0x18 (gdt_a: base probe_a); writes a
 * new descriptor 0x20 through the linear alias (base probe_c) and loads GS from it; then
 * switches CR3 so that 0x40000000 maps gdt_b (0x18: base probe_b) and reloads FS.
 */
const R = 0x8000;
const GUEST = `
%define P(x) ((x) - $$ + ${ORIGIN})
        mov ecx, 0
.fill:  mov eax, ecx
        shl eax, 12
        or eax, 3
        mov [0x11000 + ecx*4], eax
        inc ecx
        cmp ecx, 1024
        jne .fill
        mov dword [0x10000], 0x11003
        mov dword [0x10000 + 0x100*4], 0x12003
        mov dword [0x12000], P(gdt_a) + 3
        mov dword [0x13000], 0x11003
        mov dword [0x13000 + 0x100*4], 0x14003
        mov dword [0x14000], P(gdt_b) + 3
        mov eax, 0x10000
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        lgdt [gdtr_lin]
        jmp 0x08:.reload
.reload:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov ax, 0x18
        mov fs, ax
        mov eax, [fs:0]
        mov [${R}], eax
        mov dword [0x40000020], ((P(probe_c) & 0xffff) << 16) | 0x0fff
        mov dword [0x40000024], ((P(probe_c) >> 16) & 0xff) | 0x409200 | ((P(probe_c) >> 24) << 24)
        mov ax, 0x20
        mov gs, ax
        mov eax, [gs:0]
        mov [${R + 4}], eax
        mov eax, 0x13000
        mov cr3, eax
        mov ax, 0x18
        mov fs, ax
        mov eax, [fs:0]
        mov [${R + 8}], eax
        ${EXIT}
gdtr_lin: dw 5*8 - 1
        dd 0x40000000
        align 4
probe_a: dd 0x11111111
probe_b: dd 0x22222222
probe_c: dd 0x33333333
        align 4096
gdt_a:  dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        dw 0x0FFF, P(probe_a) & 0xFFFF
        db (P(probe_a) >> 16) & 0xFF, 0x92, 0x40, P(probe_a) >> 24
        dq 0
        align 4096
gdt_b:  dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        dw 0x0FFF, P(probe_b) & 0xFFFF
        db (P(probe_b) >> 16) & 0xFF, 0x92, 0x40, P(probe_b) >> 24
        dq 0`;

function image(): Uint8Array {
  const r = assemble(`bits 32\norg 0x${ORIGIN.toString(16)}\n${GUEST}\n`, { fileName: 'paged-gdt.asm' });
  if (r.errors.length > 0) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  return r.bytes;
}

const results = (read32: (a: number) => number): number[] => [0, 4, 8].map((k) => read32(R + k) >>> 0);

describe('shadow GDT through the guest page tables (GDT at a non-identity linear address)', () => {
  const machine = new Machine({ memoryMiB: 32 });
  machine.memory.writeBytes(ORIGIN, image());
  enterFlatProtectedMode(machine.cpu, { eip: ORIGIN, esp: STACK_TOP });
  const bareStop = machine.run(1_000_000);

  it('on the bare machine: FS from gdt_a reads probe_a, the GS written through the alias probe_c, FS after the CR3 switch probe_b (the reference)', () => {
    expect(bareStop).toEqual({ kind: 'exit', status: 1 });
    expect(results((a) => machine.memory.read32(a))).toEqual([0x11111111, 0x33333333, 0x22222222]);
  });

  it.each(['0/1/3', '0/3/3'] as RingModel[])('under trap-and-emulate %s the guest gets the same three values; the alias write exits as GUEST_DESCRIPTOR_TABLE_WRITE (protection follows the frame 0x40000000 maps)', (ringModel) => {
    const vm = new TrapAndEmulateVm({ ringModel });
    vm.memory.writeBytes(ORIGIN, image());
    enterFlatProtectedMode(vm.cpu, { eip: ORIGIN, esp: STACK_TOP });
    vm.enter();
    expect(vm.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(results((a) => vm.memory.read32(a))).toEqual(results((a) => machine.memory.read32(a)));
    expect(vm.state.gdtr.base).toBe(0x40000000);
    // Two dword stores to the GDT through its alias, each trapped and the shadow rebuilt.
    expect(vm.stats.count(vmmCause(VmmExitReason.GUEST_DESCRIPTOR_TABLE_WRITE))).toBe(2);
  });
});
