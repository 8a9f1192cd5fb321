/**
 * EXIT_REASON_IO_INSTRUCTION (30): IN/OUT at CPL 1 > IOPL fault with #GP(0) (the host TSS has
 * no I/O permission bitmap) and are emulated against the VM's private I/O bus (SDM Vol. 1
 * §18.5.1 "I/O Privilege Level"; Vol. 2A "IN", Vol. 2B "OUT").
 * NOT YET: INS/OUTS (string I/O) — the VM stops with a message naming it.
 */
import { EAX } from '../../../cpu/cpu';
import { ioOfInsn } from '../../exit-info';
import { RESUME, type ExitAction, type ExitContext } from '../../exit-dispatch';
import { VmmUnsupported } from '../virtual-delivery';
import type { TrapAndEmulateState } from '../vm-state';
import { exitInsn, retire } from './retire';

const SIZE_MASK = { 1: 0xff, 2: 0xffff, 4: -1 } as const;

export function onIoInstruction(ctx: ExitContext<TrapAndEmulateState>): ExitAction {
  const { cpu, state } = ctx;
  const insn = exitInsn(state.insn, 'I/O');
  const q = ioOfInsn(cpu, insn);
  if (q.string) throw new VmmUnsupported(`string I/O (${q.in ? 'INS' : 'OUTS'}) at port 0x${q.port.toString(16)} is not emulated yet`);
  const mask = SIZE_MASK[q.size];
  if (q.in) {
    const v = state.devices.io.in(q.port, q.size);
    cpu.regs[EAX] = (cpu.regs[EAX] & ~mask) | (v & mask);
  } else {
    state.devices.io.out(q.port, q.size, (cpu.regs[EAX] & mask) >>> 0);
  }
  ctx.charge(2);
  retire(cpu, insn);
  return RESUME;
}
