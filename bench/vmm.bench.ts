/**
 * VMM microbenchmarks (issue 5, "Performance"): the operations of Adams & Agesen, "A
 * Comparison of Software and Hardware Techniques for x86 Virtualization" (ASPLOS 2006,
 * Figure 4: syscall, in, cr8wr, call/ret, pgfault, divzero, ptemod), a CR3-switch loop, a
 * CLI/STI loop, and CPU-bound guest user code, each run on the bare machine and under every
 * VMM mode and ring model. The guest is bench/guests/vmm-micro.asm, assembled once per
 * benchmark and iteration count.
 *
 * Per operation, the figures come from two runs with different iteration counts (their
 * difference cancels the boot and setup): VM exits per operation (exact), host nanoseconds
 * per operation (median over several runs: the machines are noisy), and the slowdown
 * against the bare machine. For the user-code loop the figure is the VMM's speed as a
 * percentage of the bare machine's (target ≥ 95 %).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assemble, formatDiagnostic } from '../emulator/asm/index';
import { Machine } from '../emulator/machine/machine';
import { RING_MODELS, type GuestVm } from '../emulator/vmm/guest-vm';
import { NativeVm } from '../emulator/vmm/native-vm';
import { TrapAndEmulateVm, type TrapAndEmulateVmOptions } from '../emulator/vmm/trap-and-emulate/vm';

/** One microbenchmark: its BENCH number in the guest, and the two iteration counts compared. */
interface Micro {
  bench: number;
  name: string;
  /** What one operation is (the unit of the per-operation figures). */
  operation: string;
  counts: [number, number];
}

export const MICROBENCHMARKS: readonly Micro[] = [
  { bench: 0, name: 'syscall', operation: 'INT 0x80 + IRET from ring 3', counts: [500, 5500] },
  { bench: 1, name: 'in', operation: 'IN AL, DX (COM1 LSR)', counts: [500, 5500] },
  { bench: 2, name: 'cr write', operation: 'MOV CR0, EAX', counts: [500, 5500] },
  { bench: 3, name: 'call/ret', operation: 'CALL + RET', counts: [5000, 205000] },
  { bench: 4, name: 'page fault', operation: '#PF, map, unmap + INVLPG', counts: [500, 5500] },
  { bench: 5, name: 'divide by zero', operation: '#DE + IRET', counts: [500, 5500] },
  { bench: 6, name: 'pte write', operation: 'store to a PTE', counts: [500, 5500] },
  { bench: 7, name: 'cr3 switch', operation: 'MOV CR3', counts: [500, 5500] },
  { bench: 8, name: 'cli/sti', operation: 'CLI + STI', counts: [500, 5500] },
];

/** CPU-bound guest user code: ITERATIONS × 1000 iterations of a 5-instruction register loop at ring 3. */
export const USER_COMPUTE: Micro = { bench: 9, name: 'user code', operation: '1000 loop iterations at ring 3', counts: [10, 510] };

/** A runnable configuration: the bare machine or a VMM mode with its ring model. */
export interface VmmConfig {
  label: string;
  create(image: Uint8Array): GuestVm;
}

const GUEST = path.join(__dirname, '..', 'bench', 'guests', 'vmm-micro.asm');
const INCLUDE = path.join(__dirname, '..', 'examples');

/** Assemble the microbenchmark guest for `bench` with `iterations`. @throws Error with the assembler's diagnostics */
export function microImage(bench: number, iterations: number, guestFile = GUEST, includeDir = INCLUDE): Uint8Array {
  const result = assemble(readFileSync(guestFile, 'utf8'), {
    fileName: guestFile,
    includePaths: [includeDir],
    defines: { BENCH: String(bench), ITERATIONS: String(iterations) },
    host: { readFile: (p) => new Uint8Array(readFileSync(p)) },
  });
  if (result.errors.length > 0) throw new Error(`${guestFile} does not assemble:\n${result.errors.map(formatDiagnostic).join('\n')}`);
  return result.bytes;
}

/** The bare machine and each trap-and-emulate ring model this build implements. */
export function vmmConfigs(): VmmConfig[] {
  const configs: VmmConfig[] = [
    {
      label: 'native',
      create: (image) => {
        const m = new Machine({ memoryMiB: 32 });
        const r = m.loadMultiboot(image);
        if (!r.ok) throw new Error(`native: ${r.error.message}`);
        return new NativeVm(m);
      },
    },
  ];
  for (const ringModel of RING_MODELS) {
    const options: TrapAndEmulateVmOptions = { memoryMiB: 32, ringModel };
    configs.push({
      label: `trap-and-emulate ${ringModel}`,
      create: (image) => {
        const vm = new TrapAndEmulateVm(options);
        const r = vm.loadMultiboot(image);
        if (!r.ok) throw new Error(`trap-and-emulate ${ringModel}: ${r.error.message}`);
        return vm;
      },
    });
  }
  return configs;
}

/** One run to the guest's exit: host seconds, VM exits and instructions. @throws Error when the guest does not exit with status 1 */
function runOnce(config: VmmConfig, image: Uint8Array, name: string): { seconds: number; exits: number; instructions: number } {
  const vm = config.create(image);
  const t0 = performance.now();
  const stop = vm.run(2_000_000_000);
  const seconds = (performance.now() - t0) / 1000;
  if (stop.kind !== 'exit' || stop.status !== 1) throw new Error(`${name} under ${config.label}: ${JSON.stringify(stop)} at EIP 0x${vm.cpu.eip.toString(16)}`);
  return { seconds, exits: vm.monitor?.stats.total ?? 0, instructions: vm.cpu.icount };
}

/** Per-operation figures of one microbenchmark under one configuration. */
export interface MicroResult {
  exitsPerOp: number;
  instructionsPerOp: number;
  /** Host nanoseconds per operation, one per run. */
  nsPerOp: number[];
}

/** Host time the difference of the two runs should take, so that timer noise stays small against it. */
const TARGET_SECONDS = 0.08;
/** Runs and host time per difference for the CPU-bound user-code comparison. */
const USER_RUNS = 9;
const USER_SECONDS = 0.5;
/** At most this many operations in the larger run. */
const MAX_OPERATIONS = 20_000_000;

/**
 * Measure `micro` under `config`: `runs` runs of each iteration count after a warm-up. The
 * larger count is first raised (from `micro.counts`) until the difference takes about
 * `targetSeconds` (default TARGET_SECONDS) of host time, as a calibration run estimates it.
 */
export function measureMicro(micro: Micro, config: VmmConfig, runs: number, targetSeconds = TARGET_SECONDS): MicroResult {
  const n1 = micro.counts[0];
  let n2 = micro.counts[1];
  const small = microImage(micro.bench, n1);
  const probe = runOnce(config, microImage(micro.bench, n2), micro.name); // also the warm-up
  const probeSmall = runOnce(config, small, micro.name);
  const perOp = Math.max((probe.seconds - probeSmall.seconds) / (n2 - n1), 1e-9);
  n2 = Math.min(MAX_OPERATIONS, Math.max(n2, n1 + Math.ceil(targetSeconds / perOp)));
  const large = microImage(micro.bench, n2);
  runOnce(config, large, micro.name);
  const nsPerOp: number[] = [];
  let exitsPerOp = 0;
  let instructionsPerOp = 0;
  for (let r = 0; r < runs; r++) {
    const a = runOnce(config, small, micro.name);
    const b = runOnce(config, large, micro.name);
    nsPerOp.push(((b.seconds - a.seconds) * 1e9) / (n2 - n1));
    exitsPerOp = (b.exits - a.exits) / (n2 - n1);
    instructionsPerOp = (b.instructions - a.instructions) / (n2 - n1);
  }
  return { exitsPerOp, instructionsPerOp, nsPerOp };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x: number, digits = 1): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits));

/** Run every microbenchmark under every configuration and print the table (figures are medians). */
export function benchVmm(runs = 5): void {
  const configs = vmmConfigs();
  console.log('\nVMM microbenchmarks (Adams & Agesen, ASPLOS 2006, + CR3 switch, CLI/STI): per operation, median of ' + runs + ' runs');
  const head = ['benchmark'.padEnd(15), 'operation'.padEnd(30), 'native ns'.padStart(10)];
  for (const c of configs.slice(1)) head.push(`${c.label}: exits  ns  slowdown`.padStart(44));
  console.log('  ' + head.join(' '));
  for (const micro of MICROBENCHMARKS) {
    const native = measureMicro(micro, configs[0], runs);
    const base = median(native.nsPerOp);
    const row = [micro.name.padEnd(15), micro.operation.padEnd(30), fmt(base).padStart(10)];
    for (const c of configs.slice(1)) {
      try {
        const m = measureMicro(micro, c, runs);
        const ns = median(m.nsPerOp);
        row.push(`${fmt(m.exitsPerOp, 2).padStart(6)} ${fmt(ns).padStart(8)} ${(fmt(ns / base, 1) + '×').padStart(8)}`.padStart(44));
      } catch (e) {
        row.push(`fails: ${(e as Error).message.slice(0, 60)}`.padStart(44));
      }
    }
    console.log('  ' + row.join(' '));
  }
  // The ≥ 95 % criterion compares two nearly equal figures: longer runs (0.5 s each) and more
  // of them, or the noise of a shared machine (±20 % per run) decides the verdict.
  const native = measureMicro(USER_COMPUTE, configs[0], USER_RUNS, USER_SECONDS);
  const baseNs = median(native.nsPerOp);
  const line = [`  CPU-bound guest user code (${USER_COMPUTE.operation}): native ${fmt(baseNs)} ns`];
  for (const c of configs.slice(1)) {
    try {
      const m = measureMicro(USER_COMPUTE, c, USER_RUNS, USER_SECONDS);
      line.push(`${c.label} ${fmt(median(m.nsPerOp))} ns = ${fmt((100 * baseNs) / median(m.nsPerOp))} % of native speed (target >= 95 %), ${fmt(m.exitsPerOp, 2)} exits`);
    } catch (e) {
      line.push(`${c.label} fails: ${(e as Error).message.slice(0, 80)}`);
    }
  }
  console.log(line.join('; '));
}
