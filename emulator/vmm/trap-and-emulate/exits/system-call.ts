/**
 * VMM reason SYSTEM_CALL: SYSENTER and SYSEXIT emulated against the guest's VIRTUAL
 * IA32_SYSENTER_CS / _ESP / _EIP (SDM Vol. 2B "SYSENTER" and "SYSEXIT" Operation).
 *
 * VT-x has no exit for either (it runs them natively); under trap-and-emulate they trap:
 *   - SYSENTER: the host IA32_SYSENTER_CS stays 0 while a guest runs, so SYSENTER raises
 *     #GP(0) ("IF IA32_SYSENTER_CS[15:2] = 0") instead of entering host ring 0;
 *   - SYSEXIT: it needs CPL 0, and the guest kernel runs at host CPL 1 or 3 → #GP(0).
 *
 * SYSENTER: with the virtual IA32_SYSENTER_CS[15:2] = 0 the guest gets the #GP(0) hardware
 * raises. Else, as the SDM's Operation: EFLAGS.VM, IF (the virtual IF) and RF cleared; CS =
 * IA32_SYSENTER_CS & FFFCh and SS = CS + 8 with flat 4-GiB descriptors of DPL 0, made the
 * way the shadow makes guest ring-0 segments (DPL and RPL the model's kernel ring, limit
 * truncated below the VMM's area); ESP and EIP from the virtual MSRs; the guest enters its
 * kernel (guest-ring.ts).
 * SYSEXIT: from guest user mode, or with IA32_SYSENTER_CS[15:2] = 0, the #GP(0) of hardware;
 * else CS = (IA32_SYSENTER_CS + 16) | 3 and SS = (IA32_SYSENTER_CS + 24) | 3 with flat DPL-3
 * descriptors (limits truncated), ESP = ECX, EIP = EDX; EFLAGS unchanged; guest user mode.
 * Neither reads the descriptor tables (the SDM: the GDT is expected to match).
 */
import { EFLAGS_RF, EFLAGS_VM } from '../../../arch/eflags';
import { AR_ACCESSED, AR_CODE, AR_DB, AR_G, AR_P, AR_RW, AR_S, SegReg } from '../../../arch/segments';
import { ECX, EDX, ESP, type Cpu } from '../../../cpu/cpu';
import { gp } from '../../../cpu/fault';
import { setEflagsBits } from '../../../cpu/flags';
import { setCpl } from '../../../cpu/segmentation';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { enterGuestKernel, enterGuestUser } from '../guest-ring';
import { shadowCache, VMM_AREA_LINEAR } from '../shadow-gdt';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn } from './retire';

export const SYSENTER_OPCODE = 0x0f34;
export const SYSEXIT_OPCODE = 0x0f35;

/** The flat code (type 11, execute/read, accessed) and stack (type 3) segments of SYSENTER/SYSEXIT, DPL 0. */
const FLAT_CODE_AR = AR_P | AR_S | AR_CODE | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const FLAT_STACK_AR = AR_P | AR_S | AR_RW | AR_ACCESSED | AR_DB | AR_G;
const DPL3 = 3 << 5;

/** Load CS or SS with a flat 4-GiB segment as the shadow would hold it (DPL 0 raised, limit truncated). */
function loadFlat(cpu: Cpu, state: TrapAndEmulateState, seg: SegReg, selector: number, ar: number): void {
  const c = shadowCache(0, 0xffffffff, ar, VMM_AREA_LINEAR, state.ring.kernelRing);
  cpu.segs[seg].setCache(selector & 0xffff, 0, c.limit, c.ar);
}

/** SYSENTER from either guest ring (see the file header). @throws CpuFault #GP(0) as hardware */
export function emulateSysenter(cpu: Cpu, state: TrapAndEmulateState): void {
  if ((state.sysenterCs & 0xfffc) === 0) throw gp(0, 'SYSENTER with IA32_SYSENTER_CS = 0');
  const kRing = state.ring.kernelRing;
  const cs = state.sysenterCs & 0xfffc;
  // Commit: nothing below can fault.
  enterGuestKernel(cpu, state);
  setEflagsBits(cpu, 0, EFLAGS_VM | EFLAGS_RF);
  state.vif = false;
  loadFlat(cpu, state, SegReg.CS, cs | kRing, FLAT_CODE_AR);
  setCpl(cpu, kRing);
  loadFlat(cpu, state, SegReg.SS, ((cs + 8) & 0xfffc) | kRing, FLAT_STACK_AR);
  cpu.regs[ESP] = state.sysenterEsp | 0;
  cpu.eip = state.sysenterEip >>> 0;
}

/** SYSEXIT (see the file header). @throws CpuFault #GP(0) as hardware */
export function emulateSysexit(cpu: Cpu, state: TrapAndEmulateState): void {
  if ((state.sysenterCs & 0xfffc) === 0) throw gp(0, 'SYSEXIT with IA32_SYSENTER_CS = 0');
  if (state.guestCpl !== 0) throw gp(0, `SYSEXIT at CPL ${state.guestCpl}`);
  const base = state.sysenterCs & 0xffff;
  // Commit.
  enterGuestUser(cpu, state);
  loadFlat(cpu, state, SegReg.CS, (base + 16) | 3, FLAT_CODE_AR | DPL3);
  setCpl(cpu, 3);
  loadFlat(cpu, state, SegReg.SS, (base + 24) | 3, FLAT_STACK_AR | DPL3);
  cpu.regs[ESP] = cpu.regs[ECX];
  cpu.eip = cpu.regs[EDX] >>> 0;
}

export function onSystemCall(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'SYSENTER/SYSEXIT');
  if (insn.opcode === SYSENTER_OPCODE) emulateSysenter(cpu, state);
  else if (insn.opcode === SYSEXIT_OPCODE) emulateSysexit(cpu, state);
  else throw new Error(`internal: SYSTEM_CALL exit for opcode 0x${insn.opcode.toString(16)}`);
  // The instruction retired (it faulted on the host); CS, CPL and EIP changed behind the executor.
  cpu.icount++;
  cpu.breakBlock = true;
  ctx.charge(3);
  return RESUME;
}
