/**
 * Flat binary loader: copies the file to a physical address (a boot sector at 0x7C00, a
 * `nasm -f bin` kernel at 1 MiB …) and enters it at that address in real mode unless told
 * otherwise.
 */
import { fail, fitsInMemory, type LoadResult, type LoadTarget } from './types';

export interface FlatLoadOptions {
  /** Physical load address. */
  address: number;
  /** Entry address; defaults to `address`. */
  entry?: number;
  /** CPU mode to enter in; defaults to real mode (CS:IP = 0:entry for entry < 64 KiB). */
  mode?: 'real' | 'protected';
}

/**
 * Loads a flat binary.
 * @returns an error when the image does not fit in RAM or the address is invalid.
 */
export function loadFlatBinary(target: LoadTarget, bytes: Uint8Array, options: FlatLoadOptions): LoadResult {
  const { address } = options;
  if (!Number.isInteger(address) || address < 0) return fail(`invalid load address ${address}`);
  if (!fitsInMemory(target, address, bytes.length)) {
    return fail(`flat image of ${bytes.length} bytes at 0x${address.toString(16)} does not fit in ${target.size} bytes of RAM`);
  }
  target.writeBytes(address, bytes);
  const entry = options.entry ?? address;
  return {
    ok: true,
    image: {
      format: 'flat',
      entry: { mode: options.mode ?? 'real', eip: entry, registers: {}, eflags: 0x2, cr0: options.mode === 'protected' ? 1 : 0, a20: options.mode === 'protected' },
      segments: [{ paddr: address, fileSize: bytes.length, memSize: bytes.length }],
      symbols: [],
      warnings: [],
    },
  };
}
