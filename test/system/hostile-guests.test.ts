/**
 * Hostile guests (examples/hostile/*.asm) on the multi-VM host beside examples/hello and
 * examples/tasks: each hostile guest must be contained — stopped
 * by the VMM with a message, or running on with its faults reflected to itself — while the
 * other VMs print their full expected output, and no VM's memory is touched by another:
 * every byte of the hello VM's memory (RAM and VMM area) ends as in a run of hello alone, and
 * the value the hostile guests write where they must not (POISON) never appears in the
 * VMM's area of their own VM (issue 5, "Many VMs"; docs/vmm-design.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, formatDiagnostic } from '../../emulator/asm/index';
import { Host, type HostedVm } from '../../emulator/vmm/host';
import { TrapAndEmulateVm } from '../../emulator/vmm/trap-and-emulate/vm';
import { assembleExample, EXAMPLES, expectedOutput, nasmAvailable, REPO } from '../examples/examples';

/** What hostile guests write where they must not (examples/hostile/head.inc). */
const POISON = 0xbadc0de5;
/** Small enough that hello needs several slices: it runs WHILE the hostile guests do. */
const SLICE = 100;
const MAX_PER_VM = 20_000_000;

function assembleHostile(name: string): Uint8Array {
  const path = join(REPO, 'examples/hostile', `${name}.asm`);
  const r = assemble(readFileSync(path, 'utf8'), { fileName: path, host: { readFile: (p) => (existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined) } });
  if (r.errors.length > 0) throw new Error(`${name}.asm does not assemble:\n${r.errors.map(formatDiagnostic).join('\n')}`);
  return r.bytes;
}

interface Guest {
  vm: TrapAndEmulateVm;
  out: () => string;
}

function boot(image: Uint8Array): Guest {
  let text = '';
  const vm = new TrapAndEmulateVm({ serial: (b) => (text += String.fromCharCode(b)) });
  const load = vm.loadMultiboot(image);
  if (!load.ok) throw new Error(load.error.message);
  return { vm, out: () => text };
}

const example = (name: string) => EXAMPLES.find((e) => e.name === name)!;

/** Offsets of every aligned dword equal to `value` in [from, to) of the VM's memory. */
function find(vm: TrapAndEmulateVm, value: number, from: number, to: number): number[] {
  const hits: number[] = [];
  for (let a = from; a + 4 <= to; a += 4) if (vm.memory.read32(a) >>> 0 === value) hits.push(a);
  return hits;
}

/** The first differing offset of two VMs' memories, or -1. */
function firstDifference(a: TrapAndEmulateVm, b: TrapAndEmulateVm): number {
  const x = a.memory.ram;
  const y = b.memory.ram;
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

interface HostileCase {
  name: string;
  /** The case-specific part of "contained" (the generic part is checked for every case). */
  contained(h: HostedVm, out: string, hello: HostedVm): void;
}

const stoppedWith = (h: HostedVm, message: RegExp): void => {
  expect(h.end?.kind, JSON.stringify(h.end)).toBe('stopped');
  expect((h.end as { message: string }).message).toMatch(message);
};

const CASES: HostileCase[] = [
  {
    name: 'page-tables',
    // The first access through a PTE naming the frame above its RAM stops the VM.
    contained: (h, out) => {
      stoppedWith(h, /beyond its RAM/);
      expect(out).not.toMatch(/read, written/);
    },
  },
  {
    name: 'descriptors',
    // Each write toward the VMM area either faults in the guest (reflected) and the guest runs
    // to its end, or reaches guest-physical memory beyond its RAM and the VMM stops the VM.
    contained: (h, out) => {
      if (h.end?.kind === 'stopped') stoppedWith(h, /beyond its RAM/);
      else {
        expect(h.end).toEqual({ kind: 'exit', status: 1 });
        expect(out).toContain('hostile-descriptors: done\n');
      }
    },
  },
  {
    name: 'sgdt-leak',
    // Its writes through the leaked bases never reach the VMM's tables: reloading DS afterwards
    // still works (or, where the leaked base lies beyond its RAM, the VMM stops the VM).
    contained: (h, out) => {
      if (h.end?.kind === 'stopped') stoppedWith(h, /beyond its RAM/);
      else {
        expect(h.end).toEqual({ kind: 'exit', status: 1 });
        expect(out).toContain('hostile-sgdt-leak: reload DS from 0x10: no fault\n');
        expect(out).toContain('hostile-sgdt-leak: done\n');
      }
    },
  },
  {
    name: 'cr3',
    // A CR3 beyond its RAM is never used as a directory: the VM stops at the first guess.
    contained: (h, out) => {
      stoppedWith(h, /page directory at guest-physical 0x[0-9a-f]+ lies beyond its RAM/);
      expect(out).not.toMatch(/read \[0\]/);
    },
  },
  {
    name: 'ports',
    // Ports of devices the VM does not have read as all ones; the 8042 reset pulse resets nothing.
    contained: (h, out) => {
      expect(h.end).toEqual({ kind: 'exit', status: 1 });
      for (const line of ['IN 0x60 = 0x000000FF', 'IN 0x64 = 0x000000FF', 'IN 0x1F0 = 0x0000FFFF', 'IN 0x1F7 = 0x000000FF', 'IN 0xCF8 = 0xFFFFFFFF', 'IN 0xCFC = 0xFFFFFFFF']) {
        expect(out).toContain(`hostile-ports: ${line}\n`);
      }
    },
  },
  {
    name: 'irq-storm',
    // The storm stays in its VM: hello gets its slices meanwhile and ends long before the storm does.
    contained: (h, out, hello) => {
      expect(h.end).toEqual({ kind: 'exit', status: 1 });
      expect(hello.slices).toBeGreaterThan(2);
      expect(h.slices).toBeGreaterThan(10 * hello.slices);
      expect(out).toContain('hostile-irq-storm: 2000 ticks handled\n');
    },
  },
  {
    name: 'triple-fault',
    contained: (h, out) => {
      stoppedWith(h, /guest triple fault/);
      expect(out).toBe('hostile-triple-fault: LIDT with limit 0, then INT3\n');
    },
  },
];

describe('hostile guests assemble as NASM assembles them', () => {
  it('our assembler and nasm -f bin -I examples/hostile/ give the same bytes for every hostile guest', () => {
    expect(nasmAvailable, 'nasm is required (apt-get install nasm)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'vp-hostile-'));
    try {
      for (const c of CASES) {
        const out = join(dir, `${c.name}.bin`);
        const r = spawnSync('nasm', ['-f', 'bin', '-I', join(REPO, 'examples/hostile') + '/', '-o', out, join(REPO, 'examples/hostile', `${c.name}.asm`)], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(Buffer.from(assembleHostile(c.name)).equals(readFileSync(out)), c.name).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile guests beside hello on one host', () => {
  let helloAlone: Guest;

  beforeAll(() => {
    helloAlone = boot(assembleExample(example('hello')));
    expect(helloAlone.vm.run(MAX_PER_VM)).toEqual({ kind: 'exit', status: 1 });
  });

  for (const c of CASES) {
    it(`${c.name}: contained; hello and tasks beside it print their full output, hello's memory untouched`, () => {
      const host = new Host({ sliceInstructions: SLICE, maxInstructionsPerVm: MAX_PER_VM });
      const hello = boot(assembleExample(example('hello')));
      const hostile = boot(assembleHostile(c.name));
      host.add('hello', hello.vm);
      const hostileHosted = host.add(c.name, hostile.vm);
      const tasks = boot(assembleExample(example('tasks')));
      const tasksHosted = host.add('tasks', tasks.vm);
      expect(host.run()).toBeNull();

      // The others: full output, and (hello) memory identical to a run of hello alone.
      expect(host.vms[0].end).toEqual({ kind: 'exit', status: 1 });
      expect(hello.out()).toBe(expectedOutput(example('hello')));
      expect(firstDifference(hello.vm, helloAlone.vm)).toBe(-1);
      expect(tasksHosted.end).toEqual({ kind: 'exit', status: 1 });
      expect(tasks.out()).toBe(expectedOutput(example('tasks')));

      // The hostile one: ended (exit or a VMM stop with a message), POISON never in its VMM area.
      expect(hostileHosted.end).not.toBeNull();
      if (hostileHosted.end!.kind === 'stopped') expect(hostileHosted.end!.message.length).toBeGreaterThan(10);
      expect(find(hostile.vm, POISON, hostile.vm.reservedBase, hostile.vm.memory.size)).toEqual([]);
      c.contained(hostileHosted, hostile.out(), host.vms[0]);
    });
  }

  it('all seven hostile guests at once beside hello: hello still prints everything and ends with memory as when alone', () => {
    const host = new Host({ sliceInstructions: SLICE, maxInstructionsPerVm: MAX_PER_VM });
    const hostiles = CASES.map((c) => boot(assembleHostile(c.name)));
    const hello = boot(assembleExample(example('hello')));
    hostiles.forEach((g, i) => host.add(CASES[i].name, g.vm));
    host.add('hello', hello.vm);
    host.run();
    expect(host.vms[CASES.length].end).toEqual({ kind: 'exit', status: 1 });
    expect(hello.out()).toBe(expectedOutput(example('hello')));
    expect(firstDifference(hello.vm, helloAlone.vm)).toBe(-1);
    for (const [i, c] of CASES.entries()) c.contained(host.vms[i], hostiles[i].out(), host.vms[CASES.length]);
  });
});
