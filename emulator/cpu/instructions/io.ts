/**
 * Port I/O: IN, OUT, INS, OUTS, and the I/O permission check they share.
 *
 * Access size: even opcode = byte, odd = word or dword by the operand size. The port is
 * an immediate byte (E4–E7) or DX (EC–EF, 6C–6F).
 *
 * Protection (SDM Vol. 1 §19.5.1 "I/O Privilege Level", §19.5.2 "I/O Permission Bit Map";
 * Vol. 3A §20.2.8.1 for virtual-8086 mode):
 * in real mode every access is allowed. In protected mode with CPL ≤ IOPL it is allowed;
 * with CPL > IOPL, and always in virtual-8086 mode, the I/O permission bitmap of the
 * current TSS decides: every bit for the ports accessed must be 0. The bitmap starts at
 * the 16-bit offset stored at TSS+66h; a bit beyond the TSS limit counts as 1, and a
 * 16-bit TSS has no bitmap: both give #GP(0). Like the processor (which the SDM says
 * may read two bytes of the bitmap for every check, hence its advice to end the map with
 * a byte of all ones) and like Bochs, we always read two bytes, so both must lie within
 * the TSS limit.
 *
 * Watched ports (`cpu.watchedPorts`, e.g. the debugger's or the VMM's I/O exits): after
 * an access that touches one, `cpu.stopReason` is set (kind 'io') and breakBlock, so the
 * run loop returns after this instruction. A REP INS/OUTS stops after that iteration.
 *
 * @see Intel SDM Vol. 2A "IN—Input From Port", "INS/INSB/INSW/INSD";
 *      Vol. 2B "OUT", "OUTS/OUTSB/OUTSW/OUTSD", "REP/REPE/REPZ/REPNE/REPNZ".
 */
import { CR0_PE } from '../../arch/control-registers';
import { EFLAGS_VM } from '../../arch/eflags';
import { SegReg, SystemType, arType } from '../../arch/segments';
import { EAX, EDI, EDX, ESI, type Cpu } from '../cpu';
import type { Exec } from '../decoder/types';
import type { Insn } from '../decoder/insn';
import { gp, type CpuFault } from '../fault';
import { probeWriteV, readSys16, readSys8 } from '../memory-access';
import { iopl } from './flag-ctrl';
import {
  advanceIndex,
  indexReg,
  PFX_ANY_REP,
  readElem,
  REP_CHUNK,
  repCount,
  repeatLater,
  setRepCount,
  stepFor,
  writeElem,
} from './string';

/** Offset in a 32-bit TSS of the 16-bit I/O map base address (SDM Vol. 3A "Task-State Segment (TSS)", 32-bit TSS figure). */
export const TSS32_IOMAP_BASE = 0x66;

/**
 * Check that the current privilege may access `size` bytes of I/O ports from `port`.
 * @throws CpuFault #GP(0) when the I/O permission bitmap (or its absence) denies it
 */
export function checkIoPermission(cpu: Cpu, port: number, size: number): void {
  if ((cpu.cr0 & CR0_PE) === 0) return;
  if ((cpu.flags & EFLAGS_VM) === 0 && cpu.cpl <= iopl(cpu)) return;
  const tr = cpu.tr;
  const type = arType(tr.ar);
  if (type !== SystemType.TSS32_AVAILABLE && type !== SystemType.TSS32_BUSY) throw ioFault(cpu, port, 'the current TSS has no I/O permission bitmap');
  if (tr.limit < TSS32_IOMAP_BASE + 1) throw ioFault(cpu, port, 'the TSS limit excludes the I/O map base');
  const mapBase = readSys16(cpu, (tr.base + TSS32_IOMAP_BASE) | 0);
  const byteOff = mapBase + (port >>> 3);
  if (byteOff + 1 > tr.limit) throw ioFault(cpu, port, 'its bitmap bits lie beyond the TSS limit');
  const bits = readSys8(cpu, (tr.base + byteOff) | 0) | (readSys8(cpu, (tr.base + byteOff + 1) | 0) << 8);
  const need = ((1 << size) - 1) << (port & 7);
  if (bits & need) throw ioFault(cpu, port, 'denied by the I/O permission bitmap');
}

/** The #GP(0) of a denied I/O access, its reason built only when faulting. */
function ioFault(cpu: Cpu, port: number, detail: string): CpuFault {
  const where = (cpu.flags & EFLAGS_VM) !== 0 ? 'in virtual-8086 mode' : `at CPL ${cpu.cpl} > IOPL ${iopl(cpu)}`;
  return gp(0, `I/O to port 0x${port.toString(16)} ${where}: ${detail}`);
}

/** After an access to ports [port, port+size): stop the run loop if one of them is watched. Returns whether it did. */
function noteWatched(cpu: Cpu, port: number, size: number, write: boolean): boolean {
  const w = cpu.watchedPorts;
  if (w.size === 0) return false;
  for (let k = 0; k < size; k++) {
    const p = (port + k) & 0xffff;
    if (w.has(p)) {
      cpu.stopReason ??= { kind: 'io', port: p, write };
      cpu.breakBlock = true;
      return true;
    }
  }
  return false;
}

function accessSize(i: Insn): 1 | 2 | 4 {
  return (i.opcode & 1) === 0 ? 1 : i.o32 ? 4 : 2;
}

function portIn(cpu: Cpu, port: number, size: 1 | 2 | 4): void {
  checkIoPermission(cpu, port, size);
  const v = cpu.io.in(port, size);
  if (size === 1) cpu.regs8[0] = v;
  else if (size === 2) cpu.regs16[0] = v;
  else cpu.regs[EAX] = v;
  noteWatched(cpu, port, size, false);
}

function portOut(cpu: Cpu, port: number, size: 1 | 2 | 4): void {
  checkIoPermission(cpu, port, size);
  const v = size === 1 ? cpu.regs8[0] : size === 2 ? cpu.regs16[0] : cpu.regs[EAX];
  cpu.io.out(port, size, v);
  noteWatched(cpu, port, size, true);
}

/** IN AL/AX/EAX, imm8 (E4, E5). */
export const IN_imm: Exec = (cpu, i) => portIn(cpu, i.imm & 0xff, accessSize(i));
/** OUT imm8, AL/AX/EAX (E6, E7). */
export const OUT_imm: Exec = (cpu, i) => portOut(cpu, i.imm & 0xff, accessSize(i));
/** IN AL/AX/EAX, DX (EC, ED). */
export const IN_DX: Exec = (cpu, i) => portIn(cpu, cpu.regs16[EDX << 1], accessSize(i));
/** OUT DX, AL/AX/EAX (EE, EF). */
export const OUT_DX: Exec = (cpu, i) => portOut(cpu, cpu.regs16[EDX << 1], accessSize(i));

/**
 * One INS iteration: ES:[eDI] ← port. Fault order: the SDM's INS page lists the
 * destination's #GP/#SS/#PF but its Operation reads the port first; were the write to
 * fault after the read, the restarted instruction would read the (possibly
 * side-effecting) port again and the first value would be lost. We check the destination
 * for writing (segment and page) BEFORE reading the port, so any fault happens before
 * the device sees the read and no port read is lost or repeated; after the probe the
 * write cannot fault.
 */
function insOnce(cpu: Cpu, port: number, size: 1 | 2 | 4, a32: boolean, d: number): boolean {
  const di = indexReg(cpu, EDI, a32);
  probeWriteV(cpu, SegReg.ES, di, size);
  const v = cpu.io.in(port, size);
  writeElem(cpu, SegReg.ES, di, size, v);
  advanceIndex(cpu, EDI, a32, d);
  return noteWatched(cpu, port, size, false);
}

/** One OUTS iteration: port ← seg:[eSI] (the source segment may be overridden). */
function outsOnce(cpu: Cpu, seg: number, port: number, size: 1 | 2 | 4, a32: boolean, d: number): boolean {
  const v = readElem(cpu, seg, indexReg(cpu, ESI, a32), size);
  cpu.io.out(port, size, v);
  advanceIndex(cpu, ESI, a32, d);
  return noteWatched(cpu, port, size, true);
}

/**
 * INS (6C, 6D): ES:[eDI] ← port DX, with REP (F3 or F2) repeating CX/ECX times in chunks
 * like the other string instructions (string.ts). The permission check is made once per
 * execution, before the first iteration (the port does not change between iterations);
 * with a count of 0 nothing happens.
 */
export const INS: Exec = (cpu, i) => {
  const size = accessSize(i);
  const port = cpu.regs16[EDX << 1];
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    checkIoPermission(cpu, port, size);
    insOnce(cpu, port, size, a32, d);
    return;
  }
  let count = repCount(cpu, a32);
  if (count === 0) return;
  checkIoPermission(cpu, port, size);
  for (let n = REP_CHUNK; ; ) {
    const watched = insOnce(cpu, port, size, a32, d);
    setRepCount(cpu, a32, --count);
    if (count === 0) return;
    if (--n === 0 || watched) return repeatLater(cpu, i);
  }
};

/** OUTS (6E, 6F): port DX ← seg:[eSI], REP as for INS. */
export const OUTS: Exec = (cpu, i) => {
  const size = accessSize(i);
  const port = cpu.regs16[EDX << 1];
  const d = stepFor(cpu, size);
  const a32 = i.a32;
  if ((i.prefixes & PFX_ANY_REP) === 0) {
    checkIoPermission(cpu, port, size);
    outsOnce(cpu, i.seg, port, size, a32, d);
    return;
  }
  let count = repCount(cpu, a32);
  if (count === 0) return;
  checkIoPermission(cpu, port, size);
  for (let n = REP_CHUNK; ; ) {
    const watched = outsOnce(cpu, i.seg, port, size, a32, d);
    setRepCount(cpu, a32, --count);
    if (count === 0) return;
    if (--n === 0 || watched) return repeatLater(cpu, i);
  }
};
