import { describe, expect, it } from 'vitest';
import { EFLAGS_IF } from '../../../emulator/arch/eflags';
import { SegReg } from '../../../emulator/arch/segments';
import { BDA } from '../../../emulator/machine/bios/bda';
import { BiosEntry } from '../../../emulator/machine/bios/rom';
import { Machine, type UnassignedAccess } from '../../../emulator/machine/machine';
import { bootSectorMachine, PRINT_E9 } from './guest';

/** UART on COM1: 8N1 at 115200 baud, then print the string at DS:SI, then wait until it has left. */
const UART_PRINT = `
%macro uart_init 0
  mov dx, 0x3fb
  mov al, 0x80
  out dx, al      ; DLAB
  mov dx, 0x3f8
  mov al, 1
  out dx, al      ; divisor 1: 115200 baud
  inc dx
  xor al, al
  out dx, al
  mov dx, 0x3fb
  mov al, 0x03
  out dx, al      ; 8N1
%endmacro
%macro uart_puts 1
  jmp %%over
%%msg: db %1, 0
%%over:
  mov si, %%msg
%%next:
  lodsb
  test al, al
  jz %%drain
  mov ah, al
  mov dx, 0x3fd
%%wait:
  in al, dx
  test al, 0x20   ; THRE
  jz %%wait
  mov dx, 0x3f8
  mov al, ah
  out dx, al
  jmp %%next
%%drain:
  mov dx, 0x3fd
%%empty:
  in al, dx
  test al, 0x40   ; TEMT
  jz %%empty
%endmacro
`;

describe('Machine: running a guest', () => {
  it('printsThroughTheUartAndPortE9_andStopsWithTheDebugExitStatus', () => {
    const t = bootSectorMachine(`
${UART_PRINT}
${PRINT_E9}
  uart_init
  uart_puts "hello, COM1"
  print_e9 "hello, E9"
  mov al, 0x10
  out 0xf4, al
  jmp $
`);
    const stop = t.machine.run(10_000_000);
    expect(stop).toEqual({ kind: 'exit', status: 0x21 });
    expect(t.machine.exitStatus).toBe(0x21);
    expect(t.serial()).toBe('hello, COM1');
    expect(t.e9()).toBe('hello, E9');
  });

  it('entersTheBootSectorInRealModeAt0000_7C00_withDlTheDriveAndInterruptsOn', () => {
    const t = bootSectorMachine('jmp $');
    const cpu = t.machine.cpu;
    expect(cpu.segs[SegReg.CS].selector).toBe(0);
    expect(cpu.eip).toBe(0x7c00);
    expect(cpu.regs8[8]).toBe(0x00); // DL
    expect(cpu.regs16[0]).toBe(0xaa55); // AX
    expect(cpu.flags & EFLAGS_IF).not.toBe(0);
    expect(cpu.cr0 & 1).toBe(0);
  });

  it('returnsLimitAfterExactlyTheInstructionBudget_andResumesWhereItStopped', () => {
    const t = bootSectorMachine('cli\nspin: inc ax\njmp spin');
    const m = t.machine;
    const start = m.cpu.icount;
    expect(m.run(1001)).toEqual({ kind: 'limit' });
    expect(m.cpu.icount).toBe(start + 1001);
    expect(m.run(999)).toEqual({ kind: 'limit' });
    expect(m.cpu.icount).toBe(start + 2000);
    expect(m.clock.now()).toBe((start + 2000) * 10);
  });

  it('rejectsABudgetThatIsNotAFiniteWholeNumber', () => {
    const t = bootSectorMachine('jmp $');
    for (const bad of [-1, 1.5, Infinity, NaN]) expect(() => t.machine.run(bad)).toThrow(RangeError);
    expect(t.machine.run(0)).toEqual({ kind: 'limit' });
  });

  it('reportsHltWithInterruptsDisabledAsHaltedForever', () => {
    const t = bootSectorMachine('cli\nhlt\njmp $');
    const stop = t.machine.run(1000);
    expect(stop.kind).toBe('halted');
    expect(stop.kind === 'halted' && stop.reason).toMatch(/IF = 0/);
    expect(t.machine.cpu.halted).toBe(true);
  });

  it('fastForwardsThroughHltToThePitTick_sotimePassesWithoutInstructions', () => {
    // Five BIOS timer ticks (18.2 Hz, IRQ 0 → INT 08h → BDA tick count) while halted.
    const t = bootSectorMachine(`
  sti
  mov cx, 5
again:
  hlt
  loop again
  mov al, 0
  out 0xf4, al
`);
    const m = t.machine;
    const stop = m.run(100_000_000);
    expect(stop).toEqual({ kind: 'exit', status: 1 });
    expect(m.memory.read32(BDA.ticks)).toBe(5);
    const tickNs = (65536 / 1193182) * 1e9;
    expect(m.clock.now()).toBeGreaterThanOrEqual(5 * tickNs);
    expect(m.clock.now()).toBeLessThan(5 * tickNs + 10_000);
    expect(m.cpu.icount).toBeLessThan(200);
    expect(m.stats.haltedNs).toBeGreaterThan(5 * tickNs - 10_000);
    expect(m.stats.eventCount('hardware', 0x08)).toBe(5);
  });

  it('boundsHaltedTimeByTheBudget_whenEventsComeButNoInterruptCan', () => {
    // IRQ 0 masked at the PIC: PIT events keep coming, no interrupt wakes the CPU.
    const t = bootSectorMachine('mov al, 0xff\nout 0x21, al\nsti\nhlt\njmp $');
    const m = t.machine;
    expect(m.run(1_000_000)).toEqual({ kind: 'limit' });
    expect(m.cpu.halted).toBe(true);
    expect(m.clock.now()).toBe(1_000_000 * 10);
  });

  it('deliversPitInterruptsAtTheSameInstructionCountsInEveryRun_oneCountPeriodApart', () => {
    // PIT channel 0, mode 2, count 1000: IRQ 0 every 1000 / 1.193182 MHz = 838.095 µs,
    // i.e. every 83 809.5 instructions at 100 MIPS. The guest spins; its handler counts to 20.
    // It first idles 65536 instructions into the BIOS's 18.2-Hz period, so that the machine
    // is in a slice planned to end at the next BIOS tick when the PIT is reprogrammed.
    const source = `
  cli
  xor cx, cx
idle:
  loop idle
  mov word [0x08*4], handler
  mov word [0x08*4+2], 0
  mov al, 0x34
  out 0x43, al
  mov ax, 1000
  out 0x40, al
  mov al, ah
  out 0x40, al
  sti
spin:
  inc bx
  cmp word [count], 20
  jb spin
  mov al, 0
  out 0xf4, al
handler:
  inc word [count]
  push ax
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
count: dw 0
`;
    const runOnce = (): number[] => {
      const t = bootSectorMachine(source);
      const m = t.machine;
      const seen: number[] = [];
      // The count's second byte starts the counter: remember the instruction count there.
      m.io.observer = (port, _size, write) => {
        if (port === 0x40 && write) seen[0] = m.cpu.icount;
      };
      const stats = m.cpu.hooks.onEvent!;
      m.cpu.hooks.onEvent = (v, e, k, f) => {
        if (k === 'hardware' && v === 0x08) seen.push(m.cpu.icount);
        stats(v, e, k, f);
      };
      expect(m.run(10_000_000)).toEqual({ kind: 'exit', status: 1 });
      return seen;
    };
    const a = runOnce();
    const b = runOnce();
    expect(a).toHaveLength(21);
    expect(b).toEqual(a);
    // The first interrupt one period after the count was written (the PIT samples the count
    // at its next input clock pulse, at most 84 instructions later) — not at the end of the
    // slice the machine had planned before the guest reprogrammed the PIT …
    expect(a[1] - a[0] - 83809.5).toBeGreaterThanOrEqual(-1);
    expect(a[1] - a[0] - 83809.5).toBeLessThanOrEqual(85);
    // … and then one period apart, to the instruction.
    for (let k = 2; k < a.length; k++) expect(Math.abs(a[k] - a[k - 1] - 83809.5)).toBeLessThanOrEqual(1);
  });

  it('timesADelayWithPitCounter2ThroughPort61h', () => {
    // Gate counter 2 on, mode 0 with 11932 clocks (10 ms), poll OUT 2 in bit 5 of port 61h.
    const t = bootSectorMachine(`
  cli
  in al, 0x61
  and al, 0xfc
  or al, 1
  out 0x61, al
  mov al, 0xb0
  out 0x43, al
  mov ax, 11932
  out 0x42, al
  mov al, ah
  out 0x42, al
wait:
  in al, 0x61
  test al, 0x20
  jz wait
  mov al, 0
  out 0xf4, al
`);
    const m = t.machine;
    const start = m.clock.now();
    expect(m.run(10_000_000)).toEqual({ kind: 'exit', status: 1 });
    const elapsed = m.clock.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual((11932 / 1193182) * 1e9);
    expect(elapsed).toBeLessThan((11932 / 1193182) * 1e9 + 5_000);
  });

  it('stopsAtABreakpointBeforeTheInstructionRuns', () => {
    const t = bootSectorMachine('nop\nnop\nmov al, 1\nout 0xf4, al');
    t.machine.setBreakpoints([0x7c02]);
    const stop = t.machine.run(1000);
    expect(stop).toEqual({ kind: 'breakpoint', linear: 0x7c02 });
    expect(t.machine.cpu.eip).toBe(0x7c02);
  });

  it('stopsAfterAnAccessToAWatchedPort_andRecordsPostCodes', () => {
    const t = bootSectorMachine('mov al, 0x42\nout 0x80, al\nmov al, 0x43\nout 0x80, al\njmp $');
    t.machine.cpu.watchedPorts.add(0x80);
    expect(t.machine.run(1000)).toEqual({ kind: 'io', port: 0x80, write: true });
    expect(t.postCodes).toEqual([0x42]);
    expect(t.machine.run(1000)).toEqual({ kind: 'io', port: 0x80, write: true });
    expect(t.postCodes).toEqual([0x42, 0x43]);
  });

  it('returnsARequestedStopBeforeTheNextInstruction_andRunsOnAfterwards', () => {
    const t = bootSectorMachine('cli\nspin: jmp spin');
    const m = t.machine;
    m.requestStop('debugger pause');
    const at = m.cpu.icount;
    expect(m.run(1000)).toEqual({ kind: 'request', why: 'debugger pause' });
    expect(m.cpu.icount).toBe(at);
    expect(m.run(1000)).toEqual({ kind: 'limit' });
  });

  it('reportsATripleFaultAsShutdown', () => {
    // An IDTR limit of 0: INT 3 cannot be delivered (#GP), nor can #GP (#DF), nor #DF.
    const t = bootSectorMachine('lidt [idt]\nint3\njmp $\nidt: dw 0\ndd 0');
    const stop = t.machine.run(1000);
    expect(stop.kind).toBe('shutdown');
    expect(t.machine.cpu.shutdown).toBe(true);
  });

  it('countsEventsByVectorAndKind', () => {
    const t = bootSectorMachine('int 0x11\nint 0x11\nint 0x12\nmov al, 0\nout 0xf4, al');
    t.machine.run(1000);
    const s = t.machine.stats.snapshot();
    expect(s.events.software.get(0x11)).toBe(2);
    expect(s.events.software.get(0x12)).toBe(1);
    expect(s.instructions).toBe(t.machine.cpu.icount);
    expect(s.virtualNs).toBe(t.machine.clock.now());
  });

  it('readsUnclaimedPortsAsAllOnes_countsThemAndTellsTheObserver', () => {
    const t = bootSectorMachine('mov dx, 0x300\nin al, dx\nmov [0x600], al\nin ax, dx\nmov [0x602], ax\nout dx, al\nmov al, 0\nout 0xf4, al');
    const m = t.machine;
    const seen: UnassignedAccess[] = [];
    m.onUnassigned = (a) => seen.push(a);
    const before = m.stats.snapshot().unassigned;
    m.run(1000);
    expect(m.memory.read8(0x600)).toBe(0xff);
    expect(m.memory.read16(0x602)).toBe(0xffff);
    const after = m.stats.snapshot().unassigned;
    expect(after.ioReads - before.ioReads).toBe(2);
    expect(after.ioWrites - before.ioWrites).toBe(1);
    expect(seen).toEqual([
      { space: 'io', address: 0x300, size: 1, write: false },
      { space: 'io', address: 0x300, size: 2, write: false },
      { space: 'io', address: 0x300, size: 1, write: true },
    ]);
  });
});

describe('Machine: reset line and A20 gate', () => {
  const rebootTwice = (resetCode: string): ReturnType<typeof bootSectorMachine> =>
    bootSectorMachine(`
${PRINT_E9}
  cmp word [0x600], 0x1234
  je second
  mov word [0x600], 0x1234
  print_e9 "first "
  ${resetCode}
  jmp $
second:
  print_e9 "second"
  mov al, 0
  out 0xf4, al
`);

  it('theKeyboardControllerResetPulse_FEh_rebootsTheMachineFromTheDisk', () => {
    const t = rebootTwice('mov al, 0xfe\nout 0x64, al');
    expect(t.machine.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(t.e9()).toBe('first second');
  });

  it('port92hBit0RisingEdge_rebootsTheMachine', () => {
    const t = rebootTwice('in al, 0x92\nor al, 1\nout 0x92, al');
    expect(t.machine.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(t.e9()).toBe('first second');
  });

  it('aJumpToTheResetVectorIsAWarmBoot', () => {
    const t = rebootTwice('jmp 0xf000:0xfff0');
    expect(t.machine.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(t.e9()).toBe('first second');
  });

  it('resetKeepsVirtualTimeAndTheInstructionCountGoing', () => {
    const t = rebootTwice('mov al, 0xfe\nout 0x64, al');
    const m = t.machine;
    m.run(1_000_000);
    expect(m.clock.now()).toBe(m.cpu.icount * 10);
  });

  it('withA20DisabledFFFF_0010WrapsTo0_andEnabledItReaches1MiB_evenAfterTheTlbCachedThePage', () => {
    const t = bootSectorMachine(`
  mov ax, 0xffff
  mov es, ax
  mov byte [es:0x10], 0x11   ; A20 on (power-on state): 100000h
  in al, 0x92
  and al, 0xfd
  out 0x92, al               ; A20 off
  mov byte [es:0x20], 0x22   ; 100010h & ~100000h = 10h
  in al, 0x92
  or al, 2
  out 0x92, al               ; A20 on
  mov byte [es:0x30], 0x33   ; 100020h
  mov al, 0
  out 0xf4, al
`);
    const m = t.machine;
    const low10 = m.memory.read8(0x10);
    expect(m.run(1000)).toEqual({ kind: 'exit', status: 1 });
    expect(m.memory.read8(0x100000)).toBe(0x11);
    expect(m.memory.read8(0x100010)).toBe(0x00);
    expect(m.memory.read8(0x10)).toBe(0x22);
    expect(low10).not.toBe(0x22);
    expect(m.memory.read8(0x100020)).toBe(0x33);
    expect(m.memory.read8(0x20)).not.toBe(0x33);
  });

  it('the8042OutputPortDrivesA20Too_lastWriteWins', () => {
    const t = bootSectorMachine(`
  mov al, 0xd1
  out 0x64, al
  mov al, 0xcd               ; output port with bit 1 (A20) clear, bit 0 (reset) high
  out 0x60, al
  mov ax, 0xffff
  mov es, ax
  mov byte [es:0x40], 0x44   ; wraps to 30h
  mov al, 0xdf               ; A20 on
  out 0x64, al
  mov byte [es:0x50], 0x55
  mov al, 0
  out 0xf4, al
`);
    const m = t.machine;
    expect(m.run(1000)).toEqual({ kind: 'exit', status: 1 });
    expect(m.memory.read8(0x30)).toBe(0x44);
    expect(m.memory.read8(0x100040)).toBe(0x55);
  });

  it('resetReopensTheA20Gate', () => {
    const m = new Machine({ memoryMiB: 2 });
    m.memory.a20Enabled = false;
    m.reset();
    expect(m.memory.a20Enabled).toBe(true);
  });

  it('withNothingToBootTheBiosSaysSoAndHalts', () => {
    let video = '';
    const m = new Machine({ memoryMiB: 2, video: (b) => (video += String.fromCharCode(b)) });
    expect(m.cpu.segs[SegReg.CS].selector).toBe(0xf000);
    expect(m.cpu.eip).toBe(BiosEntry.int18);
    const stop = m.run(1000);
    expect(stop.kind).toBe('halted');
    expect(video).toBe('No bootable device.\r\n');
  });

  it('rejectsAMemorySizeOutside1To2048MiB', () => {
    expect(() => new Machine({ memoryMiB: 0 })).toThrow(RangeError);
    expect(() => new Machine({ memoryMiB: 4096 })).toThrow(RangeError);
    expect(() => new Machine({ memoryMiB: 1.5 })).toThrow(RangeError);
  });
});
