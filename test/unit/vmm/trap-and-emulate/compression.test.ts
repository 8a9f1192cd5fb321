import { describe, expect, it } from 'vitest';
import { PTE_P, PTE_RW } from '../../../../emulator/arch/paging';
import { assemble, formatDiagnostic } from '../../../../emulator/asm/index';
import { enterFlatProtectedMode } from '../../../../emulator/machine/flat-protected-mode';
import { Machine } from '../../../../emulator/machine/machine';
import type { PhysicalMemory } from '../../../../emulator/memory/physical-memory';
import { vmmCause, VmmExitReason } from '../../../../emulator/vmm/exit-cause';
import type { RingModel } from '../../../../emulator/vmm/guest-vm';
import { SHADOW_GDT_OFFSET, VMM_AREA_LINEAR } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { TrapAndEmulateVm } from '../../../../emulator/vmm/trap-and-emulate/vm';
import { EXIT, ORIGIN, STACK_TOP } from './guest';

/**
 * Address-space compression: the guest maps its own pages at the top 4 MiB of the linear
 * space, where the VMM keeps the tables the host CPU uses. The same guest runs on the bare
 * Machine and under the VMM; what it reads and writes there must be the same (differential),
 * and the VMM's tables must stay out of its reach.
 */
const R = 0x8000;
const PD = 0x300000;
const PT_LOW = 0x301000; // identity 0-4 MiB
const PT_4M = 0x302000; // identity 4-8 MiB (the frames below)
const PT_TOP = 0x303000; // PDE 1023: 0xFFC00000-0xFFFFFFFF
const PT_1022 = 0x304000; // PDE 1022: 0xFF800000-0xFFBFFFFF
const F_GDT = 0x500000; // the guest's page at 0xFFC00000 (where the VMM's GDT lives)
const F_IDT = 0x501000; // ... at 0xFFC11000 (the VMM's IDT)
const F_LAST = 0x502000; // ... at 0xFFFFF000
const F_BELOW = 0x503000; // ... at 0xFFBFF000
const FRAMES = [F_GDT, F_IDT, F_LAST, F_BELOW];

const GUEST = `
        lidt [idtr]
        mov eax, pf_handler
        mov [idt + 14*8], ax
        mov word [idt + 14*8 + 2], 0x08
        mov word [idt + 14*8 + 4], 0x8E00
        shr eax, 16
        mov [idt + 14*8 + 6], ax
        mov eax, ${PD}
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000
        mov cr0, eax
        mov eax, [0xFFC00000]           ; the guest's own data where the VMM's GDT is
        mov [${R}], eax
        mov dword [0xFFC00008], 0xdeadbeef
        mov eax, [0xFFC00008]
        mov [${R + 4}], eax
        add dword [0xFFC11000], 5       ; read-modify-write where the VMM's IDT is
        mov esi, 0xFFFFFFFC
        mov eax, [esi]                  ; the last dword of the linear space
        mov [${R + 8}], eax
        mov ecx, 0xFFBFFFFE
        mov eax, [ecx]                  ; straddles the boundary: 2 bytes below, 2 in the area
        mov [${R + 12}], eax
        mov word [ecx], 0x7777          ; the two bytes below the area: no exit at all
        mov eax, [0xFFC05000]           ; not mapped by the guest: its own #PF
        mov dword [${R + 16}], 1        ; never reached
        ${EXIT}
pf_handler:
        mov eax, cr2
        mov [${R + 0x20}], eax
        pop eax
        mov [${R + 0x24}], eax
        ${EXIT}
        align 8
idtr:   dw 15*8 - 1
        dd idt
idt:    times 15*8 db 0`;

function image(source: string): Uint8Array {
  const r = assemble(`bits 32\norg 0x${ORIGIN.toString(16)}\n${source}\n`, { fileName: 'compression.asm' });
  if (r.errors.length > 0) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  return r.bytes;
}

/** The guest's tables and the seeded frames (guest-physical), identical on both machines. */
function seed(m: PhysicalMemory): void {
  for (let i = 0; i < 1024; i++) m.write32(PT_LOW + i * 4, (i << 12) | PTE_P | PTE_RW);
  for (let i = 0; i < 1024; i++) m.write32(PT_4M + i * 4, (0x400000 + (i << 12)) | PTE_P | PTE_RW);
  m.write32(PD, PT_LOW | PTE_P | PTE_RW);
  m.write32(PD + 4, PT_4M | PTE_P | PTE_RW);
  m.write32(PD + 1022 * 4, PT_1022 | PTE_P | PTE_RW);
  m.write32(PD + 1023 * 4, PT_TOP | PTE_P | PTE_RW);
  m.write32(PT_TOP + 0 * 4, F_GDT | PTE_P | PTE_RW);
  m.write32(PT_TOP + 0x11 * 4, F_IDT | PTE_P | PTE_RW);
  m.write32(PT_TOP + 0x3ff * 4, F_LAST | PTE_P | PTE_RW);
  m.write32(PT_1022 + 0x3ff * 4, F_BELOW | PTE_P | PTE_RW);
  m.write32(F_GDT, 0x11111111);
  m.write32(F_IDT, 0x22222222);
  m.write32(F_LAST + 0xffc, 0x33333333);
  m.write32(F_BELOW + 0xffc, 0x4444aaaa);
}

interface Outcome {
  stop: unknown;
  results: number[];
  frames: number[];
}

function outcome(mem: PhysicalMemory, stop: unknown): Outcome {
  const results = [0, 4, 8, 12, 16, 0x20, 0x24].map((k) => mem.read32(R + k) >>> 0);
  const frames = FRAMES.flatMap((f) => Array.from({ length: 1024 }, (_, i) => mem.read32(f + i * 4) >>> 0));
  return { stop, results, frames };
}

function bare(source: string, prepare: (m: PhysicalMemory) => void): Outcome {
  const machine = new Machine({ memoryMiB: 32 });
  machine.memory.writeBytes(ORIGIN, image(source));
  prepare(machine.memory);
  enterFlatProtectedMode(machine.cpu, { eip: ORIGIN, esp: STACK_TOP });
  return outcome(machine.memory, machine.run(1_000_000));
}

function underVmm(source: string, prepare: (m: PhysicalMemory) => void, ringModel: RingModel): { vm: TrapAndEmulateVm; out: Outcome } {
  const vm = new TrapAndEmulateVm({ ringModel });
  vm.memory.writeBytes(ORIGIN, image(source));
  prepare(vm.memory);
  enterFlatProtectedMode(vm.cpu, { eip: ORIGIN, esp: STACK_TOP });
  vm.enter();
  return { vm, out: outcome(vm.memory, vm.run(1_000_000)) };
}

describe('address-space compression: the top 4 MiB of the linear space', () => {
  const native = bare(GUEST, seed);

  it('the bare machine runs the guest as the test expects (the reference is sound)', () => {
    expect(native.stop).toEqual({ kind: 'exit', status: 1 });
    // R+12: two bytes of 0xFFBFF000's page (0x4444) and two of 0xFFC00000's (0x1111); then the #PF: CR2, error code 0.
    expect(native.results).toEqual([0x11111111, 0xdeadbeef, 0x33333333, 0x11114444, 0, 0xffc05000, 0]);
  });

  for (const model of ['0/1/3', '0/3/3'] as const) {
    it(`under ${model}: guest loads and stores at 0xFFC00000 and up reach the guest's own pages, exactly as on the bare machine`, () => {
      const { vm, out } = underVmm(GUEST, seed, model);
      expect(out).toEqual(native);
      // Six accesses in the area emulated (the straddling one included), the seventh (unmapped)
      // became the guest's #PF; the two bytes stored just below the area needed no exit.
      expect(vm.stats.count(vmmCause(VmmExitReason.RESERVED_AREA_ACCESS))).toBe(7);
    });
  }

  it('the VMM tables stay out of the guest\'s reach: the shadow GDT and the area mapping are intact after the guest wrote over their linear addresses', () => {
    const { vm } = underVmm(GUEST, seed, '0/1/3');
    const rb = vm.reservedBase;
    // Shadow slot 1 is the guest's flat code descriptor raised to DPL 1 and truncated: not 0xdeadbeef.
    expect(vm.memory.read32(rb + SHADOW_GDT_OFFSET + 8) >>> 0).not.toBe(0xdeadbeef);
    expect((vm.memory.read32(rb + SHADOW_GDT_OFFSET + 12) >>> 13) & 3).toBe(1);
    expect(vm.cpu.gdtr.base >>> 0).toBe(VMM_AREA_LINEAR);
    // The host still reaches its GDT at 0xFFC00000: the mapping there is the VMM's again.
    const pd = vm.state.paging.currentDirectory;
    const areaPt = vm.memory.read32(pd + 1023 * 4) & -4096;
    expect((vm.memory.read32(areaPt) & -4096) >>> 0).toBe(rb);
    expect(vm.memory.read32(areaPt) & 4).toBe(0); // supervisor-only
  });

  it('a guest segment whose own limit ends inside the area: an access within it is emulated, one beyond it is the guest\'s #GP (reflected)', () => {
    const source = `
        lgdt [gdtr]
        lidt [idtr]
        mov eax, gp_handler
        mov [idt + 13*8], ax
        mov word [idt + 13*8 + 2], 0x08
        mov word [idt + 13*8 + 4], 0x8E00
        shr eax, 16
        mov [idt + 13*8 + 6], ax
        mov eax, ${PD}
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000
        mov cr0, eax
        mov ax, 0x18
        mov es, ax
        mov eax, [es:0xFFC00FFC]        ; the last dword of ES (limit 0xFFC00FFF)
        mov [${R}], eax
        mov eax, [es:0xFFC01000]        ; beyond ES: #GP(0), the guest's own
        mov dword [${R + 4}], 1         ; skipped by the handler
        ${EXIT}
gp_handler:
        pop eax
        mov [${R + 8}], eax
        mov dword [${R + 12}], 2
        ${EXIT}
        align 8
gdt:    dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF, 0x00CF92000000FC00
gdtr:   dw 4*8 - 1
        dd gdt
idtr:   dw 15*8 - 1
        dd idt
idt:    times 15*8 db 0`;
    const prepare = (m: PhysicalMemory) => {
      seed(m);
      m.write32(F_GDT + 0xffc, 0x55555555);
    };
    const ref = bare(source, prepare);
    expect(ref.stop).toEqual({ kind: 'exit', status: 1 });
    expect(ref.results.slice(0, 4)).toEqual([0x55555555, 0, 0, 2]);
    const { vm, out } = underVmm(source, prepare, '0/1/3');
    expect(out).toEqual(ref);
    expect(vm.stats.count(vmmCause(VmmExitReason.RESERVED_AREA_ACCESS))).toBe(1);
  });
});
