/**
 * Nothing a guest does crashes the adapter: each hostile guest of examples/hostile (page
 * tables beyond RAM, descriptors reaching the VMM area, SGDT leaks, guessed host CR3s, port
 * I/O to absent devices, an IRQ storm, a triple fault) runs to its end under the adapter,
 * natively and under trap-and-emulate, with every stop reported with a reason and a
 * description, the stopped view answering, and no internal error on the console. Guests
 * that never end (ports.asm natively: the 8042 reset pulse reboots the PC, POST and all,
 * again and again — about 0.25 MIPS) end at `maxInstructions`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ROOT, start, useDebugClient } from './harness';

const { dc } = useDebugClient();
const HOSTILE = path.join(ROOT, 'examples/hostile');
const guests = fs.readdirSync(HOSTILE).filter((f) => f.endsWith('.asm'));

for (const vmm of ['native', 'trap-and-emulate']) {
  describe(`hostile guests under ${vmm}`, () => {
    for (const g of guests) {
      it(`${g}: runs to its end; each stop has a reason and description and the stack, scopes and registers answer`, async () => {
        const consoleText: string[] = [];
        dc().on('output', (o) => {
          if (o.body.category === 'console') consoleText.push(o.body.output);
        });
        const stops: DebugProtocol.StoppedEvent[] = [];
        const terminated = dc().waitForEvent('terminated', 60_000);
        dc().on('stopped', (e) => {
          stops.push(e as DebugProtocol.StoppedEvent);
          void (async () => {
            const frames = (await dc().stackTraceRequest({ threadId: e.body.threadId })).body.stackFrames;
            const scopes = (await dc().scopesRequest({ frameId: frames[0].id })).body.scopes;
            await dc().variablesRequest({ variablesReference: scopes[0].variablesReference });
            await dc().continueRequest({ threadId: e.body.threadId });
          })();
        });
        await start(dc(), { program: path.join(HOSTILE, g), includePaths: [HOSTILE, path.join(ROOT, 'examples')], vmm, maxInstructions: 2_000_000 });
        await terminated;
        for (const s of stops) {
          expect(s.body.reason).toMatch(/^(exception|breakpoint|pause|step|entry|data breakpoint)$/);
          expect(s.body.description?.length ?? 0).toBeGreaterThan(5);
        }
        expect(consoleText.join('')).not.toMatch(/internal error/);
      });
    }
  });
}
