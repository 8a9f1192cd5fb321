/**
 * The `bios` option: a firmware ROM image, mapped below 4 GiB and below 1 MiB, that starts
 * at the reset vector F000:FFF0 as on real hardware (issue 4: "a ROM given with --bios
 * starts at the reset vector and can write to ports 0x80 and 0xE9").
 */
import { describe, expect, it } from 'vitest';
import { SegReg } from '../../emulator/arch/segments';
import { Machine } from '../../emulator/machine/machine';
import { asm, testMachine } from '../unit/machine/guest';

/**
 * A ROM image of `size` bytes whose last 64 KiB (segment F000h) hold `body` at offset 0 and
 * a far jump to it at the reset vector; the rest is FFh.
 */
function rom(body: string, size = 0x10000): Uint8Array {
  const top = asm(`
bits 16
org 0
start:
${body}
  times 0xfff0 - ($ - $$) db 0xff
reset:
  jmp 0xf000:start
  times 0x10000 - ($ - $$) db 0xff
`);
  const image = new Uint8Array(size).fill(0xff);
  image.set(top, size - 0x10000);
  return image;
}

const HELLO = `
  mov al, 0x01
  out 0x80, al
  mov ax, cs
  mov ds, ax
  mov si, msg
.next:
  lodsb
  test al, al
  jz .done
  out 0xe9, al
  jmp .next
.done:
  mov al, 0x02
  out 0x80, al
  mov al, 0x05
  out 0xf4, al
  hlt
msg: db "firmware says hello", 0
`;

describe('a firmware ROM image', () => {
  it('startsAtTheResetVector_FFFFFFF0_withCsBaseFFFF0000', () => {
    const t = testMachine({ bios: rom(HELLO) });
    const cpu = t.machine.cpu;
    expect(cpu.segs[SegReg.CS].selector).toBe(0xf000);
    expect(cpu.segs[SegReg.CS].base).toBe(0xffff0000);
    expect(cpu.eip).toBe(0xfff0);
    expect(t.machine.run(1)).toEqual({ kind: 'limit' });
    // The far jump reloaded CS: from now on the code runs from the copy below 1 MiB.
    expect(cpu.segs[SegReg.CS].base).toBe(0xf0000);
    expect(cpu.eip).toBe(0x0000);
  });

  it('writesPostCodesToPort80h_andTextToPortE9h_thenExits', () => {
    const t = testMachine({ bios: rom(HELLO) });
    expect(t.machine.run(10_000)).toEqual({ kind: 'exit', status: 0x0b });
    expect(t.postCodes).toEqual([0x01, 0x02]);
    expect(t.e9()).toBe('firmware says hello');
    expect(t.video()).toBe('');
  });

  it('isReadOnly_andTheSameBytesBelow1MiBAndBelow4GiB', () => {
    const image = rom(HELLO);
    const m = new Machine({ bios: image });
    for (const off of [0, 0x1234, 0xfff0, 0xffff]) {
      expect(m.memory.read8(0xf0000 + off)).toBe(image[off]);
      expect(m.memory.read8(0xffff0000 + off)).toBe(image[off]);
    }
    m.memory.write8(0xf0000, image[0] ^ 0xff);
    m.memory.write32(0xfffffff0, 0);
    expect(m.memory.read8(0xf0000)).toBe(image[0]);
    expect(m.memory.read8(0xfffffff0)).toBe(image[0xfff0]);
  });

  it('aliasesTheLast128KiBOfABiggerImageBelow1MiB', () => {
    const image = rom(HELLO, 0x40000);
    const m = new Machine({ bios: image });
    expect(m.memory.read8(0xe0000)).toBe(image[0x20000]);
    expect(m.memory.read8(0xf0000)).toBe(image[0x30000]);
    expect(m.memory.read8(0xfffc0000)).toBe(image[0]);
    expect(m.memory.read8(0xd0000)).toBe(0); // below the alias: RAM
    expect(m.run(10_000)).toEqual({ kind: 'exit', status: 0x0b });
  });

  it('getsNoBuiltInBiosServices_theMachineIsAsTheRomLeavesIt', () => {
    const t = testMachine({ bios: rom(HELLO) });
    expect(t.machine.bios).toBeNull();
    expect(t.machine.io.owner(0xef)).toBeUndefined();
    // No POST: the interrupt vector table is untouched RAM.
    expect(t.machine.memory.read32(0x10 * 4)).toBe(0);
  });

  it('haltingWithNothingProgrammed_stopsAsHaltedForever', () => {
    const t = testMachine({ bios: rom('  sti\n  hlt\n  jmp $') });
    const stop = t.machine.run(1000);
    expect(stop.kind).toBe('halted');
    expect(stop.kind === 'halted' && stop.reason).toMatch(/no device event/);
  });

  it('rejectsAnImageThatIsNotAMultipleOf64KiB_andADiskBesideIt', () => {
    expect(() => new Machine({ bios: new Uint8Array(1000) })).toThrow(RangeError);
    expect(() => new Machine({ bios: rom(HELLO), disk: { image: new Uint8Array(1474560), kind: 'floppy' } })).toThrow(RangeError);
  });
});
