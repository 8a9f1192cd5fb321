/**
 * Vanderpool's built-in BIOS: a 64-KiB ROM of entry stubs (rom.ts) whose services are
 * answered in TypeScript, the POST (post.ts), and the disk boot.
 *
 * The trap. Each service's ROM stub executes `out 0EFh, al` followed by `iret`. This
 * class owns port EFh: on a write it looks at where the OUT came from — the linear address
 * CS.base + IP − 2 must be one of the stubs (rom.ts TRAP_STUBS), in the ROM's first-MiB
 * copy (F0000h) or its 4-GiB alias, with the CPU in real mode — and runs that stub's
 * service on the guest's registers, memory and the FLAGS image on the stack. A write to
 * port EFh from anywhere else is ignored and counted in `strayTraps`. Why this design:
 *   - the service runs exactly when execution reaches the BIOS handler, so a guest that
 *     installs its own vector never sees the built-in service, and a guest handler that
 *     chains to the old vector (PUSHF; CALL FAR) does;
 *   - no CPU hook is involved (`cpu.hooks.interceptEvent` stays free for the VMM) and the
 *     executor's loop is untouched; the OUT is an ordinary instruction: it is counted,
 *     traced, and happens at a deterministic instruction count;
 *   - the result is returned through the real IRET, so FLAGS, interrupt shadow and stack
 *     behave as with a ROM BIOS.
 *
 * Boot (INT 19h semantics, IBM BOOT_STRAP; SeaBIOS boot.c for the entry registers): read
 * sector 1 (CHS 0/0/1) of the boot drive to 0000:7C00h, require the signature 55h AAh at
 * offset 510 ("Boot failed: not a bootable disk" otherwise, then INT 18h), and enter it at
 * 0000:7C00h in real mode with DL = the drive (00h floppy, 80h hard disk), AX = AA55h,
 * CS = DS = ES = SS = 0, SP = 7C00h and IF = 1. INT 18h prints "No bootable device." and
 * halts with interrupts off (the machine then stops: halted forever).
 */
import { CR0_PE } from '../../arch/control-registers';
import { EFLAGS_IF } from '../../arch/eflags';
import { SegReg } from '../../arch/segments';
import type { Cpu } from '../../cpu/cpu';
import type { IoBus, IoDevice } from '../../memory/io-bus';
import type { PhysicalMemory } from '../../memory/physical-memory';
import { SECTOR_SIZE } from '../disk';
import { enterRealMode } from '../entry';
import { BiosCall } from './call';
import type { BiosEnv } from './env';
import { int13 } from './int13';
import { int15 } from './int15';
import { powerOnSelfTest } from './post';
import { BIOS_ROM_BASE_HIGH, BIOS_ROM_BASE_LOW, BIOS_ROM_SIZE, BIOS_SEGMENT, BIOS_TRAP_PORT, BiosEntry, buildBiosRom, TRAP_INSN_LENGTH, TRAP_STUBS, type BiosService } from './rom';
import { int08, int11, int12, int16, int1a } from './services';
import { biosPrint, int10 } from './video';

export const BOOT_SECTOR_ADDRESS = 0x7c00;

export class BuiltinBios implements IoDevice {
  /** The ROM image (segment F000h) the machine maps at F0000h and FFFF0000h. */
  readonly rom: Uint8Array;
  /** Services answered, by name ('int13', …). */
  readonly calls = new Map<BiosService, number>();
  /** Writes to the trap port that did not come from a ROM stub in real mode (ignored). */
  strayTraps = 0;

  /**
   * @param env the machine as the services see it
   * @param memory physical memory (INT 15h AH=87h copies by physical address)
   */
  constructor(
    private readonly env: BiosEnv,
    private readonly memory: PhysicalMemory,
  ) {
    this.rom = buildBiosRom(env.disk?.kind === 'hdd' ? env.disk.geometry : undefined);
  }

  /** Claim the trap port on `bus`. */
  attach(bus: IoBus): this {
    bus.register(BIOS_TRAP_PORT, 1, 'built-in BIOS trap', this);
    return this;
  }

  in(): number {
    return 0xff;
  }

  out(): void {
    const service = this.stubAt(this.env.cpu);
    if (service === null) {
      this.strayTraps++;
      return;
    }
    this.calls.set(service, (this.calls.get(service) ?? 0) + 1);
    this.dispatch(service);
  }

  /** The service whose stub the current instruction (an OUT just executed) belongs to, or null. */
  private stubAt(cpu: Cpu): BiosService | null {
    if (cpu.cr0 & CR0_PE) return null;
    const cs = cpu.segs[SegReg.CS];
    const linear = (cs.base + cpu.eip - TRAP_INSN_LENGTH) >>> 0;
    const inLow = linear >= BIOS_ROM_BASE_LOW && linear < BIOS_ROM_BASE_LOW + BIOS_ROM_SIZE;
    const inHigh = linear >= BIOS_ROM_BASE_HIGH;
    if (!inLow && !inHigh) return null;
    return TRAP_STUBS.get(linear & 0xffff) ?? null;
  }

  private dispatch(service: BiosService): void {
    const env = this.env;
    const call = new BiosCall(env.cpu, env.mem);
    switch (service) {
      case 'post':
        env.requestReset();
        return;
      case 'int08':
        return int08(env);
      case 'int10':
        return int10(call, env);
      case 'int11':
        return int11(call, env);
      case 'int12':
        return int12(call, env);
      case 'int13':
        return int13(call, env);
      case 'int15':
        return int15(call, env, this.memory);
      case 'int16':
        return int16(call, env);
      case 'int18':
        biosPrint(env, 'No bootable device.\r\n');
        return;
      case 'int19':
        env.bootstrap();
        return;
      case 'int1a':
        return int1a(call, env);
    }
  }

  /**
   * The POST: vectors, BDA, screen, PICs and PIT (post.ts).
   * @param comPort COM1's base port for the BDA, or null without a UART
   */
  post(comPort: number | null): void {
    powerOnSelfTest(this.env, comPort);
  }

  /**
   * Load the boot sector of the disk and enter it; without a disk, or when the sector is
   * not bootable, continue at INT 18h (which reports and halts).
   * @returns whether the boot sector was entered
   */
  bootDisk(): boolean {
    const env = this.env;
    const disk = env.disk;
    if (disk === null) {
      this.enterNoBootDevice();
      return false;
    }
    const sector = disk.read(0, 1);
    env.mem.writeBytes(BOOT_SECTOR_ADDRESS, sector);
    if (sector[SECTOR_SIZE - 2] !== 0x55 || sector[SECTOR_SIZE - 1] !== 0xaa) {
      biosPrint(env, 'Boot failed: not a bootable disk\r\n\r\n');
      this.enterNoBootDevice();
      return false;
    }
    enterRealMode(env.cpu, 0, BOOT_SECTOR_ADDRESS, { eax: 0xaa55, edx: disk.drive, esp: BOOT_SECTOR_ADDRESS }, EFLAGS_IF);
    return true;
  }

  /** Continue at the INT 18h stub: "No bootable device." and a halt with interrupts off. */
  enterNoBootDevice(): void {
    enterRealMode(this.env.cpu, BIOS_SEGMENT, BiosEntry.int18, { esp: BOOT_SECTOR_ADDRESS }, 0);
  }
}
