/**
 * Watched pages and the TLB: a page that holds decoded instructions or paging structures
 * has no fast write permission in the TLB, so every write to it is reported (self-modifying
 * code, CR3 reloads). These tests cover the case where the TLB already held a writable
 * entry for the page before it became watched.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../emulator/asm/index';
import { Cpu } from '../../../emulator/cpu/cpu';
import { run } from '../../../emulator/cpu/executor';
import { IoBus } from '../../../emulator/memory/io-bus';
import { PhysicalMemory } from '../../../emulator/memory/physical-memory';
import { enterFlatProtectedMode } from '../../../emulator/machine/flat-protected-mode';
import { TLB_SW } from '../../../emulator/cpu/tlb-bits';

const SOURCE = `
bits 32
org 0x10000
start:
  mov dword [routine + 1], 1   ; write to the routine's page while no code there is decoded yet
  call routine                  ; decoding it makes the page watched
  mov esi, eax
  mov dword [routine + 1], 2   ; a later write must be reported: the immediate changes
  call routine
  mov edi, eax
  hlt
times 0x1000 - ($ - $$) db 0x90
routine:
  mov eax, 0
  ret
`;

function machine(paging: boolean): Cpu {
  const cpu = new Cpu(new PhysicalMemory(16 << 20), new IoBus());
  const r = assemble(SOURCE, { fileName: 'smc.asm' });
  expect(r.errors).toEqual([]);
  cpu.memory.writeBytes(0x10000, r.bytes);
  enterFlatProtectedMode(cpu, { eip: 0x10000, esp: 0x9000, paging: paging ? { identityMiB: 16, directory: 0x200000 } : undefined });
  return cpu;
}

describe('watched pages and TLB write permission', () => {
  for (const paging of [false, true]) {
    it(`a write through a TLB entry filled before the page held code is still seen by the decoder (paging ${paging ? 'on' : 'off'})`, () => {
      const cpu = machine(paging);
      expect(run(cpu, 1000)).toEqual({ kind: 'hlt' });
      expect(cpu.regs[6]).toBe(1); // ESI: first call, after the first patch
      expect(cpu.regs[7]).toBe(2); // EDI: second call sees the second patch
      // The routine's page is watched now, and the TLB holds no fast write permission for it.
      expect(cpu.tlb[0x11] & TLB_SW).toBe(0);
    });
  }
});
