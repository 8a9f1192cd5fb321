/**
 * INT 15h system services of the built-in BIOS.
 *
 *   AH=24h  A20 gate: AL=00h disable, 01h enable, 02h status (AL), 03h support (BX = 3:
 *           keyboard controller and port 92h). AH = 00h, CF = 0.
 *   AH=4Fh  keyboard intercept: CF = 1 (process the scan code).
 *   AH=87h  block move: copy CX words between the source and destination descriptors of
 *           the GDT at ES:SI (bases at +12h and +1Ah), as 286-era programs and HIMEM use.
 *   AH=88h  extended memory in KiB above 1 MiB (AX; 63 MiB when there are more than 64).
 *   AH=C0h  ES:BX = the system configuration table.
 *   AX=E801h  AX = CX = KiB between 1 and 16 MiB (≤ 15360), BX = DX = 64-KiB blocks above 16 MiB.
 *   EAX=E820h  the memory map, one 20-byte descriptor per call: EDX = 'SMAP' (534D4150h),
 *           EBX = continuation (0 first, 0 after the last), ECX = buffer size (≥ 20),
 *           ES:DI = buffer. Returns EAX = 'SMAP', ECX = 20, EBX = next continuation value.
 * Anything else — including AH=86h (wait) and AH=53h (APM), not offered — returns CF = 1
 * and AH = 86h ("function not supported").
 *
 * The memory map (type 1 usable, 2 reserved):
 *   0–9FBFFh usable (639 KiB), 9FC00h–9FFFFh reserved (the EBDA), F0000h–FFFFFh reserved
 *   (the BIOS ROM), 100000h–end of RAM usable, FFFF0000h–FFFFFFFFh reserved (the ROM's
 *   alias). A0000h–EFFFFh (the VGA and adapter-ROM hole) is not listed, as on a PC.
 *
 * @see Ralf Brown's Interrupt List INT 15 (AH=24h, 4Fh, 87h, 88h, C0h, E801h, E820h);
 *      ACPI Specification §15 "System Address Map Interfaces" (E820h); SeaBIOS system.c
 *      for the choices where RBIL lists several BIOS behaviours (88h's 63-MiB cap, E820h's
 *      validity checks).
 */
import type { PhysicalMemory } from '../../memory/physical-memory';
import type { BiosCall } from './call';
import { EBDA_BASE } from './bda';
import type { BiosEnv } from './env';
import { BiosEntry, BIOS_ROM_BASE_HIGH, BIOS_ROM_BASE_LOW, BIOS_SEGMENT } from './rom';

const SMAP = 0x534d4150;
const UNSUPPORTED = 0x86;
const MiB = 1 << 20;

export interface MemoryMapEntry {
  base: number;
  length: number;
  /** 1 = usable RAM, 2 = reserved. */
  type: 1 | 2;
}

/** The E820h memory map of a machine with `ramBytes` of RAM. */
export function memoryMap(ramBytes: number): MemoryMapEntry[] {
  const map: MemoryMapEntry[] = [
    { base: 0, length: EBDA_BASE, type: 1 },
    { base: EBDA_BASE, length: 0xa0000 - EBDA_BASE, type: 2 },
    { base: BIOS_ROM_BASE_LOW, length: 0x10000, type: 2 },
  ];
  if (ramBytes > MiB) map.push({ base: MiB, length: ramBytes - MiB, type: 1 });
  map.push({ base: BIOS_ROM_BASE_HIGH, length: 0x10000, type: 2 });
  return map;
}

/** INT 15h. */
export function int15(call: BiosCall, env: BiosEnv, memory: PhysicalMemory): void {
  const ext = Math.max(0, env.ramBytes - MiB);
  switch (call.ah) {
    case 0x24:
      return a20Service(call, env);
    case 0x4f:
      call.setCF(true);
      return;
    case 0x87:
      return blockMove(call, env, memory);
    case 0x88:
      call.ax = env.ramBytes > 64 * MiB ? 63 * 1024 : ext / 1024;
      call.setCF(false);
      return;
    case 0xc0:
      call.setEs(BIOS_SEGMENT);
      call.bx = BiosEntry.configTable;
      call.success();
      return;
    case 0xe8:
      if (call.al === 0x01) {
        const below16 = Math.min(ext, 15 * MiB) / 1024;
        const above16 = env.ramBytes > 16 * MiB ? Math.floor((env.ramBytes - 16 * MiB) / 0x10000) : 0;
        call.ax = call.cx = below16;
        call.bx = call.dx = above16;
        call.setCF(false);
        return;
      }
      if (call.al === 0x20) return e820(call, env);
      return call.fail(UNSUPPORTED);
    default:
      return call.fail(UNSUPPORTED);
  }
}

function a20Service(call: BiosCall, env: BiosEnv): void {
  switch (call.al) {
    case 0x00:
      env.setA20(false);
      return call.success();
    case 0x01:
      env.setA20(true);
      return call.success();
    case 0x02:
      call.al = env.a20() ? 1 : 0;
      return call.success();
    case 0x03:
      call.bx = 0x0003;
      return call.success();
    default:
      return call.fail(UNSUPPORTED);
  }
}

/** EAX=E820h: one memory-map descriptor per call. */
function e820(call: BiosCall, env: BiosEnv): void {
  const map = memoryMap(env.ramBytes);
  const index = call.ebx;
  if (call.edx !== SMAP || index >= map.length || call.ecx < 20) return call.fail(UNSUPPORTED);
  const e = map[index];
  const at = call.esAddr(call.di);
  const m = env.mem;
  m.write32(at, e.base);
  m.write32(at + 4, 0);
  m.write32(at + 8, e.length);
  m.write32(at + 12, 0);
  m.write32(at + 16, e.type);
  call.ebx = index === map.length - 1 ? 0 : index + 1;
  call.eax = SMAP;
  call.ecx = 20;
  call.setCF(false);
}

/** AH=87h: copy CX words between the 24-bit bases of the GDT's source and destination descriptors. */
function blockMove(call: BiosCall, env: BiosEnv, memory: PhysicalMemory): void {
  const gdt = call.esAddr(call.si);
  const base = (d: number): number =>
    (env.mem.read16(gdt + d + 2) | (env.mem.read8(gdt + d + 4) << 16) | (env.mem.read8(gdt + d + 7) << 24)) >>> 0;
  const src = base(0x10);
  const dst = base(0x18);
  const bytes = (call.cx & 0xffff) * 2;
  if (call.cx > 0x8000) return call.fail(UNSUPPORTED);
  // Done as the BIOS does it, in protected mode with A20 on: physical addresses, no wrap.
  memory.writeBytes(dst, memory.readBytes(src, bytes));
  call.success();
}
