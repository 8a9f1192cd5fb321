/**
 * Guests for the inspection tests: one NASM-syntax program (assembled by our assembler at
 * ORIGIN), run either on the bare machine (NativeVm over a Machine, entered by the flat
 * loader in protected mode) or under trap-and-emulate (TrapAndEmulateVm, entered as
 * test/unit/vmm/trap-and-emulate/guest.ts does), and stopped at an instruction breakpoint on
 * a label. Must not import vitest.
 */
import { assemble, formatDiagnostic } from '../../../emulator/asm/index';
import { Machine } from '../../../emulator/machine/machine';
import { enterFlatProtectedMode } from '../../../emulator/machine/flat-protected-mode';
import type { GuestVm } from '../../../emulator/vmm/guest-vm';
import { NativeVm } from '../../../emulator/vmm/native-vm';
import { TrapAndEmulateVm } from '../../../emulator/vmm/trap-and-emulate/vm';

export const ORIGIN = 0x100000;
export const STACK_TOP = 0x90000;

export type Kind = 'native' | 'trap-and-emulate';
export const KINDS: readonly Kind[] = ['native', 'trap-and-emulate'];

export interface TestGuest {
  vm: GuestVm;
  symbols: Map<string, number>;
  /** Address of a label (throws on a typo). */
  sym(name: string): number;
}

/** Assemble `body` (32-bit code at ORIGIN, entered at its first byte) and load it into a fresh VM of `kind`. */
export function loadGuest(kind: Kind, body: string): TestGuest {
  const r = assemble(`bits 32\norg 0x${ORIGIN.toString(16)}\n${body}\n`, { fileName: 'guest.asm' });
  if (r.errors.length > 0) throw new Error(`guest does not assemble:\n${r.errors.map(formatDiagnostic).join('\n')}`);
  let vm: GuestVm;
  if (kind === 'native') {
    const machine = new Machine({ memoryMiB: 32 });
    const load = machine.loadFlat(r.bytes, { address: ORIGIN, mode: 'protected' });
    if (!load.ok) throw new Error(`load failed: ${load.error.message}`);
    machine.cpu.regs[4] = STACK_TOP;
    vm = new NativeVm(machine);
  } else {
    const t = new TrapAndEmulateVm({ memoryMiB: 32 });
    t.memory.writeBytes(ORIGIN, r.bytes);
    enterFlatProtectedMode(t.cpu, { eip: ORIGIN, esp: STACK_TOP });
    t.enter();
    vm = t;
  }
  const symbols = new Map(r.symbols.map((s) => [s.name, s.address]));
  return {
    vm,
    symbols,
    sym(name) {
      const a = symbols.get(name);
      if (a === undefined) throw new Error(`guest has no label ${name}`);
      return a;
    },
  };
}

/** Load the guest and run it to the breakpoint at `label`; throws when it stops anywhere else. */
export function runTo(kind: Kind, body: string, label = 'here'): TestGuest {
  const g = loadGuest(kind, body);
  g.vm.setBreakpoints([g.sym(label)]);
  const stop = g.vm.run(1_000_000);
  if (stop.kind !== 'breakpoint' || stop.linear !== g.sym(label)) throw new Error(`guest stopped with ${JSON.stringify(stop)} instead of at ${label}`);
  return g;
}

/**
 * A guest that loads its own GDT (flat code 08h, flat data 10h, and a small data segment 18h
 * based at PROBE_A), loads FS with 18h, then rewrites GDT entry 3 to base PROBE_B — so FS's
 * hidden cache keeps PROBE_A while the GDT says PROBE_B (examples/sensitive.asm's FS case) —
 * sets a few registers and stops at `here`.
 */
export const PROBE_A = 0x120000;
export const PROBE_B = 0x121000;
export const SEGMENT_GUEST = `
PROBE_A equ ${PROBE_A}
PROBE_B equ ${PROBE_B}
start:
        mov     dword [PROBE_A], 0xaaaaaaaa
        mov     dword [PROBE_B], 0xbbbbbbbb
do_lgdt: lgdt   [gdtr]
        jmp     0x08:.reload
.reload:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     gs, ax
        mov     ax, 0x18
        mov     fs, ax
        mov     eax, PROBE_B
        mov     [gdt + 0x18 + 2], ax
        shr     eax, 16
        mov     [gdt + 0x18 + 4], al
        mov     [gdt + 0x18 + 7], ah
        mov     eax, 0x11223344
        mov     ebx, words
        mov     ecx, 0x80
        xor     edx, edx
        cmp     edx, edx
here:   nop
        jmp     $
        align   8
gdt:    dq      0
        dq      0x00cf9a000000ffff
        dq      0x00cf92000000ffff
        dw      0x0fff, PROBE_A & 0xffff
        db      (PROBE_A >> 16) & 0xff, 0x92, 0x00, (PROBE_A >> 24) & 0xff
gdt_end:
gdtr:   dw      gdt_end - gdt - 1
        dd      gdt
        align   16
words:  dd      0x1badb002, 0x00010003, 0xe4514ffb, 0xcafebabe
        db      'Hi!', 0
`;

/** Guest tables of PAGING_GUEST (guest-physical). */
export const PD = 0x300000;
export const PT0 = 0x301000;
export const PT1 = 0x302000;

/**
 * A guest that builds its own page tables — PD at 300000h: PDE 0 → PT0 identity-maps 0–4 MiB,
 * PDE 1 → PT1 maps linear 400000h → 500000h (read/write) and 401000h → 501000h (read-only);
 * everything user-accessible — turns paging on (CR0.PG, CR0.WP), reads 400000h and writes
 * 400004h (so shadow entries get filled under a VMM), and stops at `here`.
 */
export const PAGING_GUEST = `
start:
        mov     edi, ${PT0}
        mov     eax, 0x007
.fill:  mov     [edi], eax
        add     eax, 0x1000
        add     edi, 4
        cmp     edi, ${PT0 + 4096}
        jne     .fill
        mov     edi, ${PD}
        mov     ecx, 1024
        xor     eax, eax
        rep stosd
        mov     dword [${PD}], ${PT0} | 7
        mov     dword [${PD + 4}], ${PT1} | 7
        mov     dword [${PT1}], 0x500007
        mov     dword [${PT1 + 4}], 0x501005
        mov     dword [0x500000], 0xcafebabe
        mov     dword [0x501000], 0x0badf00d
        mov     eax, ${PD}
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80010000
        mov     cr0, eax
        mov     eax, [0x400000]
        mov     dword [0x400004], 0x12345678
        mov     ebx, [0x401000]
here:   nop
        jmp     $
`;
