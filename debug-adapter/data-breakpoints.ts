/**
 * Data breakpoints (DAP `dataBreakpointInfo`, `setDataBreakpoints`) on guest-linear or
 * guest-physical bytes, with access types read, write and readWrite, through the emulator's
 * page-granular watchpoints (emulator/cpu/watchpoints.ts: only pages with watched bytes leave
 * the fast paths).
 *
 * Data ids: 'lin:0x00102000/4' or 'phys:0x00003000/4' (space, address, byte length). A
 * guest-linear watch is translated through the guest's page tables when it is armed (at each
 * resume), so it follows the mapping in force when the guest was last stopped.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DataWatchpoints, type DataWatch } from '../emulator/cpu/watchpoints';
import { parseMemoryReference, translateGuest } from '../emulator/inspect/guest-memory';
import { AdapterError, hex32 } from './errors';
import { hitConditionMet, hitConditionProblem } from './breakpoints';
import { evaluateNumber } from './evaluate';
import type { Target } from './launch';

interface DataSpec {
  id: number;
  space: 'lin' | 'phys';
  address: number;
  length: number;
  access: 'read' | 'write' | 'readWrite';
  condition?: string;
  hitCondition?: string;
  hits: number;
}

const ID = /^(lin|phys):0x([0-9a-f]+)\/(\d+)$/i;

/**
 * The session's data breakpoints and one `DataWatchpoints` per VM (see the file header).
 * `onHit` receives the VM, a description naming access, size and addresses, and the breakpoint id.
 */
export class DataBreakpoints {
  private specs: DataSpec[] = [];
  private nextId = 100_000;
  private readonly watchers = new Map<number, DataWatchpoints>();

  constructor(private readonly onHit: (target: Target, description: string, id: number) => void) {}

  /** Install the watchpoint listener on a new VM. */
  attach(t: Target): void {
    const w = new DataWatchpoints(t.vm.cpu, t.vm.memory);
    w.onHit = (hit) => {
      const spec = this.specs.find((s) => s.id === hit.watch.id);
      if (!spec) return;
      if (spec.condition) {
        try {
          if (evaluateNumber(t, spec.condition) === 0) return;
        } catch {
          // A condition that cannot be evaluated stops, as for other breakpoints.
        }
      }
      spec.hits++;
      if (spec.hitCondition && !hitConditionMet(spec.hitCondition, spec.hits)) return;
      const lin = spec.space === 'lin' ? spec.address + (hit.paddr - hit.watch.paddr) : null;
      const what = `${hit.write ? 'write' : 'read'} of ${hit.size} byte${hit.size === 1 ? '' : 's'} at ${lin !== null ? `linear ${hex32(lin)} (physical ${hex32(hit.paddr)})` : `physical ${hex32(hit.paddr)}`}`;
      this.onHit(t, `data breakpoint ${spec.space}:${hex32(spec.address)}/${spec.length}: ${what}`, spec.id);
    };
    this.watchers.set(t.threadId, w);
  }

  /** The watchpoints of a VM (to disarm while the adapter itself writes guest memory). */
  watcher(t: Target): DataWatchpoints | undefined {
    return this.watchers.get(t.threadId);
  }

  /** `dataBreakpointInfo`: a memory reference or an address expression; `bytes` (default 4) is the length. */
  info(t: Target | undefined, args: DebugProtocol.DataBreakpointInfoArguments): DebugProtocol.DataBreakpointInfoResponse['body'] {
    const length = args.bytes ?? 4;
    const text = args.name;
    let space: 'lin' | 'phys' = 'lin';
    let address: number;
    try {
      const ref = parseMemoryReference(text);
      space = ref.space;
      address = ref.address;
    } catch {
      if (!t) return { dataId: null, description: 'stop the guest first: the address expression needs its registers' };
      try {
        address = evaluateNumber(t, text);
      } catch (e) {
        return { dataId: null, description: `'${text}' is not a memory reference or an address expression: ${(e as Error).message}` };
      }
    }
    return {
      dataId: `${space}:0x${(address >>> 0).toString(16).padStart(8, '0')}/${length}`,
      description: `${length} byte${length === 1 ? '' : 's'} at guest-${space === 'lin' ? 'linear' : 'physical'} ${hex32(address)}`,
      accessTypes: ['read', 'write', 'readWrite'],
      canPersist: true,
    };
  }

  /** Replace the data breakpoints; returns them verified, or with the reason they cannot be set. */
  set(requested: readonly DebugProtocol.DataBreakpoint[]): DebugProtocol.Breakpoint[] {
    this.specs = [];
    return requested.map((b) => {
      const id = this.nextId++;
      const m = ID.exec(b.dataId);
      if (!m) return { id, verified: false, message: `data id '${b.dataId}' is not 'lin:0x…/N' or 'phys:0x…/N'` };
      const length = Number(m[3]);
      if (length < 1 || length > 0x10000) return { id, verified: false, message: `data breakpoint length ${length} must be 1 to 65536 bytes` };
      const problem = hitConditionProblem(b.hitCondition || undefined);
      if (problem !== null) return { id, verified: false, message: problem };
      this.specs.push({ id, space: m[1].toLowerCase() as 'lin' | 'phys', address: parseInt(m[2], 16), length, access: b.accessType ?? 'write', condition: b.condition || undefined, hitCondition: b.hitCondition || undefined, hits: 0 });
      return { id, verified: true, description: b.dataId };
    });
  }

  /** Arm the watches in each VM (translating guest-linear ones now); call before every resume. */
  arm(targets: readonly Target[]): string[] {
    const problems: string[] = [];
    for (const t of targets) {
      const w = this.watchers.get(t.threadId);
      if (!w) continue;
      const watches: DataWatch[] = [];
      for (const s of this.specs) {
        if (s.space === 'phys') {
          watches.push({ id: s.id, paddr: s.address, length: s.length, access: s.access });
          continue;
        }
        // Page by page: a linear range may map to scattered frames.
        for (let a = s.address; a < s.address + s.length; ) {
          const n = Math.min(s.address + s.length - a, 0x1000 - (a & 0xfff));
          const tr = translateGuest(t.vm, a >>> 0);
          if (tr.physical === null) problems.push(`data breakpoint at linear ${hex32(a)} in ${t.name}: not mapped now (${tr.fault ?? 'no translation'}); not armed there`);
          else watches.push({ id: s.id, paddr: tr.physical, length: n, access: s.access });
          a += n;
        }
      }
      w.set(watches);
      w.armed = true;
    }
    return problems;
  }
}
