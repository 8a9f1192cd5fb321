/**
 * Data breakpoints under both VMMs: a write watch on the stack slot the CALL pushes, and a
 * read watch on the message puts reads with LODSB (guest-linear), each stopping after the
 * accessing instruction with the access in the description; and
 * clearing them lets the guest run to its end. A bad hit condition is refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { HELLO, continueToStop, startStopped, useDebugClient } from './harness';

const { dc } = useDebugClient();

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`data breakpoints under ${vmm}`, () => {
    it('a write watch on the return-address slot stops after CALL puts pushed it', async () => {
      await startStopped(dc(), { program: HELLO, vmm });
      const info = await dc().dataBreakpointInfoRequest({ name: 'stack_top - 4', bytes: 4 });
      await dc().setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
      const e = await continueToStop(dc());
      expect(e.body.reason).toBe('data breakpoint');
      expect(e.body.description).toMatch(/write of 4 bytes at linear/);
      const frame = (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
      expect(frame.name).toBe('puts');
    });

    it('a read watch on the message stops after LODSB read its first byte; with the watch cleared the guest runs to its end', async () => {
      await startStopped(dc(), { program: HELLO, vmm });
      const info = await dc().dataBreakpointInfoRequest({ name: 'msg_hello', bytes: 1 });
      expect(info.body.accessTypes).toContain('read');
      await dc().setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'read' }] });
      const e = await continueToStop(dc());
      expect(e.body.reason).toBe('data breakpoint');
      expect(e.body.description).toMatch(/read of 1 byte/);
      const esi = (await dc().evaluateRequest({ expression: 'esi - msg_hello', context: 'watch' })).body.result;
      expect(esi).toMatch(/^0x00000001/);
      await dc().setDataBreakpointsRequest({ breakpoints: [] });
      const terminated = dc().waitForEvent('terminated');
      await dc().continueRequest({ threadId: 1 });
      await terminated;
    });
  });
}

describe('data breakpoint arguments', () => {
  it('a hit condition that is no count form is unverified with the accepted forms in the message', async () => {
    await startStopped(dc(), { program: HELLO });
    const r = await dc().setDataBreakpointsRequest({ breakpoints: [{ dataId: 'lin:0x00100000/4', hitCondition: 'often' }] });
    expect(r.body.breakpoints[0].verified).toBe(false);
    expect(r.body.breakpoints[0].message).toBe("hit condition 'often' is not one of N, == N, >= N, > N, <= N, < N, % N");
  });
});
