/**
 * The example guests on the multi-VM host (emulator/vmm/host.ts) under trap-and-emulate:
 * hello, tasks and mmu-heavy each run to their expected output under the VMM by itself, and
 * must do so again when all of them share one host, with small slices — through thousands of
 * world switches with paging, user mode and timer interrupts in flight — and end with exactly
 * the same memory, instruction count and exits as when they ran alone. Once per ring model,
 * and with both models mixed on one host.
 */
import { describe, expect, it } from 'vitest';
import { RING_MODELS, type RingModel } from '../../emulator/vmm/guest-vm';
import { Host } from '../../emulator/vmm/host';
import { TrapAndEmulateVm } from '../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES, expectedOutput } from '../examples/examples';

const NAMES = ['hello', 'tasks', 'mmu-heavy'];
const MAX = 50_000_000;
const SLICE = 997;

interface Run {
  vm: TrapAndEmulateVm;
  out: () => string;
}

/** A VM with the ring model and the example loaded, not yet run. */
function boot(name: string, model: RingModel): Run {
  let text = '';
  const vm = new TrapAndEmulateVm({ serial: (b: number) => (text += String.fromCharCode(b)), ringModel: model });
  const load = vm.loadMultiboot(assembleExample(EXAMPLES.find((e) => e.name === name)!));
  if (!load.ok) throw new Error(load.error.message);
  return { vm, out: () => text };
}

const expected = (name: string): string => expectedOutput(EXAMPLES.find((e) => e.name === name)!);

/** Each example run alone under `model`, checked to reach its expected output and exit status 1. */
function soloRuns(model: RingModel): { name: string; solo: Run }[] {
  return NAMES.map((name) => {
    const solo = boot(name, model);
    expect(solo.vm.run(MAX), `${name} alone under ${model}`).toEqual({ kind: 'exit', status: 1 });
    expect(solo.out(), `${name} alone under ${model}`).toBe(expected(name));
    return { name, solo };
  });
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}

describe('the examples together on one host', () => {
  for (const model of RING_MODELS) {
    it(`${model}: each example prints the same on a shared host with ${SLICE}-instruction slices, with identical memory, instruction count and exits`, () => {
      const solos = soloRuns(model);
      const host = new Host({ sliceInstructions: SLICE, maxInstructionsPerVm: MAX });
      const shared = solos.map((s) => ({ ...s, run: boot(s.name, model) }));
      for (const s of shared) host.add(s.name, s.run.vm);
      expect(host.run()).toBeNull();
      for (const [i, s] of shared.entries()) {
        expect(host.vms[i].end, s.name).toEqual({ kind: 'exit', status: 1 });
        expect(s.run.out(), s.name).toBe(expected(s.name));
        expect(s.run.vm.cpu.icount, s.name).toBe(s.solo.vm.cpu.icount);
        expect(s.run.vm.stats.total, s.name).toBe(s.solo.vm.stats.total);
        expect(firstDifference(s.run.vm.memory.ram, s.solo.vm.memory.ram), s.name).toBe(-1);
      }
      expect(host.worldSwitches).toBeGreaterThan(100);
    });
  }

  it('both ring models mixed on one host: every example under each model prints its expected output', () => {
    const vms = RING_MODELS.flatMap((model) => NAMES.map((name) => ({ name, model, run: boot(name, model) })));
    const host = new Host({ sliceInstructions: SLICE, maxInstructionsPerVm: MAX });
    for (const v of vms) host.add(`${v.name} ${v.model}`, v.run.vm);
    host.run();
    for (const [i, v] of vms.entries()) {
      expect(host.vms[i].end, host.vms[i].name).toEqual({ kind: 'exit', status: 1 });
      expect(v.run.out(), host.vms[i].name).toBe(expected(v.name));
      expect(v.run.vm.ringModel).toBe(v.model);
    }
  });
});
