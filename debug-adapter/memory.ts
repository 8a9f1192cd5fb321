/**
 * `readMemory` / `writeMemory` on guest-linear ('lin:0x…') and guest-physical ('phys:0x…')
 * memory references (emulator/inspect/guest-memory.ts reads through the guest's own page
 * tables, never the shadow ones, and refuses the VMM's reserved area). Unreadable bytes are
 * reported as DAP `unreadableBytes` at the end of a read, or the read is cut before them.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseMemoryReference, readGuestLinear, readGuestPhysical, writeGuestLinear, writeGuestPhysical } from '../emulator/inspect/guest-memory';
import { AdapterError } from './errors';
import type { Target } from './launch';

/** Largest read the adapter answers at once (bytes). */
const MAX_READ = 1 << 20;

/** Parse a DAP memory reference; the error names the request. */
function reference(request: string, ref: string) {
  try {
    return parseMemoryReference(ref);
  } catch (e) {
    throw new AdapterError(`${request}: ${(e as Error).message}`);
  }
}

/**
 * Answer `readMemory`: up to MAX_READ bytes from `memoryReference` + `offset` (bytes,
 * guest-linear or guest-physical as the reference says), data as base64.
 * @throws AdapterError for a bad reference or count, or an address outside the 32-bit space
 */
export function readMemory(t: Target, args: DebugProtocol.ReadMemoryArguments): DebugProtocol.ReadMemoryResponse['body'] {
  const ref = reference('readMemory', args.memoryReference);
  if (!Number.isInteger(args.count) || args.count < 0) throw new AdapterError(`readMemory: count ${args.count} is not a whole number of bytes`);
  const address = ref.address + (args.offset ?? 0);
  if (address < 0 || address >= 0x100000000) throw new AdapterError(`readMemory: address ${address} is outside the 32-bit space`);
  const count = Math.min(args.count, MAX_READ, 0x100000000 - address);
  const r = ref.space === 'lin' ? readGuestLinear(t.vm, address, count) : readGuestPhysical(t.vm, address, count);
  // DAP: the data covers the readable prefix; unreadableBytes counts those after it.
  const firstBad = r.unreadable.length > 0 ? r.unreadable[0].start - address : count;
  const good = r.bytes.subarray(0, firstBad);
  return {
    address: `0x${address.toString(16).padStart(8, '0')}`,
    data: Buffer.from(good).toString('base64'),
    unreadableBytes: count - firstBad || undefined,
  };
}

/**
 * Answer `writeMemory`: base64 `data` to `memoryReference` + `offset` (guest-linear or
 * guest-physical); a write that stops at an unwritable byte reports the bytes written.
 * @throws AdapterError for a bad reference, or when not one byte could be written (with the reason)
 */
export function writeMemory(t: Target, args: DebugProtocol.WriteMemoryArguments): DebugProtocol.WriteMemoryResponse['body'] {
  const ref = reference('writeMemory', args.memoryReference);
  const address = ref.address + (args.offset ?? 0);
  const bytes = new Uint8Array(Buffer.from(args.data, 'base64'));
  const w = ref.space === 'lin' ? writeGuestLinear(t.vm, address, bytes) : writeGuestPhysical(t.vm, address, bytes);
  if (w.written === 0 && bytes.length > 0) throw new AdapterError(`writeMemory: nothing written at ${args.memoryReference}: ${w.unwritable[0]?.reason ?? 'unwritable'}`);
  return { bytesWritten: w.written, offset: args.offset };
}
