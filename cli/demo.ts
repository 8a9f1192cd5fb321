/**
 * `npm run demo`: assemble the demo guest (examples/sieve.asm) with Vanderpool's own
 * assembler, run it on the emulated IA-32 machine in flat 32-bit protected mode, and print
 * its console output (Bochs port 0xE9) with the run's statistics and MIPS figure.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assemble } from '../emulator/asm/index';
import { Cpu } from '../emulator/cpu/cpu';
import { run } from '../emulator/cpu/executor';
import { PhysicalMemory } from '../emulator/memory/physical-memory';
import { IoBus } from '../emulator/memory/io-bus';
import { DebugConsole } from '../emulator/devices/debug-console';
import { DebugExit } from '../emulator/devices/debug-exit';
import { enterFlatProtectedMode } from '../emulator/machine/flat-protected-mode';

const LOAD_ADDRESS = 0x10000;

function main(): number {
  const file = resolve(__dirname, '..', 'examples', 'sieve.asm');
  const source = readFileSync(file, 'utf8');
  const result = assemble(source, { fileName: file });
  if (result.errors.length > 0) {
    for (const d of result.errors) console.error(`${d.file}:${d.line}:${d.column}: error: ${d.message}`);
    return 2;
  }

  const memory = new PhysicalMemory(32 << 20);
  const io = new IoBus();
  const cpu = new Cpu(memory, io);
  const console_ = new DebugConsole((b) => process.stdout.write(String.fromCharCode(b))).attach(io);
  const exit = new DebugExit(cpu).attach(io);
  memory.writeBytes(LOAD_ADDRESS, result.bytes);
  enterFlatProtectedMode(cpu, { eip: LOAD_ADDRESS, esp: 0x9000 });

  console.log(`Vanderpool demo: ${file} (${result.bytes.length} bytes at 0x${LOAD_ADDRESS.toString(16)}), flat 32-bit protected mode\n`);
  const t0 = performance.now();
  const stop = run(cpu, 2_000_000_000);
  const seconds = (performance.now() - t0) / 1000;
  void console_;

  console.log('');
  console.log(`stopped:       ${stop.kind === 'request' ? stop.why : stop.kind}`);
  console.log(`instructions:  ${cpu.icount.toLocaleString('en-US')}`);
  console.log(`time:          ${(seconds * 1000).toFixed(1)} ms`);
  console.log(`speed:         ${(cpu.icount / seconds / 1e6).toFixed(1)} MIPS`);
  if (exit.status === null) {
    console.error('the guest did not exit through isa-debug-exit');
    return 1;
  }
  console.log(`exit status:   ${exit.status} (isa-debug-exit)`);
  return exit.status === 1 ? 0 : 1;
}

process.exitCode = main();
