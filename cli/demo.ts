/**
 * `npm run demo`: the main job for now. Assembles every example guest in examples/ with
 * Vanderpool's own assembler, boots each on the emulated PC (emulator/machine/) the way
 * QEMU would — Multiboot kernels through the loader, the boot sector from a floppy image
 * through the built-in BIOS, the sieve as a flat protected-mode binary — and prints each
 * guest's console output (COM1, or the port-E9 debug console) with its statistics:
 * instructions, host speed in MIPS, virtual time, exceptions and interrupts by vector.
 * Then the VMM (demo-vmm.ts): examples/sensitive on the bare machine and under
 * trap-and-emulate with each ring model side by side, and hello, tasks and mmu-heavy
 * running together on one multi-VM host with their consoles prefixed.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assemble } from '../emulator/asm/index';
import { vectorName } from '../emulator/arch/exceptions';
import { Machine, type MachineStop } from '../emulator/machine/machine';
import { showMultiVm, showSensitiveSideBySide } from './demo-vmm';

const REPO = resolve(__dirname, '..');

interface DemoGuest {
  name: string;
  source: string;
  boot: 'multiboot' | 'floppy' | 'flat-protected';
  what: string;
}

const GUESTS: DemoGuest[] = [
  { name: 'hello', source: 'examples/hello.asm', boot: 'multiboot', what: 'the smallest Multiboot kernel' },
  { name: 'tasks', source: 'examples/tasks.asm', boot: 'multiboot', what: 'two ring-3 tasks, PIT preemption, INT 0x80 and SYSENTER, demand paging' },
  { name: 'sensitive', source: 'examples/sensitive.asm', boot: 'multiboot', what: "each of x86's virtualization-sensitive cases on bare hardware" },
  { name: 'mmu-heavy', source: 'examples/mmu-heavy.asm', boot: 'multiboot', what: '2,000 PTE writes with INVLPG per round, copy-on-write fork' },
  { name: 'bootsector', source: 'examples/bootsector/boot.asm', boot: 'floppy', what: 'a floppy boot sector loading itself through INT 13h' },
  { name: 'sieve', source: 'examples/sieve.asm', boot: 'flat-protected', what: 'a CPU-bound loop: the primes below 1,000,000' },
];

const MAX_INSTRUCTIONS = 500_000_000;

function assembleGuest(guest: DemoGuest): Uint8Array {
  const file = join(REPO, guest.source);
  const result = assemble(readFileSync(file, 'utf8'), {
    fileName: file,
    includePaths: [join(REPO, 'examples')],
    host: {
      readFile: (path) => {
        try {
          return readFileSync(path);
        } catch {
          return undefined;
        }
      },
    },
  });
  if (result.errors.length > 0) {
    const first = result.errors[0];
    throw new Error(`${first.file}:${first.line}:${first.column}: ${first.message}`);
  }
  return result.bytes;
}

function describe(stop: MachineStop): string {
  switch (stop.kind) {
    case 'exit':
      return `guest exit, status ${stop.status}`;
    case 'shutdown':
    case 'halted':
      return `${stop.kind}: ${stop.reason}`;
    case 'request':
      return stop.why;
    default:
      return stop.kind;
  }
}

function eventSummary(events: Map<number, number>, label: (v: number) => string): string {
  return [...events].sort((a, b) => a[0] - b[0]).map(([v, n]) => `${label(v)}×${n.toLocaleString('en-US')}`).join(' ');
}

function runGuest(guest: DemoGuest): boolean {
  let output = '';
  const sink = (byte: number): void => {
    output += String.fromCharCode(byte);
  };
  const bytes = assembleGuest(guest);
  const machine =
    guest.boot === 'floppy'
      ? new Machine({ memoryMiB: 32, disk: { image: bytes, kind: 'floppy' }, serial: sink })
      : new Machine({ memoryMiB: 32, serial: sink, debugConsole: sink });
  if (guest.boot === 'multiboot') {
    const load = machine.loadMultiboot(bytes);
    if (!load.ok) throw new Error(`${guest.name}: ${load.error.message}`);
  } else if (guest.boot === 'flat-protected') {
    const load = machine.loadFlat(bytes, { address: 0x10000, mode: 'protected' });
    if (!load.ok) throw new Error(`${guest.name}: ${load.error.message}`);
  }
  const t0 = performance.now();
  const stop = machine.run(MAX_INSTRUCTIONS);
  const seconds = (performance.now() - t0) / 1000;
  const s = machine.stats.snapshot();

  console.log(`=== ${guest.name} — ${guest.what} (${guest.source}, ${guest.boot}) ===`);
  for (const line of output.replace(/\r/g, '').trimEnd().split('\n')) console.log(`  | ${line}`);
  console.log(`  ${'stopped:'.padEnd(22)}${describe(stop)}`);
  console.log(
    `  ${'instructions:'.padEnd(22)}${s.instructions.toLocaleString('en-US')} in ${(seconds * 1000).toFixed(1)} ms host time = ${(s.instructions / seconds / 1e6).toFixed(1)} MIPS; virtual time ${(s.virtualNs / 1e6).toFixed(2)} ms (${(s.haltedNs / 1e6).toFixed(2)} ms halted)`,
  );
  const parts = [
    ['exceptions', eventSummary(s.events.exception, vectorName)],
    ['hardware interrupts', eventSummary(s.events.hardware, (v) => `vector ${v.toString(16)}h`)],
    ['software interrupts', eventSummary(s.events.software, (v) => `INT ${v.toString(16)}h`)],
  ].filter(([, text]) => text !== '');
  for (const [label, text] of parts) console.log(`  ${`${label}:`.padEnd(22)}${text}`);
  console.log('');
  return stop.kind === 'exit' && stop.status === 1;
}

function main(): number {
  console.log('Vanderpool demo: the example guests on the emulated PC (IA-32, 32 MiB)\n');
  let failed = 0;
  for (const guest of GUESTS) {
    try {
      if (!runGuest(guest)) failed++;
    } catch (e) {
      failed++;
      console.error(`${guest.name}: ${(e as Error).message}`);
    }
  }
  console.log(failed === 0 ? `All ${GUESTS.length} guests ran to their exit.` : `${failed} of ${GUESTS.length} guests did not exit normally.`);
  console.log('\nUnder the trap-and-emulate VMM\n');
  const byName = (name: string): DemoGuest => GUESTS.find((g) => g.name === name)!;
  const expected = (name: string): string => readFileSync(join(REPO, 'examples', `${name}.expected`), 'latin1');
  try {
    showSensitiveSideBySide(assembleGuest(byName('sensitive')));
    const together = ['hello', 'tasks', 'mmu-heavy'].map((name) => ({ name, image: assembleGuest(byName(name)), expected: expected(name) }));
    if (!showMultiVm(together)) console.log('Not every guest ran to its expected output under the VMM yet (see above).');
  } catch (e) {
    failed++;
    console.error(`VMM demo: ${(e as Error).message}`);
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
