/**
 * System instructions: HLT, the descriptor-table registers (LGDT, SGDT, LIDT, SIDT), the
 * machine status word (LMSW, SMSW), MOV to/from control and debug registers, CLTS,
 * INVLPG, INVD, WBINVD, RDMSR, WRMSR, RDTSC, CPUID, RSM, the UD0/UD1/UD2 opcodes and
 * the x87 escapes D8–DF with WAIT (this model has no FPU).
 *
 * Privileged instructions (Attr.CPL0 in the opcode table) check CPL here: CPL > 0 is #GP(0)
 * before anything else, including memory-operand checks (except MOV DRn, see there) (real mode runs at CPL 0, virtual-8086
 * mode at CPL 3). Each handler's effect lives in a separately callable function — in this
 * file, control-registers.ts, msr.ts or cpuid.ts — so the VMM can emulate an intercepted
 * instruction against a guest CPU state. Handlers read everything (and probe writes) before
 * they change anything, so a fault leaves no partial state.
 *
 * @see Intel SDM Vol. 2A "CLTS", "CPUID", "HLT", "INVD", "INVLPG", "LGDT/LIDT", "LMSW";
 *      Vol. 2B "MOV—Move to/from Control Registers", "MOV—Move to/from Debug Registers",
 *      "RDMSR", "RDTSC", "RSM", "SGDT", "SIDT", "SMSW", "UD", "WAIT/FWAIT", "WBINVD", "WRMSR";
 *      Vol. 3A §2.5 (control registers), §2.8 (system instruction summary), §4.10.4 (TLB
 *      invalidation); Table 2-2 "Action Taken By x87 FPU Instructions for Different
 *      Combinations of EM, MP, and TS".
 */
import { CR0_EM, CR0_MP, CR0_TS, CR4_TSD } from '../../arch/control-registers';
import { Vector } from '../../arch/exceptions';
import { EAX, ECX, EDX, type Cpu } from '../cpu';
import type { Insn } from '../decoder/insn';
import { CpuFault, gp, ud } from '../fault';
import { ea, probeWriteV, readV16, readV32, writeV16, writeV32 } from '../memory-access';
import { invalidatePage } from '../paging';
import type { TableRegister } from '../segment-register';
import { checkDrAccess, clts, getDr, lmsw, readCr, setDr, smsw, writeCr } from '../control-registers';
import { executeCpuid } from '../cpuid';
import { readMsr, readTsc, writeMsr, type MsrValue } from '../msr';
import { reportSensitive } from '../sensitive';

/** The #GP(0) of a privileged instruction executed at CPL > 0 (SDM Vol. 3A §5.9 "Privileged Instructions"). */
function privileged(cpu: Cpu, what: string): CpuFault {
  return gp(0, `${what} at CPL ${cpu.cpl} (privileged instruction)`);
}

/** #GP(0) unless CPL = 0. `what` should be a constant string (no allocation on the hot path). */
export function requireCpl0(cpu: Cpu, what: string): void {
  if (cpu.cpl !== 0) throw privileged(cpu, what);
}

// ---------------------------------------------------------------------------------------------
// x87 escapes and WAIT. This model has no FPU (CPUID.1:EDX.FPU = 0).

/**
 * D8–DF (ESC): #NM when CR0.EM or CR0.TS is set (SDM Vol. 3A Table 2-2), so an OS can
 * emulate or lazily switch the FPU; otherwise #UD. Processors without an FPU differed here
 * (a 386 without a 387 hangs or faults on the bus, a 486SX raises #NM only with EM): this
 * model chooses #UD so that software that ignores CPUID fails loudly at the instruction.
 * No memory operand is accessed.
 */
export function ESC_x87(cpu: Cpu, _i: Insn): void {
  if (cpu.cr0 & (CR0_EM | CR0_TS)) {
    throw new CpuFault(Vector.NM, -1, `x87 instruction with CR0.${cpu.cr0 & CR0_EM ? 'EM' : 'TS'} = 1`);
  }
  throw ud('x87 instruction: no x87 FPU on this model');
}

/** WAIT/FWAIT (9B): #NM when CR0.MP = 1 and CR0.TS = 1, else a no-op (no FPU exception can be pending). */
export function WAIT(cpu: Cpu, _i: Insn): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) throw new CpuFault(Vector.NM, -1, 'WAIT with CR0.MP = 1 and CR0.TS = 1');
}

// ---------------------------------------------------------------------------------------------
// HLT.

/** Enter the HLT state: the executor stops (kind 'hlt') unless an interrupt or NMI wakes the CPU. */
export function hlt(cpu: Cpu): void {
  cpu.halted = true;
  cpu.breakBlock = true;
}

/** HLT (F4): CPL 0 only. */
export function HLT(cpu: Cpu, _i: Insn): void {
  requireCpl0(cpu, 'HLT');
  hlt(cpu);
}

// ---------------------------------------------------------------------------------------------
// Descriptor-table registers.

/**
 * Store a pseudo-descriptor (SGDT/SIDT): the 16-bit limit at seg:off, the base at off + 2.
 * With a 16-bit operand size only 24 bits of base are stored and the fourth byte is 0 (the
 * behaviour of the 386 and later, SDM Vol. 2B "SGDT", IA-32 Architecture Compatibility,
 * and of QEMU); with 32 bits all 32. The 6 bytes are probed before anything is written.
 * @throws CpuFault segment-limit #GP(0)/#SS(0), #PF
 */
export function storePseudoDescriptor(cpu: Cpu, seg: number, off: number, o32: boolean, t: TableRegister): void {
  probeWriteV(cpu, seg, off, 6);
  writeV16(cpu, seg, off, t.limit);
  writeV32(cpu, seg, off + 2, o32 ? t.base : t.base & 0xffffff);
}

/**
 * Load a pseudo-descriptor (LGDT/LIDT) from seg:off into `t`: limit from the first word,
 * base from the next dword, of which only bits 23:0 are used with a 16-bit operand size
 * (SDM Vol. 2A "LGDT/LIDT", Operation). Both are read before `t` changes.
 * @throws CpuFault segment-limit #GP(0)/#SS(0), #PF
 */
export function loadPseudoDescriptor(cpu: Cpu, seg: number, off: number, o32: boolean, t: TableRegister): void {
  const limit = readV16(cpu, seg, off);
  const base = readV32(cpu, seg, off + 2);
  t.limit = limit & 0xffff;
  t.base = (o32 ? base : base & 0xffffff) >>> 0;
}

/** SGDT Ms (0F 01 /0): not privileged (a sensitive instruction). */
export function SGDT(cpu: Cpu, i: Insn): void {
  storePseudoDescriptor(cpu, i.seg, ea(cpu, i), i.o32, cpu.gdtr);
  if (cpu.hooks.onSensitive !== undefined) reportSensitive(cpu, i, 'privileged-state-read', 'SGDT', { base: cpu.gdtr.base >>> 0, limit: cpu.gdtr.limit });
}

/** SIDT Ms (0F 01 /1): not privileged (a sensitive instruction). */
export function SIDT(cpu: Cpu, i: Insn): void {
  storePseudoDescriptor(cpu, i.seg, ea(cpu, i), i.o32, cpu.idtr);
  if (cpu.hooks.onSensitive !== undefined) reportSensitive(cpu, i, 'privileged-state-read', 'SIDT', { base: cpu.idtr.base >>> 0, limit: cpu.idtr.limit });
}

/** LGDT Ms (0F 01 /2): CPL 0 only. */
export function LGDT(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'LGDT');
  loadPseudoDescriptor(cpu, i.seg, ea(cpu, i), i.o32, cpu.gdtr);
}

/** LIDT Ms (0F 01 /3): CPL 0 only. */
export function LIDT(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'LIDT');
  loadPseudoDescriptor(cpu, i.seg, ea(cpu, i), i.o32, cpu.idtr);
}

// ---------------------------------------------------------------------------------------------
// Machine status word.

/**
 * SMSW Ew (0F 01 /4): not privileged. A memory destination always receives 16 bits (CR0
 * bits 15:0). A register destination with a 16-bit operand size receives CR0 bits 15:0 in
 * its low word; with a 32-bit operand size the SDM leaves bits 31:16 undefined, and the P6
 * family, Bochs and QEMU store all of CR0 there, as we do (SDM Vol. 2B "SMSW").
 */
export function SMSW(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) {
    if (i.o32) cpu.regs[i.rm] = cpu.cr0;
    else cpu.regs16[i.rm << 1] = smsw(cpu);
  } else {
    writeV16(cpu, i.seg, ea(cpu, i), smsw(cpu));
  }
  if (cpu.hooks.onSensitive !== undefined) reportSensitive(cpu, i, 'privileged-state-read', 'SMSW', { value: i.mod === 3 && i.o32 ? cpu.cr0 >>> 0 : smsw(cpu) });
}

/** LMSW Ew (0F 01 /6): CPL 0 only; loads PE, MP, EM, TS and cannot clear PE (control-registers.ts `lmsw`). */
export function LMSW(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'LMSW');
  const msw = i.mod === 3 ? cpu.regs16[i.rm << 1] : readV16(cpu, i.seg, ea(cpu, i));
  lmsw(cpu, msw);
}

// ---------------------------------------------------------------------------------------------
// Caches and the TLB.

/**
 * INVLPG Mb (0F 01 /7): CPL 0 only. Invalidates the TLB entry for the linear address
 * segment base + effective address. Like Bochs, and as the SDM's exception list (which
 * names only CPL and a register operand) implies, no segment check is made: the operand is
 * never accessed, so a null segment or an offset beyond the limit does not fault.
 */
export function INVLPG(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu, 'INVLPG');
  invalidatePage(cpu, (cpu.segs[i.seg].base + ea(cpu, i)) | 0);
}

/** CLTS (0F 06): CPL 0 only; clears CR0.TS. */
export function CLTS(cpu: Cpu, _i: Insn): void {
  requireCpl0(cpu, 'CLTS');
  clts(cpu);
}

/**
 * INVD (0F 08): CPL 0 only. No processor caches are modelled — memory is always coherent —
 * so discarding the (empty) caches has no architecturally visible effect; the privilege
 * check is all that remains of the instruction.
 */
export function INVD(cpu: Cpu, _i: Insn): void {
  requireCpl0(cpu, 'INVD');
}

/** WBINVD (0F 09): CPL 0 only; as INVD, no caches are modelled, so nothing is written back. */
export function WBINVD(cpu: Cpu, _i: Insn): void {
  requireCpl0(cpu, 'WBINVD');
}

// ---------------------------------------------------------------------------------------------
// Control and debug registers. ModRM.rm selects the GPR; mod is ignored (the decoder treats
// it as 3); the operand size is always 32 bits. CR1 and CR5–CR7 are rejected by the decoder.

/** MOV r32, CRn (0F 20): CPL 0 only. */
export function MOV_RdCd(cpu: Cpu, i: Insn): void {
  if (cpu.cpl !== 0) throw privileged(cpu, `MOV from CR${i.reg}`);
  cpu.regs[i.rm] = readCr(cpu, i.reg);
}

/** MOV CRn, r32 (0F 22): CPL 0 only; effects in control-registers.ts. */
export function MOV_CdRd(cpu: Cpu, i: Insn): void {
  if (cpu.cpl !== 0) throw privileged(cpu, `MOV to CR${i.reg}`);
  writeCr(cpu, i.reg, cpu.regs[i.rm]);
}

/**
 * MOV r32, DRn (0F 21): #UD (DR4/DR5 with CR4.DE), #DB (DR7.GD), then #GP(0) at CPL > 0 —
 * Bochs' order (control-registers.ts header).
 */
export function MOV_RdDd(cpu: Cpu, i: Insn): void {
  const r = checkDrAccess(cpu, i.reg);
  if (cpu.cpl !== 0) throw privileged(cpu, `MOV from DR${i.reg}`);
  cpu.regs[i.rm] = getDr(cpu, r);
}

/** MOV DRn, r32 (0F 23): the checks of MOV_RdDd, then the write (fixed bits of DR6/DR7 kept). */
export function MOV_DdRd(cpu: Cpu, i: Insn): void {
  const r = checkDrAccess(cpu, i.reg);
  if (cpu.cpl !== 0) throw privileged(cpu, `MOV to DR${i.reg}`);
  setDr(cpu, r, cpu.regs[i.rm]);
}

// ---------------------------------------------------------------------------------------------
// MSRs, TSC, CPUID.

/** Scratch for RDMSR (handlers must not allocate). */
const msrOut: MsrValue = { lo: 0, hi: 0 };

/** WRMSR (0F 30): CPL 0 only; MSR[ECX] = EDX:EAX (msr.ts). */
export function WRMSR(cpu: Cpu, _i: Insn): void {
  requireCpl0(cpu, 'WRMSR');
  writeMsr(cpu, cpu.regs[ECX], cpu.regs[EAX], cpu.regs[EDX]);
}

/** RDMSR (0F 32): CPL 0 only; EDX:EAX = MSR[ECX] (msr.ts). */
export function RDMSR(cpu: Cpu, _i: Insn): void {
  requireCpl0(cpu, 'RDMSR');
  readMsr(cpu, cpu.regs[ECX], msrOut);
  cpu.regs[EAX] = msrOut.lo;
  cpu.regs[EDX] = msrOut.hi;
}

/**
 * RDTSC (0F 31): EDX:EAX = TSC (msr.ts `readTsc`: instructions retired before this one plus
 * the offset, so deterministic). #GP(0) when CR4.TSD = 1 and CPL > 0.
 */
export function RDTSC(cpu: Cpu, _i: Insn): void {
  if (cpu.cr4 & CR4_TSD && cpu.cpl !== 0) throw gp(0, `RDTSC at CPL ${cpu.cpl} with CR4.TSD = 1`);
  const tsc = readTsc(cpu);
  cpu.regs[EAX] = tsc >>> 0;
  cpu.regs[EDX] = Math.floor(tsc / 0x100000000) >>> 0;
}

/** CPUID (0F A2): the leaves of cpuid.ts. Not privileged. */
export function CPUID(cpu: Cpu, _i: Insn): void {
  executeCpuid(cpu);
}

// ---------------------------------------------------------------------------------------------
// Always-invalid opcodes.

/** RSM (0F AA): #UD, since the processor is never in system-management mode (SMM is not modelled). */
export function RSM(_cpu: Cpu, _i: Insn): void {
  throw ud('RSM outside system-management mode');
}

/** UD0 (0F FF), UD1 (0F B9), UD2 (0F 0B): always #UD (SDM Vol. 2B "UD—Undefined Instruction"). */
export function UD(_cpu: Cpu, i: Insn): void {
  throw ud(i.opcode === 0x0f0b ? 'UD2' : i.opcode === 0x0fb9 ? 'UD1' : 'UD0');
}
