import { describe, expect, it } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../../../emulator/arch/paging';
import { ExitReason } from '../../../../emulator/arch/vmx-exit-reasons';
import { sdmCause, vmmCause, VmmExitReason } from '../../../../emulator/vmm/exit-cause';
import { SHADOW_POOL_OFFSET } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { EXIT, guestVm, peek, runGuest } from './guest';

const R = 0x8000;
const PD = 0x300000;
const PT0 = 0x301000;
const PT1 = 0x302000;
const PD_B = 0x303000;
const PT1_B = 0x304000;
const RW_US = PTE_P | PTE_RW | PTE_US;
type Vm = ReturnType<typeof guestVm>;
const count = (vm: Vm, r: ExitReason) => vm.stats.count(sdmCause(r));
const countVmm = (vm: Vm, r: VmmExitReason) => vm.stats.count(vmmCause(r));

/**
 * Guest tables written before the run: PD maps 0–4 MiB identity through PT0 (so the guest's
 * code, stack, data and its own tables stay reachable) and 4–8 MiB through PT1, whose entry
 * 0 maps linear 0x400000 to guest-physical 0x500000 (read/write) and entry 1 maps 0x401000
 * to 0x501000 read-only. PD_B is the same but its PT1_B maps 0x400000 to 0x600000.
 */
function tables(vm: Vm): void {
  const m = vm.memory;
  for (let i = 0; i < 1024; i++) m.write32(PT0 + i * 4, (i << 12) | RW_US);
  for (const [pd, pt1, target] of [
    [PD, PT1, 0x500000],
    [PD_B, PT1_B, 0x600000],
  ]) {
    m.write32(pd, PT0 | RW_US);
    m.write32(pd + 4, pt1 | RW_US);
    m.write32(pt1, target | RW_US);
    m.write32(pt1 + 4, (target + 0x1000) | PTE_P | PTE_US);
  }
  m.write32(0x500000, 0xcafebabe);
  m.write32(0x501000, 0x0badf00d);
  m.write32(0x600000, 0x66666666);
}

/** Enter paging with the virtual CR3 = PD, CR0.PG and CR0.WP. */
const PAGING_ON = `
        mov eax, ${PD}
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000
        mov cr0, eax`;

/** A guest IDT whose #PF handler (vector 14) stores CR2 and the error code at R+0x20/R+0x24 and ends the guest. */
const PF_HANDLER_SETUP = `
        lidt [idtr]
        mov eax, pf_handler
        mov [idt + 14*8], ax
        mov word [idt + 14*8 + 2], 0x08
        mov word [idt + 14*8 + 4], 0x8E00
        shr eax, 16
        mov [idt + 14*8 + 6], ax`;
const PF_HANDLER_CODE = `
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

function pagedGuest(body: string, extra = ''): Vm {
  const vm = guestVm(`${PF_HANDLER_SETUP}\n${PAGING_ON}\n${body}\n${EXIT}\n${extra}\n${PF_HANDLER_CODE}`);
  tables(vm);
  return vm;
}

describe('shadow paging: enabling paging and hidden page faults', () => {
  it('a read and a write through the guest mapping reach the guest-physical page; misses are HIDDEN_PAGE_FAULT exits and the guest A/D flags are set as hardware would', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        mov [${R}], eax
        mov dword [0x400004], 0x12345678
        mov eax, cr3
        mov [${R + 4}], eax
        mov eax, cr0
        mov [${R + 8}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0xcafebabe);
    expect(peek(vm, 0x500004)).toBe(0x12345678);
    expect(peek(vm, R + 4)).toBe(PD);
    expect(peek(vm, R + 8) >>> 31).toBe(1);
    expect(peek(vm, PD + 4) & PTE_A).toBe(PTE_A);
    expect(peek(vm, PT1) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(peek(vm, PT1 + 4) & PTE_A).toBe(0); // never used
    expect(countVmm(vm, VmmExitReason.HIDDEN_PAGE_FAULT)).toBeGreaterThanOrEqual(3);
    // The host runs on a shadow directory in the VMM's pool, not on the guest's tables.
    expect(vm.cpu.cr3 >>> 0).toBe(vm.state.paging.currentDirectory);
    expect(vm.cpu.cr3 >>> 0).toBeGreaterThanOrEqual(vm.state.reservedBase + SHADOW_POOL_OFFSET);
    expect(vm.cpu.cr0 >>> 31).toBe(1);
  });

  it('a read leaves the guest D flag clear; the first write then faults again (hidden) and sets it', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        mov [${R}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, PT1) & (PTE_A | PTE_D)).toBe(PTE_A);
  });
});

describe('shadow paging: guest-visible page faults are reflected', () => {
  it('a not-present guest PDE reaches the guest #PF handler with the virtual CR2 and the guest error code (supervisor read: 0)', () => {
    const vm = pagedGuest(`
        mov eax, [0x800010]
        mov dword [${R}], 1`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0);
    expect(peek(vm, R + 0x20)).toBe(0x800010);
    expect(peek(vm, R + 0x24)).toBe(0);
    expect(count(vm, ExitReason.EXCEPTION_NMI)).toBe(1);
  });

  it('a write to a guest read-only page with the virtual CR0.WP set faults with error code P|W (3); the host CR2 of hidden faults never shows', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        mov dword [0x401000], 7`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R + 0x20)).toBe(0x401000);
    expect(peek(vm, R + 0x24)).toBe(3);
    expect(peek(vm, 0x501000)).toBe(0x0badf00d);
  });

  it('with the virtual CR0.WP clear the same supervisor write succeeds (as on hardware) and the guest sees no fault', () => {
    const vm = guestVm(`
        mov eax, ${PD}
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov dword [0x401000], 7
        mov eax, cr2
        mov [${R}], eax
        ${EXIT}`);
    tables(vm);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, 0x501000)).toBe(7);
    expect(peek(vm, R)).toBe(0);
  });
});

describe('shadow paging: coherence with the guest tables', () => {
  it('a guest write to its own page table exits as GUEST_PAGE_TABLE_WRITE, is performed, and the derived shadow entry is dropped', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        mov [${R}], eax
        mov dword [${PT1}], ${0x600000 | RW_US}
        mov eax, [0x400000]
        mov [${R + 4}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0xcafebabe);
    expect(peek(vm, PT1) & ~(PTE_A | PTE_D)).toBe(0x600000 | RW_US);
    expect(peek(vm, R + 4)).toBe(0x66666666);
    expect(countVmm(vm, VmmExitReason.GUEST_PAGE_TABLE_WRITE)).toBe(1);
    expect(vm.state.paging.isTablePage(PT1 >>> 12)).toBe(true);
  });

  it('a write to a page-directory entry drops the shadow page table derived from it', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        mov [${R}], eax
        mov dword [${PD + 4}], ${PT1_B | RW_US}
        mov eax, [0x400000]
        mov [${R + 4}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect([peek(vm, R), peek(vm, R + 4)]).toEqual([0xcafebabe, 0x66666666]);
    expect(countVmm(vm, VmmExitReason.GUEST_PAGE_TABLE_WRITE)).toBe(1);
  });

  it('INVLPG exits (INVLPG, 14), is retired, and the next access refills the shadow entry', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        invlpg [0x400000]
        mov eax, [0x400000]
        mov [${R}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0xcafebabe);
    expect(count(vm, ExitReason.INVLPG)).toBe(1);
    expect(vm.stats.count(vmmCause(VmmExitReason.HIDDEN_PAGE_FAULT))).toBeGreaterThanOrEqual(2);
  });

  it('MOV CR3 switches to the shadow of the new guest directory; switching back reuses the cached shadow', () => {
    const vm = pagedGuest(`
        mov eax, [0x400000]
        mov [${R}], eax
        mov eax, ${PD_B}
        mov cr3, eax
        mov eax, [0x400000]
        mov [${R + 4}], eax
        mov eax, ${PD}
        mov cr3, eax
        mov eax, [0x400000]
        mov [${R + 8}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect([peek(vm, R), peek(vm, R + 4), peek(vm, R + 8)]).toEqual([0xcafebabe, 0x66666666, 0xcafebabe]);
    expect(vm.state.paging.cachedShadows).toBe(2);
    expect(count(vm, ExitReason.CR_ACCESS)).toBe(5); // CR3, CR0 read, CR0 write, CR3, CR3
  });
});

describe('shadow paging: the VMM area and memory beyond the VM', () => {
  it('a guest mapping of guest-physical memory beyond its RAM stops the VM with a message (nothing outside the VM is mapped)', () => {
    const vm = pagedGuest(`mov eax, [0x402000]`);
    vm.memory.write32(PT1 + 8, (vm.state.reservedBase + 0x10000) | RW_US);
    const stop = runGuest(vm);
    expect(stop.kind).toBe('stopped');
    expect(stop.kind === 'stopped' && stop.message).toMatch(/beyond its RAM/);
  });

  it('clearing CR0.PG puts the host on the identity shadow (host paging stays on): linear = guest-physical again', () => {
    const vm = pagedGuest(`
        mov eax, cr0
        and eax, 0x7fffffff
        mov cr0, eax
        mov eax, [0x500000]
        mov [${R}], eax`);
    expect(runGuest(vm)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(0xcafebabe);
    expect(vm.state.cr0 >>> 31).toBe(0);
    expect(vm.cpu.cr0 >>> 31).toBe(1);
    expect(vm.cpu.cr3 >>> 0).toBe(vm.state.paging.currentDirectory);
  });
});

describe('shadow paging: page-table traffic (mmu-heavy in the low 8 MiB)', () => {
  it('200 pages mapped one PTE store + INVLPG at a time read the right frames, then unmapped ones fault; every PTE store after the first fill exits', () => {
    const vm = pagedGuest(`
        xor ecx, ecx
        xor esi, esi                    ; checksum
map:    mov eax, ecx
        imul eax, eax, 7
        xor edx, edx
        mov ebx, 200
        div ebx                         ; edx = 7 i mod 200
        shl edx, 12
        add edx, 0x500000 | ${RW_US}
        mov [${PT1} + ecx*4], edx
        mov edi, ecx
        shl edi, 12
        add edi, 0x400000
        invlpg [edi]
        add esi, [edi]
        mov [edi + 4], ecx
        inc ecx
        cmp ecx, 200
        jb map
        mov [${R}], esi
        xor ecx, ecx
unmap:  mov dword [${PT1} + ecx*4], 0
        mov edi, ecx
        shl edi, 12
        add edi, 0x400000
        invlpg [edi]
        inc ecx
        cmp ecx, 200
        jb unmap
        mov eax, [0x400000 + 199*4096]
        mov dword [${R + 4}], 1         ; not reached: the read faults`);
    for (let j = 0; j < 200; j++) vm.memory.write32(0x500000 + j * 4096, j * 3 + 1);
    expect(runGuest(vm, 5_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, R)).toBe(3 * 19900 + 200);
    for (let i = 0; i < 200; i++) expect(peek(vm, 0x500000 + ((7 * i) % 200) * 4096 + 4)).toBe(i);
    expect(peek(vm, R + 4)).toBe(0);
    expect([peek(vm, R + 0x20), peek(vm, R + 0x24)]).toEqual([0x400000 + 199 * 4096, 0]);
    // PT1 becomes a write-protected table page at the first fill through it (after the first PTE store).
    expect(countVmm(vm, VmmExitReason.GUEST_PAGE_TABLE_WRITE)).toBe(399);
    expect(count(vm, ExitReason.INVLPG)).toBe(400);
  });
});
