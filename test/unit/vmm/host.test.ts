/**
 * The multi-VM host (emulator/vmm/host.ts) and its world switch (emulator/vmm/world-switch.ts):
 * round-robin slices, the guest state carried only by the world-switch record, VMs leaving
 * the schedule, the per-VM instruction limit, and hidden-state loss when segment registers
 * are restored by reloading them.
 */
import { describe, expect, it } from 'vitest';
import { CR0_PG } from '../../../emulator/arch/control-registers';
import { decodeDescriptor, SegReg } from '../../../emulator/arch/segments';
import { VMCS } from '../../../emulator/arch/vmcs';
import { readSys32 } from '../../../emulator/cpu/memory-access';
import { probeTranslate } from '../../../emulator/cpu/paging';
import { SHADOW_GDT_OFFSET, VMM_AREA_LINEAR, VMM_IDT_OFFSET, VMM_TSS_OFFSET, VMM_TSS_SELECTOR } from '../../../emulator/vmm/trap-and-emulate/shadow-gdt';
import type { GuestVm } from '../../../emulator/vmm/guest-vm';
import { Host } from '../../../emulator/vmm/host';
import { TrapAndEmulateVm } from '../../../emulator/vmm/trap-and-emulate/vm';
import { switchIn, switchOut, WorldSwitchArea } from '../../../emulator/vmm/world-switch';
import { assembleExample, EXAMPLES, expectedOutput } from '../../examples/examples';
import { EXIT, guestVm, ORIGIN, peek } from './trap-and-emulate/guest';

const hello = EXAMPLES.find((e) => e.name === 'hello')!;

function helloVm(): { vm: TrapAndEmulateVm; out: () => string } {
  let text = '';
  const vm = new TrapAndEmulateVm({ serial: (b) => (text += String.fromCharCode(b)) });
  const load = vm.loadMultiboot(assembleExample(hello));
  if (!load.ok) throw new Error(load.error.message);
  return { vm, out: () => text };
}

/**
 * Mixes every general register and the arithmetic flags for many iterations (ADC/SBB carry
 * the flags from one iteration to the next, PUSH/POP use the stack), then stores the result
 * at 0x8000 and exits.
 */
const MIXER = `
  mov eax, 0x12345678
  mov ebx, 0x9abcdef0
  mov edx, 0x0f1e2d3c
  mov esi, 0x55aa55aa
  mov edi, 0x01010101
  mov ebp, 0x7f7f7f7f
  mov ecx, 30000
.mix:
  add eax, ebx
  adc edx, esi
  rol ebx, 3
  sbb esi, eax
  xor edi, edx
  push edi
  add ebp, [esp]
  pop edi
  ror ebp, 5
  xchg eax, ebp
  loop .mix
  xor eax, ebx
  xor eax, edx
  xor eax, esi
  xor eax, edi
  xor eax, ebp
  mov [0x8000], eax
  ${EXIT}`;

describe('Host: round-robin slices with world switches', () => {
  it('three hello VMs on 97-instruction slices each print exactly hello.expected and exit with status 1, through many world switches', () => {
    const host = new Host({ sliceInstructions: 97 });
    const guests = [helloVm(), helloVm(), helloVm()];
    guests.forEach((g, i) => host.add(`vm${i}`, g.vm));
    expect(host.run()).toBeNull();
    for (const [i, g] of guests.entries()) {
      expect(g.out(), `vm${i}`).toBe(expectedOutput(hello));
      expect(host.vms[i].end).toEqual({ kind: 'exit', status: 1 });
      expect(host.vms[i].slices).toBeGreaterThan(2);
    }
    // Every slice but each VM's last ends with a switch out, every slice but the first starts with a switch in.
    const slices = host.vms.reduce((n, h) => n + h.slices, 0);
    expect(host.worldSwitches).toBe(2 * (slices - 3));
    expect(host.running).toEqual([]);
  });

  it('a register- and flag-mixing guest computes the same result through world switches every 97 instructions as in one uninterrupted run', () => {
    const alone = guestVm(MIXER);
    expect(alone.run(10_000_000)).toEqual({ kind: 'exit', status: 1 });
    const host = new Host({ sliceInstructions: 97 });
    const switched = guestVm(MIXER);
    host.add('mixer', switched);
    host.run();
    expect(host.vms[0].end).toEqual({ kind: 'exit', status: 1 });
    expect(host.worldSwitches).toBeGreaterThan(1000);
    expect(peek(switched, 0x8000)).toBe(peek(alone, 0x8000));
    expect(switched.cpu.icount).toBe(alone.cpu.icount);
  });

  it('between slices the processor holds the VMM host state (CPL 0, flat segments, the VMM tables, registers cleared), not the guest', () => {
    const vm = guestVm(`mov eax, 0x11111111\nmov ebx, 0x22222222\n.spin: jmp .spin`);
    const area = WorldSwitchArea.for(vm);
    expect(vm.run(100)).toEqual({ kind: 'limit' });
    const eip = vm.cpu.eip;
    switchOut(vm, area);
    const cpu = vm.cpu;
    expect(cpu.cpl).toBe(0);
    expect(Array.from(cpu.regs.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(cpu.eip).toBe(0);
    expect(cpu.segs[SegReg.CS].selector).toBe(0x08);
    expect(cpu.segs[SegReg.CS].limit >>> 0).toBe(0xffffffff);
    expect(cpu.gdtr.base).toBe(VMM_AREA_LINEAR);
    expect(() => switchOut(vm, area)).toThrow(/already switched out/);
    expect(switchIn(vm, area)).toEqual([]);
    expect(cpu.cpl).toBe(1);
    expect(cpu.regs[0] >>> 0).toBe(0x11111111);
    expect(cpu.regs[3] >>> 0).toBe(0x22222222);
    expect(cpu.eip).toBe(eip);
  });

  it('between slices the VMM runs paged on its own directory: its GDT, IDT and TSS bases are linear 0xFFC00000 + offset and translate to its reserved frames, no guest page is mapped', () => {
    const vm = guestVm(`.spin: jmp .spin`);
    const area = WorldSwitchArea.for(vm);
    expect(vm.run(50)).toEqual({ kind: 'limit' });
    switchOut(vm, area);
    const cpu = vm.cpu;
    const rb = vm.reservedBase;
    expect(cpu.cr0 & CR0_PG).not.toBe(0);
    expect(cpu.cr3).toBe(vm.hostDirectory());
    expect(area.record.read(VMCS.HOST_CR3)).toBe(vm.hostDirectory());
    expect(area.record.read(VMCS.HOST_GDTR_BASE)).toBe(VMM_AREA_LINEAR + SHADOW_GDT_OFFSET);
    expect(area.record.read(VMCS.HOST_IDTR_BASE)).toBe(VMM_AREA_LINEAR + VMM_IDT_OFFSET);
    expect(area.record.read(VMCS.HOST_TR_BASE)).toBe(VMM_AREA_LINEAR + VMM_TSS_OFFSET);
    expect(probeTranslate(cpu, cpu.gdtr.base)).toBe(rb + SHADOW_GDT_OFFSET);
    expect(probeTranslate(cpu, cpu.idtr.base)).toBe(rb + VMM_IDT_OFFSET);
    expect(probeTranslate(cpu, cpu.tr.base)).toBe(rb + VMM_TSS_OFFSET);
    // The processor reads the TSS descriptor through the GDT at its linear base: it names the TSS TR holds.
    const d = decodeDescriptor(readSys32(cpu, cpu.gdtr.base + VMM_TSS_SELECTOR), readSys32(cpu, cpu.gdtr.base + VMM_TSS_SELECTOR + 4));
    expect(d.base >>> 0).toBe(cpu.tr.base >>> 0);
    // Only the VMM's area is mapped: guest RAM is not reachable from the VMM's directory.
    expect(probeTranslate(cpu, 0)).toBe(-1);
    expect(probeTranslate(cpu, 0x100000)).toBe(-1);
    switchIn(vm, area);
    expect(vm.run(50)).toEqual({ kind: 'limit' });
  });

  it('a VM that the VMM stops (triple fault) leaves the schedule and the others run to their full output', () => {
    const host = new Host({ sliceInstructions: 500 });
    const a = helloVm();
    // An IDT of limit 0: the #UD cannot be delivered, nor the #DF: triple fault.
    const bad = guestVm(`lidt [idtr]\nud2\nidtr: dw 0\ndd 0`);
    const b = helloVm();
    host.add('a', a.vm);
    host.add('bad', bad);
    host.add('b', b.vm);
    host.run();
    expect(host.vms[1].end?.kind).toBe('stopped');
    expect((host.vms[1].end as { message: string }).message).toMatch(/triple fault/);
    expect(host.vms[1].slices).toBe(1);
    expect(a.out()).toBe(expectedOutput(hello));
    expect(b.out()).toBe(expectedOutput(hello));
  });

  it('maxInstructionsPerVm ends a guest that never exits with limit while the other VM exits normally', () => {
    const host = new Host({ sliceInstructions: 1000, maxInstructionsPerVm: 50_000 });
    const spin = guestVm('.spin: jmp .spin');
    const h = helloVm();
    host.add('spin', spin);
    host.add('hello', h.vm);
    host.run();
    expect(host.vms[0].end).toEqual({ kind: 'limit', instructions: 50_000 });
    expect(spin.cpu.icount).toBe(50_000);
    expect(host.vms[1].end).toEqual({ kind: 'exit', status: 1 });
  });

  it('a requestStop pauses the host with that VM still scheduled; the next run resumes with the next VM', () => {
    const host = new Host({ sliceInstructions: 1000 });
    const a = helloVm();
    const b = helloVm();
    host.add('a', a.vm);
    host.add('b', b.vm);
    a.vm.requestStop('look');
    const paused = host.run();
    expect(paused?.hosted.name).toBe('a');
    expect(paused?.stop).toEqual({ kind: 'request', why: 'look' });
    expect(host.running.length).toBe(2);
    expect(host.runSlice()?.hosted.name).toBe('b');
    host.run();
    expect(a.out()).toBe(expectedOutput(hello));
    expect(b.out()).toBe(expectedOutput(hello));
  });

  it('a breakpoint pauses the host with every scheduled VM switched in: each cpu and guestState() show its guest (registers, EIP, CR0, GDTR), not the VMM; resuming switches them out again and all run to their end', () => {
    const host = new Host({ sliceInstructions: 97 });
    // A: counts in EBX forever until it has counted 3000; B: counts in ECX and reaches `mark` after 2000.
    const a = guestVm(`mov eax, 0xaaaa0001\n.l: inc ebx\ncmp ebx, 3000\njne .l\n${EXIT}`);
    const b = guestVm(`mov eax, 0xbbbb0002\n.l: inc ecx\ncmp ecx, 2000\njne .l\nmark: nop\n${EXIT}`);
    host.add('a', a);
    host.add('b', b);
    const mark = ORIGIN + 5 + 1 + 6 + 2; // mov eax, imm32 (5) + inc ecx (1) + cmp ecx, imm32 (6) + jne rel8 (2)
    b.setBreakpoints([mark]);
    const paused = host.run();
    expect(paused?.hosted.name).toBe('b');
    expect(paused?.stop.kind).toBe('breakpoint');
    expect(host.paused).toBe(true);
    for (const [vm, eax] of [[a, 0xaaaa0001], [b, 0xbbbb0002]] as const) {
      expect(host.vms.find((h) => h.vm === vm)!.area.switchedOut).toBe(false);
      expect(vm.cpu.cpl).toBe(1); // the guest kernel's ring under 0/1/3, not the VMM's CPL 0
      expect(vm.cpu.regs[0] >>> 0).toBe(eax);
      const r = vm.guestState();
      expect(r.read(VMCS.GUEST_RIP)).toBeGreaterThanOrEqual(ORIGIN);
      expect(r.read(VMCS.GUEST_RIP)).toBeLessThan(ORIGIN + 0x40);
      expect(r.read(VMCS.GUEST_CS_SELECTOR) & 0xfff8).toBe(0x08);
      expect(r.read(VMCS.GUEST_GDTR_BASE)).toBe(vm.state.gdtr.base);
      expect(r.read(VMCS.GUEST_CR0) & CR0_PG).toBe(0);
    }
    expect(b.guestState().read(VMCS.GUEST_RIP)).toBe(mark);
    expect(b.cpu.regs[1]).toBe(2000);
    const aCount = a.cpu.regs[3];
    expect(aCount).toBeGreaterThan(0);
    b.setBreakpoints([]);
    // Resuming: the next VM in turn (a) runs; b is switched out meanwhile.
    expect(host.runSlice()?.hosted.name).toBe('a');
    expect(host.paused).toBe(false);
    expect(host.vms[1].area.switchedOut).toBe(true);
    expect(b.cpu.cpl).toBe(0);
    expect(host.run()).toBeNull();
    expect(host.vms.map((h) => h.end)).toEqual([{ kind: 'exit', status: 1 }, { kind: 'exit', status: 1 }]);
    expect(a.cpu.regs[3]).toBe(3000);
  });

  it('refuses a VM added twice and a slice of 0 instructions', () => {
    const host = new Host();
    const vm = guestVm(EXIT);
    host.add('x', vm);
    expect(() => host.add('y', vm)).toThrow(/shares its memory or processor with 'x'/);
    expect(() => new Host({ sliceInstructions: 0 })).toThrow(RangeError);
  });
});

/**
 * Loads FS from a descriptor whose base is probe_a, rewrites that GDT entry to base probe_b
 * and LGDTs again (the VMM rebuilds its shadow GDT; FS keeps its hidden base), spins across
 * several slices, then stores FS:[0] at 0x8000.
 */
const FS_CASE = `
%define P(x) ((x) - $$ + 0x100000)
  lgdt [gdtr]
  jmp 0x08:.cs
.cs:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov ax, 0x18
  mov fs, ax
  mov word [gdt + 0x18 + 2], P(probe_b) & 0xffff
  mov byte [gdt + 0x18 + 4], (P(probe_b) >> 16) & 0xff
  lgdt [gdtr]
  mov ecx, 3000
.spin:
  loop .spin
  mov eax, [fs:0]
  mov [0x8000], eax
  ${EXIT}
  align 8
gdt:
  dq 0
  dw 0xffff, 0
  db 0, 0x9b, 0xcf, 0
  dw 0xffff, 0
  db 0, 0x93, 0xcf, 0
  dw 0x0fff, P(probe_a) & 0xffff
  db (P(probe_a) >> 16) & 0xff, 0x93, 0x40, 0
gdt_end:
gdtr:
  dw gdt_end - gdt - 1
  dd gdt
  align 4
probe_a: dd 0x11111111
probe_b: dd 0x22222222`;

/** `vm` as a GuestVm whose preserveHiddenState setting is `preserve` (whatever the VM itself does after its exits). */
function withSetting(vm: TrapAndEmulateVm, preserve: boolean): GuestVm & { preserveHiddenState: boolean } {
  return {
    vmm: vm.vmm,
    ringModel: vm.ringModel,
    cpu: vm.cpu,
    memory: vm.memory,
    monitor: vm.monitor,
    preserveHiddenState: preserve,
    run: (n) => vm.run(n),
    requestStop: (why) => vm.requestStop(why),
    setBreakpoints: (l) => vm.setBreakpoints(l),
    guestState: (into) => vm.guestState(into),
  };
}

describe('world switch and hidden segment state', () => {
  it('preserving hidden state (VT-x style), FS keeps the base it was loaded with across world switches: FS:[0] = probe_a', () => {
    const host = new Host({ sliceInstructions: 500 });
    const vm = guestVm(FS_CASE);
    host.add('fs', withSetting(vm, true));
    host.run();
    expect(host.vms[0].end).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, 0x8000)).toBe(0x11111111);
    expect(host.vms[0].hiddenStateLossCount).toBe(0);
  });

  it('restoring segments by reloading them (pre-VT), the world switch gives FS the moved descriptor: FS:[0] = probe_b, and the loss names FS', () => {
    const host = new Host({ sliceInstructions: 500 });
    const vm = guestVm(FS_CASE);
    host.add('fs', withSetting(vm, false));
    host.run();
    expect(host.vms[0].end).toEqual({ kind: 'exit', status: 1 });
    expect(peek(vm, 0x8000)).toBe(0x22222222);
    const fs = host.vms[0].hiddenStateLosses.find((l) => l.register === 'FS');
    expect(fs).toBeDefined();
    expect(fs!.selector).toBe(0x18);
    expect(fs!.reloaded.base).not.toBe(fs!.saved.base);
    // The loss is a 'hidden-state-lost' virtualization hole of the VM, marked as a world switch's.
    const hole = vm.holes.recent().find((h) => h.kind === 'hidden-state-lost' && h.details.segment === SegReg.FS);
    expect(hole).toBeDefined();
    expect(hole!.mnemonic).toBe('MOV FS (VMM reload)');
    expect(hole!.details).toMatchObject({ selector: 0x18, savedBase: fs!.saved.base >>> 0, reloadedBase: fs!.reloaded.base >>> 0, atWorldSwitch: true });
    expect(vm.holes.countsByKind()['hidden-state-lost']).toBe(host.vms[0].hiddenStateLossCount);
  });
});
