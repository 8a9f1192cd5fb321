/**
 * Virtualization-hole events (issue 5, "The holes, faithfully"; docs/vmm-design.md "Holes as
 * events"): each sensitive, unprivileged instruction the guest executes and that shows it
 * something bare hardware would not (cpu/sensitive.ts reports them through
 * `CpuHooks.onSensitive`; the VMM decides which are holes) is kept here as a
 * `virtualization-hole` event — kind, instruction, guest EIP, what was revealed or ignored —
 * for the debugger and the editor: counted per kind, the last `capacity` kept in order, and
 * passed to listeners as they happen.
 */
import { SegReg } from '../arch/segments';
import type { Cpu } from '../cpu/cpu';
import { HOLE_KINDS, type HoleKind, type SensitiveEvent } from '../cpu/sensitive';
import type { HiddenStateLoss } from './guest-state';

/** One hole the guest stepped into. */
export interface VirtualizationHole extends SensitiveEvent {
  /** Always 'virtualization-hole' (the event's name for the debugger and the editor). */
  type: 'virtualization-hole';
  /** 0 for the first hole recorded since the last reset, then 1, 2 … */
  seq: number;
  /** Host instructions retired before the one that stepped into the hole (`Cpu.icount`). */
  icount: number;
}

/** Receives each hole as it is recorded. */
export type HoleListener = (hole: VirtualizationHole) => void;

/** Default number of holes kept (older ones are dropped; the counters keep counting). */
export const HOLE_LOG_CAPACITY = 256;

/** A VM's virtualization-hole events: counts per kind, the last `capacity` in order, listeners (file header). */
export class HoleLog {
  private readonly ring: VirtualizationHole[] = [];
  private next = 0;
  private readonly listeners = new Set<HoleListener>();
  private readonly byKind = new Map<HoleKind, number>(HOLE_KINDS.map((k) => [k, 0]));
  /** Holes recorded since the last reset. */
  total = 0;

  /** @param capacity how many of the most recent holes `recent()` keeps (≥ 1). */
  constructor(readonly capacity = HOLE_LOG_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError(`HoleLog capacity must be at least 1, got ${capacity}`);
  }

  /** Record one hole: count it, keep it (dropping the oldest beyond capacity), tell the listeners. */
  record(event: SensitiveEvent, icount: number): VirtualizationHole {
    const hole: VirtualizationHole = { type: 'virtualization-hole', ...event, seq: this.total, icount };
    this.total++;
    this.byKind.set(event.kind, (this.byKind.get(event.kind) ?? 0) + 1);
    if (this.ring.length < this.capacity) this.ring.push(hole);
    else {
      this.ring[this.next] = hole;
      this.next = (this.next + 1) % this.capacity;
    }
    for (const l of this.listeners) l(hole);
    return hole;
  }

  /** The most recent holes, oldest first (at most `capacity`). */
  recent(): VirtualizationHole[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  /** Holes recorded per kind since the last reset (every kind present, 0 when none). */
  countsByKind(): Record<HoleKind, number> {
    return Object.fromEntries(HOLE_KINDS.map((k) => [k, this.byKind.get(k) ?? 0])) as Record<HoleKind, number>;
  }

  /** Call `listener` for every hole recorded from now on; returns the function that removes it. */
  onHole(listener: HoleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget the recorded holes and the counters (listeners stay). */
  reset(): void {
    this.ring.length = 0;
    this.next = 0;
    this.total = 0;
    for (const k of HOLE_KINDS) this.byKind.set(k, 0);
  }
}

/** Segment numbers of `HiddenStateLoss.register` in the event's `segment` detail (SegReg order; LDTR 6, TR 7, as the VMCS orders them). */
const SEGMENT_NUMBER: Record<HiddenStateLoss['register'], number> = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 };

/**
 * The `virtualization-hole` event of kind 'hidden-state-lost' (cpu/sensitive.ts) for one segment
 * register whose hidden cache a VMM's reload changed (guest-state.ts `restoreByReloading`; SDM
 * Vol. 3A §3.4.3: only a segment load fills the cache, so bare hardware would have kept it).
 * @param loss the register, its selector, the cache the guest had (`saved`) and the reloaded one
 * @param cpu the processor holding the guest state just restored: EIP and CS.base say where the guest resumes
 * @param where 'exit' (a reload after a VM exit) or 'world-switch' (a reload at a switch-in)
 * @returns mnemonic 'MOV FS (VMM reload)' ('LLDT …' / 'LTR …' for LDTR / TR); details: `segment`
 *   (0–7, see SEGMENT_NUMBER), `selector`, `savedBase`, `savedLimit`, `savedAr`, `reloadedBase`,
 *   `reloadedLimit`, `reloadedAr` (uint32, limits in bytes), `atWorldSwitch`
 */
export function hiddenStateHole(loss: HiddenStateLoss, cpu: Cpu, where: 'exit' | 'world-switch'): SensitiveEvent {
  const r = loss.register;
  const mnemonic = r === 'LDTR' ? 'LLDT (VMM reload)' : r === 'TR' ? 'LTR (VMM reload)' : `MOV ${r} (VMM reload)`;
  const eip = cpu.eip >>> 0;
  return {
    kind: 'hidden-state-lost',
    mnemonic,
    eip,
    linearEip: (cpu.segs[SegReg.CS].base + eip) >>> 0,
    details: {
      segment: SEGMENT_NUMBER[r],
      selector: loss.selector,
      savedBase: loss.saved.base >>> 0,
      savedLimit: loss.saved.limit >>> 0,
      savedAr: loss.saved.ar,
      reloadedBase: loss.reloaded.base >>> 0,
      reloadedLimit: loss.reloaded.limit >>> 0,
      reloadedAr: loss.reloaded.ar,
      atWorldSwitch: where === 'world-switch',
    },
  };
}
