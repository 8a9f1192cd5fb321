/**
 * Exception stops: a triple fault stops the VM with reason `exception` (native and under the
 * VMM) and the next continue ends the session; with the triple-fault filter off the VM ends
 * at once; guest exception filters (#GP on sensitive.asm's ring-3 CLI, #PF on tasks.asm's
 * demand paging) stop natively and under trap-and-emulate with the vector, error code,
 * address and instruction in the description.
 */
import { describe, expect, it } from 'vitest';
import { EXAMPLES, SENSITIVE, TASKS, TRIPLE_FAULT, continueToStop, startStopped, topFrame, useDebugClient, marker } from './harness';

const { dc } = useDebugClient();

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`under ${vmm}`, () => {
    it('a triple fault stops with reason exception and says so; continuing ends the session with the reason on the console', async () => {
      await startStopped(dc(), { program: TRIPLE_FAULT, vmm });
      const e = await continueToStop(dc());
      expect(e.body.reason).toBe('exception');
      expect(e.body.description).toMatch(/triple fault/i);
      expect(e.body.description).toMatch(/#DF/);
      expect(e.body.description).not.toMatch(/triple fault.*triple fault/i);
      // The guest is still inspectable at the stop: EIP is on the UD2 line.
      expect((await topFrame(dc())).line).toBe(marker(TRIPLE_FAULT, 'ud2'));
      const console: string[] = [];
      dc().on('output', (o) => console.push(o.body.output));
      const terminated = dc().waitForEvent('terminated');
      await dc().continueRequest({ threadId: 1 });
      await terminated;
      expect(console.join('')).toMatch(/triple-fault\.asm: .*triple fault/);
    });

    it('with the triple-fault filter off, the VM ends without a stop', async () => {
      await startStopped(dc(), { program: TRIPLE_FAULT, vmm }, () => dc().setExceptionBreakpointsRequest({ filters: [] }));
      const terminated = dc().waitForEvent('terminated');
      let stops = 0;
      dc().on('stopped', () => stops++);
      await dc().continueRequest({ threadId: 1 });
      await terminated;
      expect(stops).toBe(0);
    });

    it('the #GP filter stops at the ring-3 CLI of sensitive.asm with vector, error code, address and instruction', async () => {
      await startStopped(dc(), { program: SENSITIVE, includePaths: [EXAMPLES], vmm }, () => dc().setExceptionBreakpointsRequest({ filters: ['#GP'] }));
      const e = await continueToStop(dc());
      expect(e.body.reason).toBe('exception');
      expect(e.body.description).toMatch(/^#GP\(0x0000\) at 0x00[0-9A-F]{6}: cli/i);
    });

    it('the #PF filter stops at the first demand-paged access of tasks.asm with the error code', async () => {
      await startStopped(dc(), { program: TASKS, includePaths: [EXAMPLES], vmm }, () => dc().setExceptionBreakpointsRequest({ filters: ['#PF'] }));
      const e = await continueToStop(dc());
      expect(e.body.reason).toBe('exception');
      expect(e.body.description).toMatch(/^#PF\(0x000[0-7]\) at 0x00[0-9A-F]{6}: \w+/i);
      // The session goes on: the next continue reaches the next #PF.
      const e2 = await continueToStop(dc());
      expect(e2.body.description).toMatch(/^#PF/);
    });
  });
}
