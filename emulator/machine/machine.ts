/**
 * A Vanderpool virtual machine: a small PC built around the IA-32 core.
 *
 *   RAM (PhysicalMemory, `memoryMiB`)      port I/O (IoBus)          MMIO (PhysicalMemory.mapMmio)
 *   8259A PIC pair → CPU INTR              8254 PIT (IRQ 0)          16550A UART COM1 3F8h (IRQ 4)
 *   MC146818A CMOS/RTC 70h (IRQ 8)         8042 KBC 60h/64h          fast A20 gate 92h
 *   system control port B 61h (PIT gate 2) POST port 80h              port E9h debug console
 *   isa-debug-exit F4h
 *   firmware ROM at F0000h and FFFF0000h: the built-in BIOS (bios/) or a `bios` image
 *
 * Time is virtual (scheduler.ts): derived from the retired-instruction count at
 * `instructionsPerSecond`, so two runs of the same guest with the same inputs retire the
 * same instructions, take the same interrupts at the same instruction counts and print the
 * same output, whatever the host's speed.
 *
 * `run(n)` runs the CPU in slices that end at the next device event, fires the events that
 * are due, and fast-forwards virtual time over HLT to the next event, until one of the stop
 * conditions of `MachineStop` occurs. When the guest makes a device schedule an event
 * inside the running slice (reprogramming the PIT, writing a UART byte), the slice ends
 * after that instruction, so every event fires at the first instruction boundary at or
 * after its time.
 *
 * Booting (issue 4): with the built-in BIOS, `reset()` performs the POST in TypeScript and
 * then the boot step: the disk's boot sector (`disk` option), or the kernel given to
 * `loadMultiboot` / `loadElf` / `loadFlat`, or — with nothing to boot — "No bootable
 * device." and a halt. With a `bios` image, `reset()` leaves the CPU at the reset vector
 * F000:FFF0 (CS base FFFF0000h) and the firmware does the rest.
 *
 * @see IBM Personal Computer AT Technical Reference (system board I/O map, interrupt
 *      assignments); Intel SDM Vol. 3A §9.1 (processor reset state).
 */
import { EFLAGS_IF } from '../arch/eflags';
import { Cpu, type StopReason } from '../cpu/cpu';
import { codeCache, run as runCpu } from '../cpu/executor';
import { flushTlb } from '../cpu/paging';
import { FastA20Gate, PORT92_A20, PORT92_RESET, SYSTEM_CONTROL_PORT_A } from '../devices/a20-fast-gate';
import { CmosRtc, FloppyType } from '../devices/cmos-rtc';
import { DebugConsole } from '../devices/debug-console';
import { DebugExit } from '../devices/debug-exit';
import { Pic8259Pair } from '../devices/pic-8259a';
import { Pit8254 } from '../devices/pit-8254';
import { Kbc8042 } from '../devices/kbc-8042';
import { PostPort } from '../devices/post-port';
import { SystemControlPortB } from '../devices/system-control-port-b';
import { COM1_BASE, Uart16550A } from '../devices/uart-16550a';
import { loadElf32, loadFlatBinary, loadMultiboot, type FlatLoadOptions, type LoadResult, type MultibootOptions } from '../loader/index';
import type { LoadTarget } from '../loader/types';
import { IoBus } from '../memory/io-bus';
import { PhysicalMemory } from '../memory/physical-memory';
import { BuiltinBios } from './bios/bios';
import { RealMemory } from './bios/call';
import type { BiosEnv } from './bios/env';
import type { VirtualNs } from './clock';
import { DiskImage, type DiskKind } from './disk';
import { applyEntryState } from './entry';
import { mapFirmware } from './firmware';
import { Scheduler } from './scheduler';
import { MachineStats } from './stats';

export interface MachineOptions {
  /** RAM size in MiB (1 … 2048). Default 32. */
  memoryMiB?: number;
  /**
   * A firmware ROM image to run instead of the built-in BIOS (`--bios FILE`): a multiple of
   * 64 KiB, at most 16 MiB, mapped read-only just below 4 GiB and (its last 128 KiB at
   * most) just below 1 MiB; execution starts at the reset vector F000:FFF0.
   */
  bios?: Uint8Array;
  /** A raw disk image the built-in BIOS boots from and serves through INT 13h. */
  disk?: { image: Uint8Array; kind: DiskKind };
  /** Receives each byte COM1 transmits (the guest's console). */
  serial?: (byte: number) => void;
  /** Receives each byte written to the Bochs debug port E9h. */
  debugConsole?: (byte: number) => void;
  /** Receives each character the built-in BIOS prints (INT 10h teletype, its own messages). */
  video?: (byte: number) => void;
  /** Receives each POST code written to port 80h. */
  postCode?: (code: number) => void;
  /** Virtual processor speed: instructions per virtual second. Default 100e6. */
  instructionsPerSecond?: number;
  /** RTC time at power-on, Unix seconds (UTC). Default 2000-01-01 00:00:00, so runs repeat. */
  rtcStartTime?: number;
}

/** Why `Machine.run` returned. */
export type MachineStop =
  /** The instruction budget is used up (or, while halted, the equal amount of virtual time). */
  | { kind: 'limit' }
  /** The guest wrote to isa-debug-exit: `status` = (value << 1) | 1, as QEMU exits. */
  | { kind: 'exit'; status: number }
  /** Triple fault or shutdown: the processor stopped (only `reset()` leaves this state). */
  | { kind: 'shutdown'; reason: string }
  /** HLT that nothing can end: IF = 0, or no device event is scheduled. */
  | { kind: 'halted'; reason: string }
  /** An instruction breakpoint (linear address) was reached; the instruction has not run. */
  | { kind: 'breakpoint'; linear: number }
  /** An I/O instruction accessed a port in `cpu.watchedPorts` (after it completed). */
  | { kind: 'io'; port: number; write: boolean }
  /** `requestStop(why)` was called (by the host, a debugger or a device). */
  | { kind: 'request'; why: string };

/** An access to a port or physical address nobody claims (reads return all ones). */
export interface UnassignedAccess {
  space: 'io' | 'memory';
  /** Port number or physical address. */
  address: number;
  size: number;
  write: boolean;
}

type BootSource = { kind: 'none' } | { kind: 'disk' } | { kind: 'kernel'; load: (target: LoadTarget) => LoadResult };

/** Physical address of the GDT written for a protected-mode kernel entry (free memory after the BDA). */
const ENTRY_GDT_BASE = 0x500;

export class Machine {
  readonly memory: PhysicalMemory;
  readonly io = new IoBus();
  readonly cpu: Cpu;
  readonly clock: Scheduler;
  readonly pic = new Pic8259Pair();
  readonly pit: Pit8254;
  readonly portB: SystemControlPortB;
  readonly uart: Uart16550A;
  readonly cmos: CmosRtc;
  readonly kbc: Kbc8042;
  readonly fastA20: FastA20Gate;
  readonly postPort: PostPort;
  readonly debugConsole: DebugConsole;
  readonly debugExit: DebugExit;
  /** The built-in BIOS, or null when a `bios` image was given. */
  readonly bios: BuiltinBios | null;
  readonly disk: DiskImage | null;
  readonly stats: MachineStats;
  /** Exit status of the last isa-debug-exit write, or null. */
  exitStatus: number | null = null;
  /** Result of the last kernel load (`loadMultiboot`, `loadElf`, `loadFlat`). */
  lastLoad: LoadResult | null = null;
  /**
   * Called for every access to an unclaimed port or physical address (after it is counted in
   * `stats`). Off the hot path: unclaimed accesses already leave the fast paths. Memory is
   * reported byte by byte (a dword read above RAM is four 1-byte reports), ports per access.
   */
  onUnassigned: ((access: UnassignedAccess) => void) | null = null;

  private readonly video: ((byte: number) => void) | undefined;
  private bootSource: BootSource;
  private resetPending = false;
  /** A device scheduled an event inside the running slice: end the slice, run on. */
  private sliceCut = false;
  private userStop: string | null = null;

  /**
   * Build the machine and reset it (with the built-in BIOS: POST and boot from `disk`).
   * @throws RangeError for an invalid memory size, speed, disk image or firmware image
   */
  constructor(options: MachineOptions = {}) {
    const mib = options.memoryMiB ?? 32;
    if (!Number.isInteger(mib) || mib < 1 || mib > 2048) throw new RangeError(`memory size must be a whole number of MiB from 1 to 2048, not ${mib}`);
    if (options.bios && options.disk) {
      throw new RangeError('a disk image needs the built-in BIOS (its INT 13h serves the disk); a firmware image given with `bios` cannot use it');
    }
    this.memory = new PhysicalMemory(mib * 1024 * 1024);
    this.cpu = new Cpu(this.memory, this.io);
    this.clock = new Scheduler(this.cpu, options.instructionsPerSecond);
    this.disk = options.disk ? new DiskImage(options.disk.image, options.disk.kind) : null;
    this.video = options.video;
    this.stats = new MachineStats(this.cpu, this.clock, this.io, this.memory);
    this.clock.onEarlierEvent = () => {
      this.sliceCut = true;
      this.cpu.requestStop('a device event falls due inside the running slice');
    };

    // Interrupt controller → INTR. A rising output must be seen before the next instruction.
    this.cpu.intr = this.pic;
    this.pic.onOutputChange((level) => {
      if (level) this.cpu.breakBlock = true;
    });
    this.pic.attach(this.io);
    this.pit = new Pit8254(this.clock, this.pic).attach(this.io);
    this.portB = new SystemControlPortB(this.pit, this.clock).attach(this.io);
    this.uart = new Uart16550A(this.pic, this.clock, options.serial ?? null).attach(this.io, COM1_BASE);
    this.cmos = new CmosRtc(this.pic, this.clock, {
      memoryBytes: this.memory.size,
      startTime: options.rtcStartTime,
      floppyA: this.disk?.kind === 'floppy' ? (this.disk.floppyType as FloppyType) : FloppyType.None,
    }).attach(this.io);
    // A20 and the reset line. Like QEMU and Bochs, the 8042's output port and port 92h drive
    // one A20 line and the last write wins. The TLB holds addresses masked for the old state.
    const lines = { reset: () => this.requestReset(), setA20: (on: boolean) => (this.memory.a20Enabled = on) };
    this.kbc = new Kbc8042({ ...lines, irq: this.pic }).attach(this.io);
    this.fastA20 = new FastA20Gate(lines).attach(this.io);
    this.memory.a20Listener = () => flushTlb(this.cpu, true);
    this.postPort = new PostPort(options.postCode ?? null).attach(this.io);
    this.debugConsole = new DebugConsole(options.debugConsole).attach(this.io);
    this.debugExit = new DebugExit(this.cpu).attach(this.io);

    this.cpu.hooks.onEvent = (vector, _errorCode, kind) => this.stats.countEvent(vector, kind);
    this.io.unassignedObserver = (port, size, write) => this.reportUnassigned('io', port, size, write);
    this.memory.unassignedObserver = (paddr, size, write) => this.reportUnassigned('memory', paddr, size, write);

    if (options.bios) {
      this.bios = null;
      mapFirmware(this.memory, options.bios);
    } else {
      const bios = new BuiltinBios(this.biosEnv(), this.memory);
      bios.attach(this.io);
      this.bios = bios;
      mapFirmware(this.memory, bios.rom);
    }
    this.bootSource = this.disk ? { kind: 'disk' } : { kind: 'none' };
    this.reset();
  }

  /** The machine as the built-in BIOS's services see it. */
  private biosEnv(): BiosEnv {
    const mem = new RealMemory(this.memory, () => this.memory.a20Enabled);
    return {
      cpu: this.cpu,
      io: this.io,
      mem,
      disk: this.disk,
      ramBytes: this.memory.size,
      video: (byte) => this.video?.(byte),
      a20: () => this.memory.a20Enabled,
      setA20: (enabled) => this.setA20(enabled),
      requestReset: () => this.requestReset(),
      bootstrap: () => this.boot(),
    };
  }

  private reportUnassigned(space: 'io' | 'memory', address: number, size: number, write: boolean): void {
    this.onUnassigned?.({ space, address, size, write });
  }

  // ---------------------------------------------------------------------------------------
  // Reset and boot

  /**
   * RESET: the processor's reset state and every device's; the A20 gate opens. With the
   * built-in BIOS, then the POST and the boot step; with a firmware image, execution will
   * start at the reset vector. Memory keeps its contents, as on a PC. Virtual time goes on.
   */
  reset(): void {
    this.resetPending = false;
    this.cpu.reset();
    this.pic.reset();
    this.pit.reset();
    this.portB.reset();
    this.uart.reset();
    this.cmos.reset();
    this.kbc.reset();
    this.fastA20.reset();
    this.memory.a20Enabled = true;
    flushTlb(this.cpu, true);
    codeCache(this.cpu).flush();
    if (this.bios) {
      this.bios.post(COM1_BASE);
      this.boot();
    }
  }

  /** Assert the reset line at the next instruction boundary (the 8042's pulse, port 92h bit 0, a warm boot). */
  requestReset(): void {
    this.resetPending = true;
    this.cpu.requestStop('machine reset');
  }

  /** The boot step after POST (and INT 19h): enter the boot sector or the kernel, or report that there is none. */
  private boot(): void {
    const bios = this.bios;
    if (!bios) return;
    const source = this.bootSource;
    if (source.kind === 'disk') {
      bios.bootDisk();
      return;
    }
    if (source.kind === 'none') {
      bios.enterNoBootDevice();
      return;
    }
    const result = source.load(this.memory);
    this.lastLoad = result;
    if (!result.ok) {
      bios.enterNoBootDevice();
      return;
    }
    if (result.image.entry.a20) this.setA20(true);
    applyEntryState(this.cpu, result.image.entry, ENTRY_GDT_BASE);
  }

  /**
   * Make a kernel the boot program and reset the machine so that it starts: the built-in
   * BIOS's POST runs, then the loader writes the image and the CPU is put in its entry state.
   * After a guest-initiated reset the kernel is loaded again, as QEMU's `-kernel` does.
   * @returns the loader's result; on failure the machine reports "No bootable device."
   */
  private bootKernel(load: (target: LoadTarget) => LoadResult): LoadResult {
    if (!this.bios) {
      const error = { ok: false as const, error: { message: 'kernels are loaded by the built-in BIOS; a machine with a firmware image boots from its ROM' } };
      this.lastLoad = error;
      return error;
    }
    this.bootSource = { kind: 'kernel', load };
    this.reset();
    const result = this.lastLoad!;
    if (!result.ok) this.bootSource = { kind: 'none' };
    return result;
  }

  /** Boot a Multiboot kernel (ELF32 or a.out kludge; Multiboot §3.2 entry state: EAX = 2BADB002h, EBX = information). */
  loadMultiboot(image: Uint8Array, options: MultibootOptions = {}): LoadResult {
    return this.bootKernel((t) => loadMultiboot(t, image, options));
  }

  /** Boot an ELF32 executable (flat protected mode at its entry point). */
  loadElf(image: Uint8Array): LoadResult {
    return this.bootKernel((t) => loadElf32(t, image));
  }

  /** Boot a flat binary at `options.address` (real mode unless `options.mode` says protected). */
  loadFlat(image: Uint8Array, options: FlatLoadOptions): LoadResult {
    return this.bootKernel((t) => loadFlatBinary(t, image, options));
  }

  /**
   * Open or close the A20 gate the way SeaBIOS's `set_a20` does: through port 92h bit 1,
   * keeping the other bits and never setting bit 0 (the reset pulse).
   */
  setA20(enabled: boolean): void {
    const v = this.io.in(SYSTEM_CONTROL_PORT_A, 1) & ~(PORT92_A20 | PORT92_RESET);
    this.io.out(SYSTEM_CONTROL_PORT_A, 1, v | (enabled ? PORT92_A20 : 0));
  }

  // ---------------------------------------------------------------------------------------
  // Running

  /** Ask `run` to return before the next instruction with `{ kind: 'request', why }`. */
  requestStop(why: string): void {
    this.userStop ??= why;
    this.cpu.requestStop(why);
  }

  /**
   * Run the guest for at most `maxInstructions` instructions, or — while the CPU is halted —
   * the virtual time that many instructions take, firing device events on time.
   * @param maxInstructions a finite whole number ≥ 0 (a halted guest with a timer running
   *   would otherwise keep the host busy for ever)
   * @returns why it stopped; `cpu.icount` and `clock.now()` tell how far it got
   * @throws RangeError when `maxInstructions` is negative, fractional, infinite or NaN
   */
  run(maxInstructions: number): MachineStop {
    if (!Number.isSafeInteger(maxInstructions) || maxInstructions < 0) {
      throw new RangeError(`the instruction budget must be a whole number >= 0, not ${maxInstructions}`);
    }
    const cpu = this.cpu;
    const clock = this.clock;
    const endIcount = cpu.icount + maxInstructions;
    const endNs: VirtualNs = clock.now() + maxInstructions * clock.nsPerInstruction;
    for (;;) {
      if (this.resetPending) this.reset();
      clock.runDue();
      if (this.userStop !== null) return this.takeUserStop();
      if (cpu.icount >= endIcount) return { kind: 'limit' };
      const untilEvent = clock.instructionsUntilNextEvent();
      const budget = Math.min(endIcount - cpu.icount, untilEvent);
      // An event a device schedules before the slice's end cuts the slice short (sliceCut).
      clock.horizon = clock.timeAt(cpu.icount + budget);
      this.sliceCut = false;
      const stop: StopReason = runCpu(cpu, budget);
      clock.horizon = null;
      switch (stop.kind) {
        case 'limit':
          continue;
        case 'hlt': {
          if ((cpu.flags & EFLAGS_IF) === 0 && !cpu.nmiPending) {
            return { kind: 'halted', reason: 'HLT with interrupts disabled (EFLAGS.IF = 0): nothing can wake the processor' };
          }
          const next = clock.nextEventAt();
          if (next === Infinity) return { kind: 'halted', reason: 'HLT with no device event scheduled: no interrupt can arrive' };
          if (next > endNs) {
            this.stats.haltedNs += Math.max(0, endNs - clock.now());
            clock.skipTo(endNs);
            return { kind: 'limit' };
          }
          this.stats.haltedNs += Math.max(0, next - clock.now());
          clock.skipTo(next);
          continue;
        }
        case 'shutdown':
          return { kind: 'shutdown', reason: stop.reason };
        case 'breakpoint':
        case 'io':
          return stop;
        case 'request': {
          const exit = this.debugExit.status;
          if (exit !== null) {
            this.debugExit.status = null;
            this.exitStatus = exit;
            // A reset or host request made at the same time stays pending for the next run.
            return { kind: 'exit', status: exit };
          }
          if (this.resetPending) continue;
          if (this.userStop !== null) return this.takeUserStop();
          if (this.sliceCut) {
            this.sliceCut = false;
            continue;
          }
          return stop;
        }
      }
    }
  }

  private takeUserStop(): MachineStop {
    const why = this.userStop!;
    this.userStop = null;
    this.cpu.stopReason = null;
    return { kind: 'request', why };
  }

  /** Instruction breakpoints at these linear addresses (replaces the set). */
  setBreakpoints(linear: Iterable<number>): void {
    codeCache(this.cpu).setBreakpoints(linear);
  }
}
