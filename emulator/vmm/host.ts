/**
 * `Host`: several VMs on one host processor, scheduled round-robin on time slices (issue 5,
 * "Many VMs"; docs/vmm-design.md, "One host processor, many VMs").
 *
 * Each VM (a `GuestVm`, normally a `TrapAndEmulateVm`) owns its memory — its own allocation
 * of host frames, disjoint from every other VM's by construction, since no VM is given a
 * reference to another's `PhysicalMemory` — and its own processor context (`Cpu`), devices
 * and VMM structures. The host runs them in turn: each slice is a world switch in
 * (world-switch.ts `switchIn`, VM entry loading the guest state from the VM's record), at
 * most `sliceInstructions` instructions of the guest (or, while it idles in HLT, the virtual
 * time they take: `GuestVm.run` bounds both), and a world switch out (`switchOut`: VM exit
 * saving the guest state, the VMM's host state loaded).
 *
 * A VM leaves the schedule when it ends: the guest wrote isa-debug-exit (`exit`), the VMM
 * stopped it (`stopped`: triple fault, unsupported situation, HLT nothing can end…), the bare
 * machine halted or shut down, or it used `maxInstructionsPerVm` (`limit`). An ended VM is
 * not switched out: its processor keeps the state it ended in, for the messages. The others
 * go on running to their own end. Exit statistics stay per VM (`vm.monitor.stats`).
 *
 * A breakpoint, a `requestStop` or a watched-port stop of one VM pauses the host: `run`
 * (and `runSlice`) returns it, the VM stays in the schedule, and the next `run` goes on with
 * the NEXT VM in turn.
 *
 * A paused host presents every VM's guest state (decision, docs/vmm-design.md "One host
 * processor, many VMs"): the pausing VM is not switched out, and every other VM still in the
 * schedule is switched back in (`switchIn`, VM entry from its record), so that each VM's `cpu`,
 * `guestState()` and guest-linear reads through its paging show the guest, not the VMM's host
 * state, and a debugger may inspect or write any of them as it would a VM running alone. The
 * next slice switches them out again (all but the VM whose turn it is, which simply runs).
 * These extra switches are counted in `worldSwitches` like the others; with a VM's
 * `preserveHiddenState` false they reload segments and may lose hidden state as any switch-in.
 */
import type { GuestStop, GuestVm } from './guest-vm';
import type { HiddenStateLoss } from './guest-state';
import { hiddenStateHole } from './hole-log';
import { switchIn, switchOut, WorldSwitchArea } from './world-switch';

/** Default slice: instructions a VM runs before the host switches to the next one. */
export const DEFAULT_SLICE_INSTRUCTIONS = 100_000;

export interface HostOptions {
  /** Instructions per slice (a whole number ≥ 1). Default DEFAULT_SLICE_INSTRUCTIONS. */
  sliceInstructions?: number;
  /** A VM that has run this many instructions (or their virtual time) without ending ends with `limit`. Default: no limit. */
  maxInstructionsPerVm?: number;
}

/** How a VM left the schedule. */
export type HostedVmEnd =
  | { kind: 'exit'; status: number }
  | { kind: 'stopped'; message: string }
  | { kind: 'limit'; instructions: number };

/** One VM as the host schedules it. */
export class HostedVm {
  /** Set when the VM has left the schedule. */
  end: HostedVmEnd | null = null;
  /** Slices run. */
  slices = 0;
  /** Instruction budget used: the sum of the slices' budgets that ran out (instructions or their virtual time), for `maxInstructionsPerVm`. */
  budgetUsed = 0;
  /** Segment registers whose hidden state a world switch lost (only with `preserveHiddenState: false`), the most recent last, at most HIDDEN_LOSSES_KEPT. */
  readonly hiddenStateLosses: HiddenStateLoss[] = [];
  /** All losses counted, including those no longer kept. */
  hiddenStateLossCount = 0;
  /** The world-switch record and save area of this VM. */
  readonly area: WorldSwitchArea;

  /**
   * @param index position in the schedule (0-based)
   * @param name how messages and consoles name the VM (`vm0`, a file name)
   */
  constructor(
    readonly index: number,
    readonly name: string,
    readonly vm: GuestVm,
  ) {
    this.area = WorldSwitchArea.for(vm);
  }
}

const HIDDEN_LOSSES_KEPT = 64;

/** What one slice did: which VM ran and why its `run` returned. */
export interface SliceResult {
  hosted: HostedVm;
  stop: GuestStop;
}

/**
 * Several VMs scheduled round-robin on one host processor, a world switch per slice (file
 * header). `add` VMs, then `run` until all end or one pauses (breakpoint, stop request).
 */
export class Host {
  readonly sliceInstructions: number;
  readonly maxInstructionsPerVm: number;
  private readonly hosted: HostedVm[] = [];
  /** Index into `hosted` of the VM whose turn is next. */
  private next = 0;
  /** Whether the last slice paused the host, so every scheduled VM is switched in (file header). */
  private pausedState = false;

  /** @throws RangeError when `sliceInstructions` is not a whole number ≥ 1 or `maxInstructionsPerVm` not one ≥ 1 */
  constructor(options: HostOptions = {}) {
    const slice = options.sliceInstructions ?? DEFAULT_SLICE_INSTRUCTIONS;
    if (!Number.isSafeInteger(slice) || slice < 1) throw new RangeError(`the slice must be a whole number of instructions >= 1, not ${slice}`);
    const max = options.maxInstructionsPerVm ?? Infinity;
    if (max !== Infinity && (!Number.isSafeInteger(max) || max < 1)) throw new RangeError(`the per-VM instruction limit must be a whole number >= 1, not ${max}`);
    this.sliceInstructions = slice;
    this.maxInstructionsPerVm = max;
  }

  /**
   * Add a VM, already loaded, at the end of the schedule.
   * @throws Error when the same VM (or one sharing its memory or processor) is added twice — a VM's frames must be its own
   */
  add(name: string, vm: GuestVm): HostedVm {
    for (const h of this.hosted) {
      if (h.vm === vm || h.vm.memory === vm.memory || h.vm.cpu === vm.cpu) throw new Error(`host: '${name}' shares its memory or processor with '${h.name}'; every VM must own its own`);
    }
    const h = new HostedVm(this.hosted.length, name, vm);
    this.hosted.push(h);
    return h;
  }

  /** Every VM added, in schedule order (ended ones included). */
  get vms(): readonly HostedVm[] {
    return this.hosted;
  }

  /** The VMs still in the schedule. */
  get running(): HostedVm[] {
    return this.hosted.filter((h) => h.end === null);
  }

  /** World switches made so far, in and out, over all VMs. */
  get worldSwitches(): number {
    let n = 0;
    for (const h of this.hosted) n += h.area.switches;
    return n;
  }

  /**
   * Run one slice of the next VM in round-robin order (see the file header).
   * @returns the VM and why its run returned, or null when no VM is left in the schedule
   */
  runSlice(): SliceResult | null {
    const count = this.hosted.length;
    let h: HostedVm | undefined;
    for (let k = 0; k < count; k++) {
      const candidate = this.hosted[(this.next + k) % count];
      if (candidate.end === null) {
        h = candidate;
        this.next = (candidate.index + 1) % count;
        break;
      }
    }
    if (h === undefined) return null;
    if (this.pausedState) {
      // Resuming: the VMs switched in to present their state give the processor back.
      this.pausedState = false;
      for (const o of this.hosted) if (o !== h && o.end === null && !o.area.switchedOut) switchOut(o.vm, o.area);
    }
    this.enter(h);
    const budget = Math.min(this.sliceInstructions, this.maxInstructionsPerVm - h.budgetUsed);
    const stop = h.vm.run(budget);
    h.slices++;
    switch (stop.kind) {
      case 'exit':
        h.end = { kind: 'exit', status: stop.status };
        return { hosted: h, stop };
      case 'stopped':
        h.end = { kind: 'stopped', message: stop.message };
        return { hosted: h, stop };
      case 'halted':
      case 'shutdown':
        h.end = { kind: 'stopped', message: `${stop.kind === 'shutdown' ? 'shutdown' : 'halted'}: ${stop.reason}` };
        return { hosted: h, stop };
      case 'limit':
        h.budgetUsed += budget;
        if (h.budgetUsed >= this.maxInstructionsPerVm) {
          h.end = { kind: 'limit', instructions: this.maxInstructionsPerVm };
          return { hosted: h, stop };
        }
        break;
      case 'breakpoint':
      case 'request':
      case 'io':
        this.pause();
        return { hosted: h, stop };
      default:
        break;
    }
    switchOut(h.vm, h.area);
    return { hosted: h, stop };
  }

  /**
   * Whether the last slice paused the host (a breakpoint, `requestStop` or watched port): every
   * VM still in the schedule is then switched in and presents its guest state (file header)
   * until the next slice.
   */
  get paused(): boolean {
    return this.pausedState;
  }

  /** Switch every scheduled VM in (the pausing one is still in): see the file header. */
  private pause(): void {
    this.pausedState = true;
    for (const o of this.hosted) if (o.end === null) this.enter(o);
  }

  /** World switch into `h` (nothing when it is in already), keeping its hidden-state losses and reporting each as a hole. */
  private enter(h: HostedVm): void {
    const losses = switchIn(h.vm, h.area);
    if (losses.length === 0) return;
    h.hiddenStateLossCount += losses.length;
    h.hiddenStateLosses.push(...losses);
    if (h.hiddenStateLosses.length > HIDDEN_LOSSES_KEPT) h.hiddenStateLosses.splice(0, h.hiddenStateLosses.length - HIDDEN_LOSSES_KEPT);
    // Each loss is also a virtualization hole of the VM (hole-log.ts `hiddenStateHole`).
    const holes = h.vm.monitor?.holes;
    if (holes !== undefined) for (const loss of losses) holes.record(hiddenStateHole(loss, h.vm.cpu, 'world-switch'), h.vm.cpu.icount);
  }

  /**
   * Run slices until every VM has ended, or one stops for a breakpoint, a request or a
   * watched port (returned), or `maxSlices` slices have run.
   * @returns the pausing slice, or null when the schedule is empty or `maxSlices` ran
   */
  run(maxSlices = Infinity): SliceResult | null {
    for (let n = 0; n < maxSlices; n++) {
      const r = this.runSlice();
      if (r === null) return null;
      const k = r.stop.kind;
      if (k === 'breakpoint' || k === 'request' || k === 'io') return r;
    }
    return null;
  }
}
