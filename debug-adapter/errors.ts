/**
 * `AdapterError`: a request the adapter cannot carry out because of its arguments or the
 * debuggee's state (bad launch attribute, unknown thread, unreadable address). The session
 * turns it into a DAP error response naming the request and the problem, and keeps going.
 */
export class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}

/** `0x0010ABCD`: a 32-bit value in the adapter's messages. */
export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
