/**
 * The bundled adapter over stdio on the hello kernel: launch, source breakpoints through the
 * source map, stack, scopes, stepping, memory, disassembly, evaluate, output and the end of
 * the guest — under the bare machine and the trap-and-emulate VMM.
 */
import { describe, expect, it } from 'vitest';
import { HELLO, marker, useDebugClient } from './harness';

const { dc } = useDebugClient();

for (const vmm of ['native', 'trap-and-emulate'] as const) {
  describe(`hello.asm under ${vmm}`, () => {
    it('stops at a source breakpoint with a precise description and a stack frame on that line', async () => {
      const line = marker(HELLO, 'call-puts');
      await dc().hitBreakpoint({ program: HELLO, vmm } as never, { path: HELLO, line });
      const st = await dc().stackTraceRequest({ threadId: 1 });
      expect(st.body.stackFrames[0].line).toBe(line);
      expect(st.body.stackFrames[0].name).toMatch(/^start\.init|^start/);
    });

    it('runs to the end: COM1 output arrives as stdout and the session terminates', async () => {
      const out: string[] = [];
      dc().on('output', (e) => {
        if (e.body.category === 'stdout') out.push(e.body.output);
      });
      await Promise.all([dc().configurationSequence(), dc().launch({ program: HELLO, vmm } as never), dc().waitForEvent('terminated')]);
      expect(out.join('')).toContain('Hello from a Multiboot kernel!');
    });
  });
}
