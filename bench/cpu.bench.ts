/**
 * CPU throughput benchmarks: the four workloads of issue 2, each a 32-bit protected-mode
 * guest with paging on (identity-mapped 4-KiB pages), run for a fixed instruction budget.
 * The figure is MIPS = retired instructions / wall-clock seconds / 10^6.
 *
 * Reference figures on this machine kind (same guests): Bochs 2.7 110 / 91 / 90 MIPS on
 * the register / sequential-store / strided-store loops; QEMU TCG 1 762 / 2 664 / 44.
 * The target for this interpreter is ≥ 150 MIPS on all four.
 *
 * Guest code is given as bytes with the NASM source beside each line (`bits 32`).
 */
import { PhysicalMemory } from '../emulator/memory/physical-memory';
import { IoBus } from '../emulator/memory/io-bus';
import { Cpu } from '../emulator/cpu/cpu';
import { run } from '../emulator/cpu/executor';
import { enterFlatProtectedMode } from '../emulator/machine/flat-protected-mode';

export interface BenchResult {
  name: string;
  unit: string;
  /** One figure per run. */
  runs: number[];
}

const CODE = 0x10000;

/** add eax,ebx / xor ebx,eax / add esi,7 / dec ecx / jnz — 5 instructions per iteration. */
const REGISTER_LOOP = [
  0xb9, 0x00, 0x00, 0x00, 0x7f, //          mov ecx, 0x7f000000
  0x01, 0xd8, //                   .loop:  add eax, ebx
  0x31, 0xc3, //                           xor ebx, eax
  0x83, 0xc6, 0x07, //                     add esi, 7
  0x49, //                                 dec ecx
  0x75, 0xf6, //                           jnz .loop
  0xf4, //                                 hlt
];

/** Sequential dword stores over 4 MiB (0x400000–0x7FFFFF), repeated. */
const SEQUENTIAL_STORES = [
  0xba, 0x00, 0x00, 0x00, 0x7f, //          mov edx, 0x7f000000        ; passes
  0xbf, 0x00, 0x00, 0x40, 0x00, // .outer:  mov edi, 0x400000
  0xb9, 0x00, 0x00, 0x10, 0x00, //          mov ecx, 0x100000          ; 1 Mi dwords
  0x89, 0x07, //                   .inner:  mov [edi], eax
  0x83, 0xc7, 0x04, //                      add edi, 4
  0x49, //                                  dec ecx
  0x75, 0xf8, //                            jnz .inner
  0x4a, //                                  dec edx
  0x75, 0xeb, //                            jnz .outer
  0xf4, //                                  hlt
];

/** One store per page over 1 024 pages in turn (0x400000–0x7FFFFF), repeated. */
const STRIDED_STORES = [
  0xba, 0x00, 0x00, 0x00, 0x7f, //          mov edx, 0x7f000000
  0xbf, 0x00, 0x00, 0x40, 0x00, // .outer:  mov edi, 0x400000
  0xb9, 0x00, 0x04, 0x00, 0x00, //          mov ecx, 1024
  0x89, 0x07, //                   .inner:  mov [edi], eax
  0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, //    add edi, 4096
  0x49, //                                  dec ecx
  0x75, 0xf5, //                            jnz .inner
  0x4a, //                                  dec edx
  0x75, 0xe8, //                            jnz .outer
  0xf4, //                                  hlt
];

/** The strided loop with a CR3 reload (a full non-global TLB flush) on every pass. */
const STRIDED_STORES_CR3 = [
  0xba, 0x00, 0x00, 0x00, 0x7f, //          mov edx, 0x7f000000
  0x0f, 0x20, 0xd8, //             .outer:  mov eax, cr3
  0x0f, 0x22, 0xd8, //                      mov cr3, eax
  0xbf, 0x00, 0x00, 0x40, 0x00, //          mov edi, 0x400000
  0xb9, 0x00, 0x04, 0x00, 0x00, //          mov ecx, 1024
  0x89, 0x07, //                   .inner:  mov [edi], eax
  0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, //    add edi, 4096
  0x49, //                                  dec ecx
  0x75, 0xf5, //                            jnz .inner
  0x4a, //                                  dec edx
  0x75, 0xe2, //                            jnz .outer
  0xf4, //                                  hlt
];

export const CPU_WORKLOADS: { name: string; code: number[] }[] = [
  { name: 'register loop', code: REGISTER_LOOP },
  { name: 'sequential dword stores over 4 MiB', code: SEQUENTIAL_STORES },
  { name: 'page-strided stores over 1 024 pages', code: STRIDED_STORES },
  { name: 'page-strided stores, CR3 reload per pass', code: STRIDED_STORES_CR3 },
];

/** A fresh 16-MiB machine in flat paged protected mode with `code` at 0x10000. */
export function workloadCpu(code: number[]): Cpu {
  const cpu = new Cpu(new PhysicalMemory(16 << 20), new IoBus());
  enterFlatProtectedMode(cpu, { eip: CODE, esp: 0x9000, paging: { identityMiB: 16, directory: 0x200000 } });
  cpu.memory.writeBytes(CODE, Uint8Array.from(code));
  return cpu;
}

/**
 * Run each workload `runs` times for `instructions` instructions (after a warm-up run) and
 * return MIPS per run.
 * @throws Error when a workload stops for any reason but the instruction limit (a bug)
 */
export function benchCpu(runs = 7, instructions = 30_000_000): BenchResult[] {
  return CPU_WORKLOADS.map(({ name, code }) => {
    const figures: number[] = [];
    for (let r = 0; r <= runs; r++) {
      const cpu = workloadCpu(code);
      const t0 = performance.now();
      const stop = run(cpu, instructions);
      const seconds = (performance.now() - t0) / 1000;
      if (stop.kind !== 'limit') throw new Error(`${name}: stopped early (${JSON.stringify(stop)}) at EIP 0x${cpu.eip.toString(16)}`);
      if (r > 0) figures.push(instructions / seconds / 1e6); // run 0 warms up the JIT
    }
    return { name, unit: 'MIPS', runs: figures };
  });
}
