/**
 * `vanderpool run --trace`: run the machine one instruction at a time and print, before
 * each instruction executes, one line with the retired-instruction count, CS:EIP, the
 * instruction's bytes and its NASM text as iced-x86 formats it (emulator/cpu/disasm.ts),
 * optionally followed by the general registers and EFLAGS; and one `->` line for each
 * exception or interrupt delivered.
 *
 *       icount  CS:EIP         bytes                 instruction
 *            0  0010:0010000C  BC00201000            mov esp, 0x102000
 *           57  0010:00100071  CD80                  int 0x80
 *               -> INT 80h software interrupt
 *
 * So that the printed line is the instruction that actually executes next, each step
 *   1. runs the device events that are due and lets the CPU take a pending NMI or INTR
 *      without executing anything (executor `run(cpu, 0)` delivers and returns);
 *   2. when the CPU is halted and an interrupt can wake it, lets virtual time pass to the
 *      next device event (the machine's HLT fast-forward, one event at a time);
 *   3. prints the line and runs `Machine.run(1)`. A fault raised by that instruction asks
 *      the CPU to stop right after its delivery (through `hooks.onEvent`), so the handler's
 *      first instruction gets a line of its own in the next step.
 * The trace is for small programs and short stretches: it runs at a fraction of the
 * normal speed (each step makes a disassembly through WebAssembly).
 */
import { EFLAGS_IF } from '../emulator/arch/eflags';
import { SegReg } from '../emulator/arch/segments';
import { EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, type Cpu } from '../emulator/cpu/cpu';
import { Disassembler, type IcedModule } from '../emulator/cpu/disasm';
import { run as runCpu } from '../emulator/cpu/executor';
import type { CpuFault } from '../emulator/cpu/fault';
import { getEflags } from '../emulator/cpu/flags';
import { probeTranslate } from '../emulator/cpu/paging';
import type { Machine, MachineStop } from '../emulator/machine/machine';
import type { EventKind } from '../emulator/machine/stats';
import { eventName } from './event-names';
import type { OutputSink } from './output-sink';

/** Why the tracer asks the CPU to stop after an exception's delivery. */
const TRACE_STOP = 'trace: an exception was delivered';
/** The 15-byte instruction length limit (SDM Vol. 2A §2.3.11). */
const MAX_INSTRUCTION_BYTES = 15;

const REGISTERS: [string, number][] = [
  ['EAX', EAX],
  ['EBX', EBX],
  ['ECX', ECX],
  ['EDX', EDX],
  ['ESI', ESI],
  ['EDI', EDI],
  ['EBP', EBP],
  ['ESP', ESP],
];

const hex = (v: number, digits: number): string => (v >>> 0).toString(16).toUpperCase().padStart(digits, '0');

export interface TraceOptions {
  /** Append EAX…ESP and EFLAGS (values before the instruction) to each line. */
  registers: boolean;
}

export class Tracer {
  private readonly disasm: Disassembler;
  private readonly cpu: Cpu;

  /**
   * @param machine the machine to step; its `cpu.hooks.onEvent` is wrapped (the machine's own counting still runs)
   * @param iced the loaded iced-x86 module (see disasm.ts for why it is injected)
   * @param out where the lines go
   */
  constructor(
    private readonly machine: Machine,
    iced: IcedModule,
    private readonly out: OutputSink,
    private readonly options: TraceOptions,
  ) {
    this.cpu = machine.cpu;
    this.disasm = new Disassembler(iced);
    const inner = this.cpu.hooks.onEvent;
    this.cpu.hooks.onEvent = (vector, errorCode, kind, fault) => {
      inner?.(vector, errorCode, kind, fault);
      this.event(vector, errorCode, kind, fault);
    };
  }

  /** The column header line. */
  header(): void {
    this.out.writeText(`${'icount'.padStart(10)}  ${'CS:EIP'.padEnd(13)}  ${'bytes'.padEnd(20)}  instruction\n`);
  }

  /**
   * Run one traced step: at most one instruction (or, while halted, the virtual time up to
   * the next device event).
   * @returns why the machine stopped; `limit` means "go on"
   */
  step(): MachineStop {
    const m = this.machine;
    const cpu = this.cpu;
    m.clock.runDue();
    runCpu(cpu, 0);
    if (cpu.shutdown) return m.run(1);
    if (cpu.halted) {
      const next = m.clock.nextEventAt();
      if ((cpu.flags & EFLAGS_IF) === 0 || next === Infinity) return m.run(1); // halted for good: the machine says why
      const wait = Math.max(0, next - m.clock.now());
      this.out.writeText(`${''.padStart(10)}  (halted: ${wait} ns of virtual time pass until the next device event)\n`);
      m.stats.haltedNs += wait;
      m.clock.skipTo(next);
      return { kind: 'limit' };
    }
    this.line();
    const stop = m.run(1);
    if (stop.kind === 'request' && stop.why === TRACE_STOP) return { kind: 'limit' };
    return stop;
  }

  /** Free the disassembler's WebAssembly objects. */
  dispose(): void {
    this.out.flush();
    this.disasm.dispose();
  }

  private line(): void {
    const cpu = this.cpu;
    const cs = cpu.segs[SegReg.CS];
    const code32 = cs.big;
    const eip = cpu.eip;
    const bytes = this.fetchBytes((cs.base + eip) >>> 0);
    const d = bytes.length === 0 ? null : this.disasm.disassemble(bytes, eip, code32 ? 32 : 16);
    const text = d === null ? '(not mapped: the fetch faults)' : d.text;
    const length = d === null ? 0 : Math.min(bytes.length, d.length);
    const shown = Array.from(bytes.subarray(0, length), (b) => hex(b, 2)).join('');
    let s = `${String(cpu.icount).padStart(10)}  ${hex(cs.selector, 4)}:${hex(eip, code32 ? 8 : 4).padEnd(8)}  ${shown.padEnd(20)}  ${text}`;
    if (this.options.registers) {
      s = `${s.padEnd(80)}  ${REGISTERS.map(([name, r]) => `${name}=${hex(cpu.regs[r], 8)}`).join(' ')} EFL=${hex(getEflags(cpu), 8)}`;
    }
    this.out.writeText(`${s}\n`);
  }

  /** Up to 15 bytes at a linear address, page by page without side effects; fewer where a page is not mapped. */
  private fetchBytes(linear: number): Uint8Array {
    const cpu = this.cpu;
    const out = new Uint8Array(MAX_INSTRUCTION_BYTES);
    let n = 0;
    while (n < MAX_INSTRUCTION_BYTES) {
      const lin = (linear + n) >>> 0;
      const phys = probeTranslate(cpu, lin);
      if (phys < 0) break;
      const chunk = Math.min(MAX_INSTRUCTION_BYTES - n, 0x1000 - (lin & 0xfff));
      out.set(cpu.memory.readBytes(phys, chunk), n);
      n += chunk;
    }
    return out.subarray(0, n);
  }

  private event(vector: number, errorCode: number, kind: EventKind, fault?: CpuFault): void {
    const code = errorCode >= 0 ? `(0x${hex(errorCode, 4)})` : '';
    const name = eventName(kind, vector);
    const what = kind === 'exception' ? 'exception' : kind === 'nmi' ? 'non-maskable interrupt' : `${kind} interrupt`;
    const why = fault?.reason ? `: ${fault.reason}` : '';
    this.out.writeText(`${''.padStart(10)}  -> ${name}${code} ${what}${why}\n`);
    if (kind === 'exception') this.cpu.requestStop(TRACE_STOP);
  }
}
