// A guest in flat protected mode programs the 8259A pair and PIT counter 0 (mode 2), enables
// interrupts and counts timer ticks with HLT. A small loop stands in for the machine: it
// runs the CPU in slices that end at the next Clock event, runs due callbacks, and
// fast-forwards virtual time while the CPU is halted.
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../emulator/asm/index';
import { SystemType } from '../../../emulator/arch/segments';
import { Cpu } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { DebugExit } from '../../../emulator/devices/debug-exit';
import { Pic8259Pair } from '../../../emulator/devices/pic-8259a';
import { Pit8254 } from '../../../emulator/devices/pit-8254';
import type { Clock } from '../../../emulator/machine/clock';
import { enterFlatProtectedMode, FLAT_CODE_SEL } from '../../../emulator/machine/flat-protected-mode';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';

const INSTRUCTIONS_PER_SECOND = 100e6;
const NS_PER_INSTRUCTION = 1e9 / INSTRUCTIONS_PER_SECOND;
const LOAD = 0x10000;
const IDT = 0x8000;
const DIVISOR = 1193; // about 1 ms
const TICKS = 10;

/** Virtual time from the instruction count, plus the time skipped while halted. */
class InstructionClock implements Clock {
  skipped = 0;
  private handles = 0;
  private queue: { at: number; handle: number; cb: () => void }[] = [];
  constructor(private readonly cpu: Cpu) {}
  now(): number {
    return this.cpu.icount * NS_PER_INSTRUCTION + this.skipped;
  }
  schedule(at: number, cb: () => void): number {
    this.queue.push({ at, handle: ++this.handles, cb });
    this.queue.sort((a, b) => a.at - b.at || a.handle - b.handle);
    return this.handles;
  }
  cancel(handle: number): void {
    this.queue = this.queue.filter((q) => q.handle !== handle);
  }
  nextAt(): number {
    return this.queue.length ? this.queue[0].at : Infinity;
  }
  runDue(): void {
    while (this.queue.length && this.queue[0].at <= this.now()) this.queue.shift()!.cb();
  }
}

const SOURCE = `
bits 32
org 0x${LOAD.toString(16)}
start:
    mov al, 0x11            ; ICW1: edge, cascade, ICW4 follows
    out 0x20, al
    out 0xa0, al
    mov al, 0x20            ; ICW2: IRQ 0-7 -> vectors 0x20-0x27
    out 0x21, al
    mov al, 0x28            ; IRQ 8-15 -> 0x28-0x2F
    out 0xa1, al
    mov al, 0x04            ; ICW3: slave on IR2
    out 0x21, al
    mov al, 0x02            ; slave ID 2
    out 0xa1, al
    mov al, 0x01            ; ICW4: 8086 mode, normal EOI
    out 0x21, al
    out 0xa1, al
    mov al, 0xfe            ; OCW1: only IRQ 0
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    mov al, 0x34            ; counter 0, LSB then MSB, mode 2, binary
    out 0x43, al
    mov ax, ${DIVISOR}
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
.wait:
    hlt
    cmp dword [ticks], ${TICKS}
    jb .wait
    cli
    mov al, 0               ; isa-debug-exit: status (0 << 1) | 1
    out 0xf4, al
    hlt

timer:
    push eax
    inc dword [ticks]
    mov al, 0x20            ; OCW2: non-specific EOI
    out 0x20, al
    pop eax
    iret

unexpected:
    mov al, 1
    out 0xf4, al
    hlt

ticks: dd 0
`;

describe('a guest counting PIT ticks through the PIC', () => {
  it('takes IRQ 0 as vector 0x20 once per period, at the virtual times of the PIT\'s OUT rising edges', () => {
    const asm = assemble(SOURCE, { fileName: 'timer.asm' });
    expect(asm.errors).toEqual([]);
    const sym = (name: string): number => asm.symbols.find((s) => s.name === name)!.address;

    const memory = new PhysicalMemory(1 << 20);
    const io = new IoBus();
    const cpu = new Cpu(memory, io);
    const clock = new InstructionClock(cpu);
    const pic = new Pic8259Pair().attach(io);
    new Pit8254(clock, pic).attach(io);
    const exit = new DebugExit(cpu).attach(io);
    cpu.intr = pic;
    pic.onOutputChange((level) => {
      if (level) cpu.breakBlock = true;
    });

    memory.writeBytes(LOAD, asm.bytes);
    enterFlatProtectedMode(cpu, { eip: LOAD, esp: 0x9000 });
    // IDT: 32-bit interrupt gates; vector 0x20 to the timer handler, every other to `unexpected`.
    for (let v = 0; v < 0x30; v++) {
      const offset = v === 0x20 ? sym('timer') : sym('unexpected');
      memory.write32(IDT + v * 8, (FLAT_CODE_SEL << 16) | (offset & 0xffff));
      memory.write32(IDT + v * 8 + 4, (offset & 0xffff0000) | 0x8000 | (SystemType.INTERRUPT_GATE32 << 8));
    }
    cpu.idtr.base = IDT;
    cpu.idtr.limit = 0x30 * 8 - 1;

    const interrupts: [number, number][] = [];
    cpu.hooks.onEvent = (vector, _code, kind) => interrupts.push([clock.now(), kind === 'hardware' ? vector : -vector - 1]);
    let countWrittenAt = -1;
    io.observer = (port, _size, write) => {
      if (write && port === 0x40) countWrittenAt = clock.now();
    };

    let halts = 0;
    for (let slice = 0; slice < 10_000; slice++) {
      clock.runDue();
      const next = clock.nextAt();
      const budget = next === Infinity ? 1_000_000 : Math.max(1, Math.ceil((next - clock.now()) / NS_PER_INSTRUCTION));
      const stop = run(cpu, budget);
      if (stop.kind === 'request') break;
      if (stop.kind === 'hlt') {
        // Fast-forward the halted CPU to the next event (the guest may have scheduled it in this slice).
        const wake = clock.nextAt();
        expect(wake).not.toBe(Infinity);
        halts++;
        clock.skipped += Math.max(0, wake - clock.now());
      } else {
        expect(stop.kind).toBe('limit');
      }
    }

    expect(exit.status).toBe(1);
    expect(memory.read32(sym('ticks'))).toBe(TICKS);
    // The count's MSB was written during pulse c; mode 2 loads it at c + 1 and OUT rises at the
    // end of each period: pulses c + 1 + k·N.
    const c = Number((BigInt(countWrittenAt) * 1_193_182n) / 1_000_000_000n);
    const pulseTime = (k: number): number => Number((BigInt(k) * 1_000_000_000n + 1_193_181n) / 1_193_182n);
    const expected = Array.from({ length: TICKS }, (_, i) => [pulseTime(c + 1 + (i + 1) * DIVISOR), 0x20]);
    expect(interrupts).toEqual(expected);
    // The CPU slept through the periods: a few dozen instructions per tick, not a busy loop.
    expect(halts).toBeGreaterThanOrEqual(TICKS);
    expect(cpu.icount).toBeLessThan(TICKS * 20 + 100);
  });
});
