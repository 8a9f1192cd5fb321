/**
 * The VMM part of `npm run demo` (cli/demo.ts; issue 5, "The command line and the demo"):
 *
 *  1. examples/sensitive on the bare machine and under trap-and-emulate with each ring model,
 *     SIDE BY SIDE: one row per check line the guest prints, with what it observed in three
 *     columns (bare | 0/1/3 | 0/3/3) and `≠` where a VMM column differs from the bare
 *     machine — the virtualization holes (and anything else that differs, which would be a
 *     VMM bug). A run that stops early leaves its later cells empty (`—`) and its stop
 *     message is printed under the table.
 *  2. hello, tasks and mmu-heavy together on one multi-VM host (emulator/vmm/host.ts), once
 *     per ring model, consoles prefixed, then how each ended and whether its output equals
 *     its .expected.
 */
import { Host } from '../emulator/vmm/host';
import { RING_MODELS, type RingModel } from '../emulator/vmm/guest-vm';
import { TrapAndEmulateVm } from '../emulator/vmm/trap-and-emulate/vm';
import { Machine } from '../emulator/machine/machine';
import { PrefixedConsole } from './prefixed-console';

/** Where examples/sensitive.asm's check lines put the observed value and bare hardware's (its COLUMN_OBSERVED, COLUMN_EXPECTED). */
const COLUMN_OBSERVED = 51;
const COLUMN_EXPECTED = 65;
const MAX_INSTRUCTIONS = 500_000_000;
const SLICE = 1_000;

/** One run of a guest: its COM1 text and how it ended. */
interface GuestRun {
  output: string;
  ended: string;
  ok: boolean;
}

function describeStop(stop: { kind: string; status?: number; message?: string; reason?: string; why?: string }): string {
  if (stop.kind === 'exit') return `guest exit, status ${stop.status}`;
  return `${stop.kind}${stop.message ? `: ${stop.message}` : stop.reason ? `: ${stop.reason}` : ''}`;
}

function runBare(image: Uint8Array): GuestRun {
  let output = '';
  const m = new Machine({ memoryMiB: 32, serial: (b) => (output += String.fromCharCode(b)) });
  const load = m.loadMultiboot(image);
  if (!load.ok) throw new Error(load.error.message);
  const stop = m.run(MAX_INSTRUCTIONS);
  return { output, ended: describeStop(stop), ok: stop.kind === 'exit' && stop.status === 1 };
}

/** A 32 MiB trap-and-emulate VM with the ring model, COM1 bytes to `serial`. */
function vmWith(model: RingModel, serial: (b: number) => void): TrapAndEmulateVm {
  return new TrapAndEmulateVm({ memoryMiB: 32, serial, ringModel: model });
}

function runVmm(image: Uint8Array, model: RingModel): GuestRun {
  let output = '';
  const vm = vmWith(model, (b) => (output += String.fromCharCode(b)));
  const load = vm.loadMultiboot(image);
  if (!load.ok) throw new Error(load.error.message);
  const stop = vm.run(MAX_INSTRUCTIONS);
  return { output, ended: describeStop(stop), ok: stop.kind === 'exit' && stop.status === 1 };
}

/** The check lines of sensitive's output: key (section + label) → observed value, in order. */
function checks(output: string): Map<string, string> {
  const rows = new Map<string, string>();
  let section = '';
  for (const line of output.replace(/\r/g, '').split('\n')) {
    if (line.startsWith('[')) section = line;
    else if (line.startsWith('  ') && line.slice(COLUMN_EXPECTED).startsWith('hardware ')) {
      rows.set(`${section}\n${line.slice(2, COLUMN_OBSERVED).trimEnd()}`, line.slice(COLUMN_OBSERVED, COLUMN_EXPECTED).trim());
    }
  }
  return rows;
}

/** Section 1: sensitive side by side. */
export function showSensitiveSideBySide(image: Uint8Array): void {
  const models = RING_MODELS;
  console.log('=== sensitive — bare machine | trap-and-emulate 0/1/3 | trap-and-emulate 0/3/3 (≠: differs from bare: a hole) ===');
  const bare = runBare(image);
  const present = models.map((m) => ({ model: m, run: runVmm(image, m) }));
  const bareRows = checks(bare.output);
  const vmmRows = present.map((r) => checks(r.run.output));
  const w = [50, 12, ...present.map(() => 14)];
  const header = ['check', 'bare', ...present.map((r) => r.model)];
  console.log(`  ${header.map((h, i) => h.padEnd(w[i])).join(' ')}`);
  let section = '';
  const holes = present.map(() => 0);
  for (const [key, observed] of bareRows) {
    const [sec, label] = key.split('\n');
    if (sec !== section) {
      section = sec;
      console.log(`  ${sec}`);
    }
    const cells = vmmRows.map((rows, k) => {
      const v = rows.get(key);
      if (v === undefined) return '—';
      if (v !== observed) {
        holes[k]++;
        return `${v} ≠`;
      }
      return v;
    });
    console.log(`  ${[label.slice(0, w[0] - 2).padEnd(w[0]), observed.padEnd(w[1]), ...cells.map((c, i) => c.padEnd(w[2 + i]))].join(' ').trimEnd()}`);
  }
  console.log(`  ${'ended:'.padEnd(10)}bare: ${bare.ended}`);
  for (const [k, r] of present.entries()) {
    const missing = [...bareRows.keys()].filter((key) => !vmmRows[k].has(key)).length;
    console.log(`  ${''.padEnd(10)}${r.model}: ${r.run.ended}; ${holes[k]} check${holes[k] === 1 ? '' : 's'} differ${missing > 0 ? `, ${missing} not reached` : ''}`);
  }
  console.log('');
}

/**
 * Section 2: several guests at once on one host, consoles prefixed: each guest once per ring
 * model (the ring model is chosen per VM), all on the same host.
 * @param guests name and image of each guest, with its expected COM1 output
 * @returns whether every guest exited with status 1 and printed its expected output
 */
export function showMultiVm(guests: { name: string; image: Uint8Array; expected: string }[]): boolean {
  const models = RING_MODELS;
  const vms = models.flatMap((model) => guests.map((g) => ({ ...g, model })));
  console.log(`=== ${guests.map((g) => g.name).join(' + ')} under ring model${models.length > 1 ? 's' : ''} ${models.join(' and ')}: ${vms.length} VMs on one multi-VM host (slices of ${SLICE.toLocaleString('en-US')} instructions) ===`);
  const host = new Host({ sliceInstructions: SLICE, maxInstructionsPerVm: MAX_INSTRUCTIONS });
  const outputs = vms.map(() => '');
  const consoles: PrefixedConsole[] = [];
  for (const [i, g] of vms.entries()) {
    const name = `vm${i} ${g.name} ${g.model}`;
    const con = new PrefixedConsole(`  [${name}] `, (text) => process.stdout.write(text));
    consoles.push(con);
    const vm = vmWith(g.model, (b) => {
      outputs[i] += String.fromCharCode(b);
      con.writeByte(b);
    });
    const load = vm.loadMultiboot(g.image);
    if (!load.ok) throw new Error(`${g.name}: ${load.error.message}`);
    host.add(name, vm);
  }
  const t0 = performance.now();
  host.run();
  const ms = performance.now() - t0;
  for (const c of consoles) c.flush();
  let all = true;
  const width = Math.max(...host.vms.map((h) => h.name.length)) + 2;
  for (const [i, h] of host.vms.entries()) {
    const end = h.end!;
    const ended = end.kind === 'exit' ? `guest exit, status ${end.status}` : end.kind === 'stopped' ? `the VMM stopped it: ${end.message}` : `instruction limit (${end.instructions.toLocaleString('en-US')})`;
    const matches = outputs[i] === vms[i].expected;
    if (!(matches && end.kind === 'exit' && end.status === 1)) all = false;
    console.log(`  ${h.name.padEnd(width)}${ended}; ${h.vm.cpu.icount.toLocaleString('en-US')} instructions in ${h.slices} slices; output ${matches ? 'equals' : 'DIFFERS from'} examples/${vms[i].name}.expected`);
  }
  console.log(`  ${host.worldSwitches.toLocaleString('en-US')} world switches, ${ms.toFixed(0)} ms host time`);
  console.log('');
  return all;
}
