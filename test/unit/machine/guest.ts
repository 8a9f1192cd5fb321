/**
 * Helpers for machine tests: assemble a guest with Vanderpool's assembler, put it on a
 * disk image, and build a machine whose console sinks collect text.
 */
import { assemble } from '../../../emulator/asm/index';
import { Machine, type MachineOptions } from '../../../emulator/machine/machine';

/** Assemble NASM-syntax source; throws with the diagnostics when it does not assemble. */
export function asm(source: string): Uint8Array {
  const r = assemble(source, { fileName: 'guest.asm' });
  if (r.errors.length > 0) throw new Error(`guest does not assemble:\n${r.errors.map((d) => `${d.line}: ${d.message}`).join('\n')}`);
  return r.bytes;
}

/** A disk image of `size` bytes with `bytes` at its start. */
export function diskImage(bytes: Uint8Array, size = 1474560): Uint8Array {
  if (bytes.length > size) throw new Error(`guest of ${bytes.length} bytes does not fit a ${size}-byte image`);
  const img = new Uint8Array(size);
  img.set(bytes);
  return img;
}

/** A machine plus the text its console sinks received. */
export interface TestMachine {
  machine: Machine;
  serial(): string;
  e9(): string;
  video(): string;
  postCodes: number[];
}

export function testMachine(options: MachineOptions = {}): TestMachine {
  let serial = '';
  let e9 = '';
  let video = '';
  const postCodes: number[] = [];
  const machine = new Machine({
    ...options,
    serial: (b) => (serial += String.fromCharCode(b)),
    debugConsole: (b) => (e9 += String.fromCharCode(b)),
    video: (b) => (video += String.fromCharCode(b)),
    postCode: (c) => postCodes.push(c),
  });
  return { machine, serial: () => serial, e9: () => e9, video: () => video, postCodes };
}

/** Boot `source` (a 16-bit boot sector at 7C00h, padded and signed here) from a floppy. */
export function bootSectorMachine(source: string, options: MachineOptions = {}): TestMachine {
  const bytes = asm(`bits 16\norg 0x7c00\n${source}\ntimes 510-($-$$) db 0\ndw 0xaa55\n`);
  return testMachine({ ...options, disk: { image: diskImage(bytes), kind: 'floppy' } });
}

/** NASM macros for guests: print a zero-terminated string at DS:SI to port E9h. */
export const PRINT_E9 = `
%macro print_e9 1
  jmp %%over
%%msg: db %1, 0
%%over:
  push si
  mov si, %%msg
%%next:
  lodsb
  test al, al
  jz %%done
  out 0xe9, al
  jmp %%next
%%done:
  pop si
%endmacro
`;
