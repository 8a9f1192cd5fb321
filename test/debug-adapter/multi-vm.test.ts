/**
 * `programs`: several VMs in one session, one DAP thread each — threads named by file and
 * VMM, COM1 output prefixed per VM, a breakpoint in one program stopping its thread while
 * the other is inspectable too (all-stop), a `thread` exited event per VM, and the end of
 * the session when both have exited; natively and under trap-and-emulate.
 */
import { describe, expect, it } from 'vitest';
import { EXAMPLES, HELLO, TASKS, continueToStop, marker, startStopped, topFrame, useDebugClient } from './harness';

const { dc } = useDebugClient();

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`two VMs under ${vmm}`, () => {
    it('threads, a breakpoint in the second program, prefixed output and the end of both', async () => {
      const out: string[] = [];
      dc().on('output', (o) => {
        if (o.body.category === 'stdout') out.push(o.body.output);
      });
      const infos: unknown[] = [];
      dc().on('vanderpool/vmInfo', (e) => infos.push(e.body));
      const line = marker(HELLO, 'after-call');
      await startStopped(dc(), { programs: [TASKS, HELLO], includePaths: [EXAMPLES], vmm }, () => dc().setBreakpointsRequest({ source: { path: HELLO }, breakpoints: [{ line }] }));
      const threads = (await dc().threadsRequest()).body.threads;
      expect(threads.map((t) => t.name)).toEqual([`tasks.asm (${vmm})`, `hello.asm (${vmm})`]);
      expect(infos).toHaveLength(2);
      const e = await continueToStop(dc());
      expect(e.body.threadId).toBe(2);
      expect(e.body.description).toBe(`breakpoint at hello.asm:${line}`);
      expect((await topFrame(dc(), 2)).line).toBe(line);
      // All-stop: the other VM can be inspected at the same stop.
      expect((await topFrame(dc(), 1)).instructionPointerReference).toMatch(/^0x/);
      expect(out.join('')).toContain('[hello.asm] Hello from a Multiboot kernel!');
      const exited: number[] = [];
      dc().on('thread', (t) => {
        if (t.body.reason === 'exited') exited.push(t.body.threadId);
      });
      const terminated = dc().waitForEvent('terminated');
      await dc().continueRequest({ threadId: 2 });
      await terminated;
      expect(exited.sort()).toEqual([1, 2]);
      expect(out.join('')).toMatch(/\[tasks\.asm\] /);
    });
  });
}
