/**
 * EXIT_REASON_CR_ACCESS (28): MOV to/from CRn, CLTS and LMSW fault at CPL 1 with #GP(0) and
 * are emulated against the VIRTUAL control registers with the CPU's own validity rules
 * (cpu/control-registers.ts `cr0WriteError`, `cr4WriteError`; SDM Vol. 2B "MOV—Move to/from
 * Control Registers", Vol. 2A "CLTS", "LMSW"). The host CR0 mirrors the guest's MP, EM, TS and
 * NE (the FPU behaviour the guest chose); PE stays set and paging stays the VMM's.
 * CR0.PG, CR0.WP, CR4.PSE and CR3 drive the shadow page tables (shadow-paging.ts): setting
 * PG switches the host to the shadow for the virtual CR3 and clearing it to the identity
 * shadow (the host's own paging stays on: address-space compression), MOV CR3 to another
 * cached shadow, a change of WP or PSE drops every shadow. After each switch the pages of
 * the guest's GDT/LDT are found again and write-protected (descriptor-protection.ts). Other CR4 bits are stored and read back only.
 * NOT YET: clearing CR0.PE stops the VM with a message.
 */
import { CR0_EM, CR0_ET, CR0_MP, CR0_NE, CR0_PE, CR0_PG, CR0_TS, CR0_WP, CR0_WRITABLE, CR4_PSE } from '../../../arch/control-registers';
import type { Cpu } from '../../../cpu/cpu';
import { cr0WriteError, cr4WriteError, writeCr0 } from '../../../cpu/control-registers';
import { gp } from '../../../cpu/fault';
import { ea, readV16 } from '../../../cpu/memory-access';
import { getReg16 } from '../../../cpu/operands';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { protectDescriptorTables } from '../descriptor-protection';
import { VmmUnsupported } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

/** CR0 bits the host takes from the guest's virtual CR0. */
const MIRRORED = CR0_MP | CR0_EM | CR0_TS | CR0_NE;
const MSW_BITS = CR0_PE | CR0_MP | CR0_EM | CR0_TS;

/**
 * Write the virtual CR0 (MOV to CR0, LMSW, CLTS end here).
 * @throws CpuFault #GP(0) as MOV to CR0 would; VmmUnsupported for PE = 0
 */
export function writeVirtualCr0(cpu: Cpu, state: TrapAndEmulateState, value: number): void {
  const why = cr0WriteError(value);
  if (why) throw gp(0, `MOV to CR0: ${why}`);
  if (!(value & CR0_PE)) throw new VmmUnsupported('the guest leaves protected mode (CR0.PE = 0): not emulated');
  const old = state.cr0;
  state.cr0 = ((value & CR0_WRITABLE) | CR0_ET) >>> 0;
  writeCr0(cpu, (cpu.cr0 & ~MIRRORED) | (value & MIRRORED));
  const changed = old ^ state.cr0;
  if (changed & (CR0_PG | CR0_WP)) {
    state.paging.update(cpu, state, (changed & CR0_WP) !== 0);
    protectDescriptorTables(cpu, state); // the GDT/LDT's linear pages now translate differently
  }
}

export function onCrAccess(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'CR access');
  switch (insn.opcode) {
    case 0x0f20: {
      const v = insn.reg === 0 ? state.cr0 : insn.reg === 2 ? state.cr2 : insn.reg === 3 ? state.cr3 : state.cr4;
      cpu.regs[insn.rm] = v | 0; // always 32 bits (Rd)
      break;
    }
    case 0x0f22: {
      const v = cpu.regs[insn.rm] >>> 0;
      if (insn.reg === 0) writeVirtualCr0(cpu, state, v);
      else if (insn.reg === 2) state.cr2 = v;
      else if (insn.reg === 3) {
        state.cr3 = v;
        if (state.cr0 & CR0_PG) {
          state.paging.update(cpu, state, false);
          protectDescriptorTables(cpu, state);
        }
      } else {
        const why = cr4WriteError(v);
        if (why) throw gp(0, `MOV to CR4: ${why}`);
        const changed = state.cr4 ^ v;
        state.cr4 = v;
        if (changed & CR4_PSE && state.paging.active) state.paging.update(cpu, state, true);
      }
      break;
    }
    case 0x0f06:
      writeVirtualCr0(cpu, state, state.cr0 & ~CR0_TS);
      break;
    case 0x0f01: {
      // LMSW: PE, MP, EM, TS from the operand; PE can be set, not cleared (SDM Vol. 2A "LMSW").
      const msw = insn.mod === 3 ? getReg16(cpu, insn.rm) : readV16(cpu, insn.seg, ea(cpu, insn));
      writeVirtualCr0(cpu, state, (state.cr0 & ~MSW_BITS) | (msw & MSW_BITS) | (state.cr0 & CR0_PE));
      break;
    }
    default:
      throw new Error(`internal: CR-access exit for opcode 0x${insn.opcode.toString(16)}`);
  }
  retire(cpu, insn);
  return RESUME;
}
