import { describe, expect, it } from 'vitest';
import { decodeDescriptor, SegReg } from '../../../../emulator/arch/segments';
import { assemble, formatDiagnostic } from '../../../../emulator/asm/index';
import { enterFlatProtectedMode } from '../../../../emulator/machine/flat-protected-mode';
import { Machine } from '../../../../emulator/machine/machine';
import { vmmCause, VmmExitReason } from '../../../../emulator/vmm/exit-cause';
import { SHADOW_GDT_OFFSET } from '../../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import { TrapAndEmulateVm } from '../../../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES } from '../../../examples/examples';
import { EXIT, ORIGIN, STACK_TOP } from './guest';

/**
 * Guest GDT write protection and the hidden part of segment registers (issue 5, "hidden
 * state"; SDM Vol. 3A §3.4.3: a segment register's cache is loaded only by a segment load).
 * The guest loads FS from GDT entry 0x18 (base probe_a), moves that descriptor to probe_b in
 * memory, reads FS:[0] (hardware: still probe_a), reloads FS and reads again (probe_b). It also
 * writes a brand-new descriptor into GDT slot 0x20 after its LGDT and loads GS from it.
 */
const R = 0x8000;
const GUEST = `
        lgdt [gdtr]
        mov ax, 0x18
        mov fs, ax
        mov eax, [fs:0]
        mov [${R}], eax
        mov eax, probe_b                ; move the descriptor: base = probe_b
        mov [gdt + 0x18 + 2], ax
        shr eax, 16
        mov [gdt + 0x18 + 4], al
        mov [gdt + 0x18 + 7], ah
        mov eax, [fs:0]                 ; the cache still says probe_a
        mov [${R + 4}], eax
        mov ax, 0x18
        mov fs, ax
        mov eax, [fs:0]
        mov [${R + 8}], eax
        mov dword [gdt + 0x20], 0x0000FFFF   ; a new flat data descriptor, written after LGDT
        mov dword [gdt + 0x24], 0x00CF9200
        mov ax, 0x20
        mov gs, ax
        mov eax, [gs:probe_c]
        mov [${R + 12}], eax
        ${EXIT}
        align 8
gdt:    dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        dw 0x0FFF                        ; 0x18: byte-granular data, limit 0xFFF, base probe_a
        dw (probe_a - $$ + ${ORIGIN}) & 0xFFFF     ; scalar forms of the label (bin output: $$ = ORIGIN)
        db ((probe_a - $$ + ${ORIGIN}) >> 16) & 0xFF, 0x92, 0x40, (probe_a - $$ + ${ORIGIN}) >> 24
        dq 0                             ; 0x20: filled by the guest
gdtr:   dw 5*8 - 1
        dd gdt
        align 4096
probe_a: dd 0x11111111
        align 4096
probe_b: dd 0x22222222
probe_c: dd 0x33333333`;

function image(): Uint8Array {
  const r = assemble(`bits 32\norg 0x${ORIGIN.toString(16)}\n${GUEST}\n`, { fileName: 'hidden-state.asm' });
  if (r.errors.length > 0) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  return r.bytes;
}

const results = (read32: (a: number) => number) => [0, 4, 8, 12].map((k) => read32(R + k) >>> 0);

function vmmRun(preserveHiddenState?: boolean): TrapAndEmulateVm {
  const vm = new TrapAndEmulateVm(preserveHiddenState === undefined ? {} : { preserveHiddenState });
  vm.memory.writeBytes(ORIGIN, image());
  enterFlatProtectedMode(vm.cpu, { eip: ORIGIN, esp: STACK_TOP });
  vm.enter();
  expect(vm.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
  return vm;
}

describe('guest GDT write protection and hidden segment state', () => {
  const machine = new Machine({ memoryMiB: 32 });
  machine.memory.writeBytes(ORIGIN, image());
  enterFlatProtectedMode(machine.cpu, { eip: ORIGIN, esp: STACK_TOP });
  const bareStop = machine.run(1_000_000);
  const bare = results((a) => machine.memory.read32(a));

  it('on the bare machine FS keeps probe_a until reloaded, and the new GS descriptor loads (the reference)', () => {
    expect(bareStop).toEqual({ kind: 'exit', status: 1 });
    expect(bare).toEqual([0x11111111, 0x11111111, 0x22222222, 0x33333333]);
  });

  it('with hidden state preserved (the default) the VMM shows exactly what hardware shows; each GDT store exits as GUEST_DESCRIPTOR_TABLE_WRITE and the shadow follows', () => {
    const vm = vmmRun();
    expect(vm.preserveHiddenState).toBe(true);
    expect(results((a) => vm.memory.read32(a))).toEqual(bare);
    // Three stores move the 0x18 descriptor, two write the 0x20 one; the guest's code shares
    // the GDT's page, so nothing else of the guest writes there.
    expect(vm.stats.count(vmmCause(VmmExitReason.GUEST_DESCRIPTOR_TABLE_WRITE))).toBe(5);
    const shadow = (sel: number) => decodeDescriptor(vm.memory.read32(vm.reservedBase + SHADOW_GDT_OFFSET + sel), vm.memory.read32(vm.reservedBase + SHADOW_GDT_OFFSET + sel + 4));
    expect(vm.memory.read32(shadow(0x18).base) >>> 0).toBe(0x22222222); // the shadow entry now points at probe_b
    expect(vm.cpu.segs[SegReg.FS].base >>> 0).toBe(shadow(0x18).base >>> 0); // and the reloaded FS came from it
    expect(shadow(0x20).ar & 0x80).toBe(0x80); // the descriptor written after LGDT is present in the shadow
    expect(vm.hiddenStateLossCount).toBe(0);
  });

  it('with preserveHiddenState: false the FS case fails as the SDM predicts: FS:[0] reads probe_b before the reload, and the loss is recorded', () => {
    const vm = vmmRun(false);
    expect(vm.preserveHiddenState).toBe(false);
    const r = results((a) => vm.memory.read32(a));
    expect(r).toEqual([0x11111111, 0x22222222, 0x22222222, 0x33333333]);
    expect(r[1]).not.toBe(bare[1]);
    expect(vm.hiddenStateLossCount).toBeGreaterThan(0);
    expect(vm.hiddenStateLosses.some((l) => l.register === 'FS' && l.selector === 0x18)).toBe(true);
  });
});

describe("hidden-state losses as 'hidden-state-lost' virtualization holes", () => {
  const sensitive = EXAMPLES.find((e) => e.name === 'sensitive')!;
  const runSensitive = (preserveHiddenState: boolean): TrapAndEmulateVm => {
    const vm = new TrapAndEmulateVm({ preserveHiddenState });
    expect(vm.loadMultiboot(assembleExample(sensitive)).ok).toBe(true);
    expect(vm.run(50_000_000)).toEqual({ kind: 'exit', status: 3 });
    return vm;
  };

  it("examples/sensitive with preserveHiddenState: false: the FS case yields a 'hidden-state-lost' hole naming FS with the cache before (probe_a) and after (probe_b) the reload, one hole per loss", () => {
    const vm = runSensitive(false);
    const fsHoles = vm.holes.recent().filter((h) => h.kind === 'hidden-state-lost' && h.details.segment === SegReg.FS);
    // Other FS reloads may differ only in their access rights (e.g. the accessed bit); the moved descriptor changes the base.
    const h = fsHoles.find((x) => x.details.reloadedBase !== x.details.savedBase)!;
    expect(h).toBeDefined();
    expect(h.type).toBe('virtualization-hole');
    expect(h.mnemonic).toBe('MOV FS (VMM reload)');
    expect(h.details.atWorldSwitch).toBe(false);
    expect(h.details.reloadedBase).not.toBe(h.details.savedBase);
    // The two bases are sensitive.asm's probes: the reload moved FS from probe_a's value to probe_b's.
    expect(vm.memory.read32(h.details.savedBase as number) >>> 0).toBe(0x11111111);
    expect(vm.memory.read32(h.details.reloadedBase as number) >>> 0).toBe(0x22222222);
    expect(h.details.savedLimit).toBe(h.details.reloadedLimit);
    expect(vm.holes.countsByKind()['hidden-state-lost']).toBe(vm.hiddenStateLossCount);
  });

  it("examples/sensitive with hidden state preserved (the default): no 'hidden-state-lost' hole", () => {
    const vm = runSensitive(true);
    expect(vm.holes.countsByKind()['hidden-state-lost']).toBe(0);
    expect(vm.holes.total).toBeGreaterThan(0);
  });
});
