/**
 * INT 10h, 11h, 12h, 15h, 16h and 1Ah of the built-in BIOS, and how the trap behaves when a
 * guest takes a vector over. Guests store what the services return at 0600h onwards.
 */
import { describe, expect, it } from 'vitest';
import { EFLAGS_CF, EFLAGS_ZF } from '../../../emulator/arch/eflags';
import { BDA } from '../../../emulator/machine/bios/bda';
import { memoryMap } from '../../../emulator/machine/bios/int15';
import { BiosEntry } from '../../../emulator/machine/bios/rom';
import { bootSectorMachine, type TestMachine } from './guest';

/** Boot, run to the exit (within `budget` instructions, or as much virtual time halted), return the machine. */
function call(code: string, memoryMiB = 32, budget = 2_000_000): TestMachine {
  const t = bootSectorMachine(`${code}\nmov al, 0\nout 0xf4, al\njmp $`, { memoryMiB });
  expect(t.machine.run(budget)).toEqual({ kind: 'exit', status: 1 });
  return t;
}

const SAVE_FLAGS = (at: number): string => `pushf\npop word [${at}]`;
const w = (t: TestMachine, at: number): number => t.machine.memory.read16(at);

describe('INT 10h video', () => {
  it('AH0Eh_teletypeGoesToTheVideoSink_andIntoTheTextBufferWithTheCursorMoving', () => {
    const t = call('mov ax, 0x0e41\nint 0x10\nmov al, 0x42\nint 0x10\nmov al, 13\nint 0x10\nmov al, 10\nint 0x10\nmov al, 0x43\nint 0x10');
    expect(t.video()).toBe('AB\r\nC');
    const m = t.machine.memory;
    expect([m.read16(0xb8000), m.read16(0xb8002), m.read16(0xb8000 + 160)]).toEqual([0x0741, 0x0742, 0x0743]);
    expect(m.read16(BDA.cursorPos)).toBe(0x0101); // row 1, column 1
  });

  it('scrollsTheScreenUpWhenTheTeletypePassesTheLastRow', () => {
    const lines = Array.from({ length: 26 }, (_, k) => `mov al, ${0x41 + k}\nint 0x10\nmov al, 13\nint 0x10\nmov al, 10\nint 0x10`).join('\n');
    const t = call(`mov ah, 0x0e\n${lines}`);
    const m = t.machine.memory;
    // 26 lines and the cursor on a new one: 'A' and 'B' scrolled away, 'C' is on row 0.
    expect(m.read8(0xb8000)).toBe(0x43);
    expect(m.read8(0xb8000 + 23 * 160)).toBe(0x5a);
    expect(m.read8(0xb8000 + 24 * 160)).toBe(0x20);
    expect(m.read16(BDA.cursorPos)).toBe(24 << 8);
  });

  it('AH02hAnd03h_setAndGetTheCursor_AH0Fh_modeColumnsPage', () => {
    const t = call('mov ah, 0x02\nxor bh, bh\nmov dx, 0x0a05\nint 0x10\nmov ah, 0x03\nint 0x10\nmov [0x600], dx\nmov [0x602], cx\nmov ah, 0x0f\nint 0x10\nmov [0x604], ax\nmov [0x606], bx');
    expect(w(t, 0x600)).toBe(0x0a05);
    expect(w(t, 0x602)).toBe(0x0607);
    expect(w(t, 0x604)).toBe((80 << 8) | 3);
    expect(w(t, 0x606) >> 8).toBe(0);
  });

  it('AH13h_writesAStringWithItsAttribute_atTheGivenPosition', () => {
    const t = call('push cs\npop es\nmov bp, s\nmov cx, 2\nmov dx, 0x0203\nmov bx, 0x001e\nmov ax, 0x1301\nint 0x10\njmp done\ns: db "hi"\ndone:');
    expect(t.video()).toBe('hi');
    const at = 0xb8000 + (2 * 80 + 3) * 2;
    expect([t.machine.memory.read16(at), t.machine.memory.read16(at + 2)]).toEqual([0x1e68, 0x1e69]);
    expect(t.machine.memory.read16(BDA.cursorPos)).toBe(0x0205);
  });

  it('AH09h_writesCharactersInPlace_withoutTeletypeOutput', () => {
    const t = call('mov ax, 0x092a\nmov bx, 0x004f\nmov cx, 3\nint 0x10');
    expect(t.video()).toBe('');
    expect(t.machine.memory.read16(0xb8004)).toBe(0x4f2a);
    expect(t.machine.memory.read16(0xb8006)).toBe(0x0720);
    expect(t.machine.memory.read16(BDA.cursorPos)).toBe(0);
  });
});

describe('INT 11h, 12h', () => {
  it('returnTheEquipmentWord_andTheBaseMemoryOf639KiB', () => {
    const t = call('int 0x11\nmov [0x600], ax\nint 0x12\nmov [0x602], ax');
    // Diskette present (bit 0), 80 × 25 colour (bits 4–5 = 10b), one serial port (bits 9–11).
    expect(w(t, 0x600)).toBe(0x0221);
    expect(w(t, 0x602)).toBe(639);
  });
});

describe('INT 15h system services', () => {
  it('EAXE820h_returnsTheMemoryMapOneDescriptorPerCall_untilEbxIs0', () => {
    const t = call(`
  xor ebx, ebx
  mov di, 0x1000
  xor bp, bp
next:
  mov eax, 0xe820
  mov edx, 0x534d4150
  mov ecx, 24
  int 0x15
  jc fail
  cmp eax, 0x534d4150
  jne fail
  mov [0x604], cx
  add di, 20
  inc bp
  test ebx, ebx
  jnz next
  mov [0x600], bp
  jmp done
fail:
  mov word [0x602], 0xdead
done:`);
    const map = memoryMap(32 << 20);
    expect(w(t, 0x602)).toBe(0);
    expect(w(t, 0x600)).toBe(map.length);
    expect(w(t, 0x604)).toBe(20);
    const m = t.machine.memory;
    map.forEach((e, k) => {
      const at = 0x1000 + k * 20;
      expect([m.read32(at) >>> 0, m.read32(at + 4), m.read32(at + 8) >>> 0, m.read32(at + 12), m.read32(at + 16)]).toEqual([e.base >>> 0, 0, e.length, 0, e.type]);
    });
    expect(map[0]).toEqual({ base: 0, length: 0x9fc00, type: 1 });
    expect(map[3]).toEqual({ base: 0x100000, length: 31 << 20, type: 1 });
  });

  it('EAXE820h_withoutTheSmapSignature_failsWithCf1AndAh86h', () => {
    const t = call(`xor ebx, ebx\nmov di, 0x1000\nmov eax, 0xe820\nxor edx, edx\nmov ecx, 20\nint 0x15\nmov [0x600], ax\n${SAVE_FLAGS(0x602)}`);
    expect(w(t, 0x600) >> 8).toBe(0x86);
    expect(w(t, 0x602) & EFLAGS_CF).not.toBe(0);
  });

  it('AH88h_andE801h_reportExtendedMemory', () => {
    const t = call(`mov ah, 0x88\nint 0x15\nmov [0x600], ax\nmov ax, 0xe801\nint 0x15\nmov [0x602], ax\nmov [0x604], bx\nmov [0x606], cx\nmov [0x608], dx\n${SAVE_FLAGS(0x60a)}`);
    expect(w(t, 0x600)).toBe(31 * 1024);
    expect([w(t, 0x602), w(t, 0x604), w(t, 0x606), w(t, 0x608)]).toEqual([15 * 1024, 256, 15 * 1024, 256]);
    expect(w(t, 0x60a) & EFLAGS_CF).toBe(0);
  });

  it('AH88h_capsAt63MiBAbove64MiBOfRam', () => {
    const t = call('mov ah, 0x88\nint 0x15\nmov [0x600], ax', 128);
    expect(w(t, 0x600)).toBe(63 * 1024);
  });

  it('AH24h_disablesQueriesAndEnablesTheA20Gate', () => {
    const t = call(`
  mov ax, 0x2400
  int 0x15
  mov ax, 0x2402
  int 0x15
  mov [0x600], ax
  mov ax, 0xffff
  mov es, ax
  mov byte [es:0x7f0], 0x77   ; 1007E0h wraps to 7E0h
  mov ax, 0x2401
  int 0x15
  mov ax, 0x2402
  int 0x15
  mov [0x602], ax
  mov ax, 0x2403
  int 0x15
  mov [0x604], bx`);
    expect(w(t, 0x600)).toBe(0x0000);
    expect(t.machine.memory.read8(0x7e0)).toBe(0x77);
    expect(w(t, 0x602)).toBe(0x0001);
    expect(w(t, 0x604)).toBe(3);
    expect(t.machine.memory.a20Enabled).toBe(true);
  });

  it('AHC0h_pointsEsBxAtTheConfigurationTable_modelFCh', () => {
    const t = call('mov ah, 0xc0\nint 0x15\nmov [0x600], es\nmov [0x602], bx\nmov al, [es:bx+2]\nmov [0x604], al');
    expect(w(t, 0x600)).toBe(0xf000);
    expect(w(t, 0x602)).toBe(BiosEntry.configTable);
    expect(t.machine.memory.read8(0x604)).toBe(0xfc);
  });

  it('AH87h_copiesWordsBetweenTheDescriptorsBases', () => {
    const t = bootSectorMachine(`
  mov word [0x9012], 0x0000   ; source base 200000h
  mov byte [0x9014], 0x20
  mov byte [0x9017], 0x00
  mov word [0x901a], 0x8000   ; destination base 8000h
  mov byte [0x901c], 0x00
  mov byte [0x901f], 0x00
  mov si, 0x9000
  mov cx, 3
  mov ah, 0x87
  int 0x15
  mov [0x600], ax
  mov al, 0
  out 0xf4, al`);
    t.machine.memory.writeBytes(0x200000, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(t.machine.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect([...t.machine.memory.readBytes(0x8000, 8)]).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect(w(t, 0x600) >> 8).toBe(0);
  });

  it('anUnknownFunction_failsWithCf1AndAh86h', () => {
    const t = call(`mov ah, 0x86\nint 0x15\nmov [0x600], ax\n${SAVE_FLAGS(0x602)}`);
    expect(w(t, 0x600) >> 8).toBe(0x86);
    expect(w(t, 0x602) & EFLAGS_CF).not.toBe(0);
  });
});

describe('INT 16h keyboard', () => {
  it('AH01h_withNoKeySetsZf_AH05hStoresAKey_thenAH01hPeeksAndAH00hTakesIt', () => {
    const t = call(`
  mov ah, 0x01
  int 0x16
  ${SAVE_FLAGS(0x600)}
  mov ah, 0x05
  mov cx, 0x1e61
  int 0x16
  mov [0x602], al
  mov ah, 0x01
  int 0x16
  ${SAVE_FLAGS(0x604)}
  mov [0x606], ax
  mov ah, 0x00
  int 0x16
  mov [0x608], ax
  mov ah, 0x01
  int 0x16
  ${SAVE_FLAGS(0x60a)}`);
    expect(w(t, 0x600) & EFLAGS_ZF).not.toBe(0);
    expect(t.machine.memory.read8(0x602)).toBe(0);
    expect(w(t, 0x604) & EFLAGS_ZF).toBe(0);
    expect(w(t, 0x606)).toBe(0x1e61);
    expect(w(t, 0x608)).toBe(0x1e61);
    expect(w(t, 0x60a) & EFLAGS_ZF).not.toBe(0);
  });

  it('AH00h_withNoKeyIdlesInHlt_andReturnsTheKeyOnceOneIsInTheBuffer', () => {
    const t = bootSectorMachine('mov ah, 0x00\nint 0x16\nmov [0x600], ax\nmov al, 0\nout 0xf4, al');
    const m = t.machine;
    expect(m.run(20_000_000)).toEqual({ kind: 'limit' });
    expect(m.cpu.icount).toBeLessThan(10_000); // waiting in HLT, woken only by the timer
    expect(m.stats.haltedNs).toBeGreaterThan(100e6);
    // A key appears in the BIOS buffer (as the keyboard interrupt would store it).
    const tail = m.memory.read16(BDA.kbdTail);
    m.memory.write16(0x400 + tail, 0x1c0d);
    m.memory.write16(BDA.kbdTail, tail + 2);
    expect(m.run(20_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(w(t, 0x600)).toBe(0x1c0d);
  });
});

describe('INT 1Ah time of day', () => {
  it('AH00h_readsTheTickCountTheTimerInterruptKeeps', () => {
    // Three 18.2-Hz ticks are 16.5 million instruction-times of halted virtual time.
    const t = call('sti\nhlt\nhlt\nhlt\nmov ah, 0\nint 0x1a\nmov [0x600], dx\nmov [0x602], cx', 32, 20_000_000);
    expect(w(t, 0x600)).toBe(3);
    expect(w(t, 0x602)).toBe(0);
  });

  it('AH02hAnd04h_readTheRtcTimeAndDateInBcd', () => {
    const t = bootSectorMachine('mov ah, 0x02\nint 0x1a\nmov [0x600], cx\nmov [0x602], dx\nmov ah, 0x04\nint 0x1a\nmov [0x604], cx\nmov [0x606], dx\nmov al, 0\nout 0xf4, al', {
      rtcStartTime: Date.UTC(2024, 2, 15, 13, 45, 30) / 1000,
    });
    expect(t.machine.run(1_000_000)).toEqual({ kind: 'exit', status: 1 });
    expect(w(t, 0x600)).toBe(0x1345);
    expect(w(t, 0x602) >> 8).toBe(0x30);
    expect(w(t, 0x604)).toBe(0x2024);
    expect(w(t, 0x606)).toBe(0x0315);
  });

  it('thePostSetsTheTickCountFromTheRtcTimeOfDay', () => {
    const t = bootSectorMachine('jmp $', { rtcStartTime: Date.UTC(2024, 0, 1, 1, 0, 0) / 1000 });
    expect(t.machine.memory.read32(BDA.ticks)).toBe(Math.floor((3600 * 1193182) / 65536));
  });
});

describe('the BIOS trap and the guest\'s own vectors', () => {
  it('aGuestHandlerThatChainsToTheOldVectorStillReachesTheBiosService', () => {
    const t = call(`
  mov eax, [0x10*4]
  mov [old], eax
  mov word [0x10*4], hook
  mov word [0x10*4+2], 0
  mov ax, 0x0e58
  int 0x10
  jmp done
hook:
  inc word [0x600]
  pushf
  call far [old]
  iret
old: dd 0
done:`);
    expect(t.video()).toBe('X');
    expect(w(t, 0x600)).toBe(1);
    expect(t.machine.bios!.calls.get('int10')).toBe(1);
  });

  it('aGuestHandlerThatReplacesTheVectorIsCalledInstead_theBiosNever', () => {
    const t = call(`
  mov word [0x10*4], hook
  mov word [0x10*4+2], 0
  mov ax, 0x0e58
  int 0x10
  jmp done
hook:
  inc word [0x600]
  iret
done:`);
    expect(t.video()).toBe('');
    expect(w(t, 0x600)).toBe(1);
    expect(t.machine.bios!.calls.get('int10')).toBeUndefined();
  });

  it('aWriteToTheTrapPortFromOutsideTheRomIsIgnored', () => {
    const t = call('mov ax, 0x0e41\nout 0xef, al');
    expect(t.video()).toBe('');
    expect(t.machine.bios!.strayTraps).toBe(1);
  });

  it('theServiceResultsComeBackThroughTheIretAndKeepTheCallersInterruptFlag', () => {
    const t = call(`cli\nmov ah, 0x42\nint 0x13\n${SAVE_FLAGS(0x600)}\nsti\nmov ah, 0x42\nint 0x13\n${SAVE_FLAGS(0x602)}`);
    expect(w(t, 0x600) & 0x200).toBe(0);
    expect(w(t, 0x602) & 0x200).toBe(0x200);
    expect(w(t, 0x600) & EFLAGS_CF).not.toBe(0);
  });
});
