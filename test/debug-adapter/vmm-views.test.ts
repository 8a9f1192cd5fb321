/**
 * What the adapter shows of a guest under trap-and-emulate (and of its segments on the bare
 * machine), on examples/sensitive.asm: the `vanderpool/vmInfo`, `exitCounts` and
 * `hole` custom events in the contracts' shapes, the virtualization-holes filter, the VMCS /
 * VM exits / Paging scopes (guest tables with the shadow beside them), the FS hidden cache vs
 * its moved GDT descriptor (`differs`: '≠' in the value, a 'virtual' row), and the
 * `vanderpool/inspect` custom request with its errors.
 */
import { describe, expect, it } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { EXAMPLES, SENSITIVE, continueToStop, marker, scopeVariables, startStopped, useDebugClient } from './harness';

const { dc } = useDebugClient();
const VMM = { program: SENSITIVE, includePaths: [EXAMPLES], vmm: 'trap-and-emulate' };

/** Start under the VMM and run to the breakpoint at a marker. */
async function stopAt(name: string, args: Record<string, unknown> = VMM): Promise<DebugProtocol.StoppedEvent> {
  await startStopped(dc(), args, () => dc().setBreakpointsRequest({ source: { path: SENSITIVE }, breakpoints: [{ line: marker(SENSITIVE, name) }] }));
  return continueToStop(dc());
}

describe('custom events under trap-and-emulate', () => {
  it('vmInfo names the VM, its VMM and ring model once after launch', async () => {
    const info = dc().waitForEvent('vanderpool/vmInfo');
    await startStopped(dc(), VMM);
    expect((await info).body).toEqual({ threadId: 1, name: 'sensitive.asm', vmm: 'trap-and-emulate', ringModel: '0/1/3' });
  });

  it('ring model 0/3/3 launches, vmInfo says so, and the guest kernel runs with CS.RPL 3 (ring aliasing under 0/3/3)', async () => {
    const info = dc().waitForEvent('vanderpool/vmInfo');
    const e = await stopAt('fs-moved', { ...VMM, ringModel: '0/3/3' });
    expect(e.body.reason).toBe('breakpoint');
    expect((await info).body).toMatchObject({ vmm: 'trap-and-emulate', ringModel: '0/3/3' });
    const cs = await dc().evaluateRequest({ expression: 'cs', context: 'watch', frameId: (await dc().stackTraceRequest({ threadId: 1 })).body.stackFrames[0]!.id });
    expect(cs.body.result).toMatch(/^0x0000000B\b/);
  });

  it('at a stop, exitCounts carries the full per-line table: the COM1 polling lines with IO_INSTRUCTION counts', async () => {
    await startStopped(dc(), VMM, () => dc().setBreakpointsRequest({ source: { path: SENSITIVE }, breakpoints: [{ line: marker(SENSITIVE, 'fs-moved') }] }));
    const counts = dc().waitForEvent('vanderpool/exitCounts');
    await continueToStop(dc());
    const body = (await counts).body as { threadId: number; vmm: string; lines: { path: string; line: number; total: number; byReason: Record<string, number> }[] };
    expect(body.threadId).toBe(1);
    expect(body.vmm).toBe('trap-and-emulate');
    const io = body.lines.filter((l) => (l.byReason.IO_INSTRUCTION ?? 0) > 0);
    expect(io.length).toBeGreaterThan(0);
    for (const l of body.lines) {
      expect(l.line).toBeGreaterThan(0);
      expect(l.total).toBe(Object.values(l.byReason).reduce((a, b) => a + b, 0));
    }
    // The polling loop is in lib/com1.inc (an %include): the table names that file.
    expect(io.some((l) => l.path.endsWith('com1.inc'))).toBe(true);
  });

  it('the virtualization-holes filter stops at the first hole with a precise description, and a hole event gives its source line', async () => {
    await startStopped(dc(), VMM, () => dc().setExceptionBreakpointsRequest({ filters: ['virtualization-hole'] }));
    const hole = dc().waitForEvent('vanderpool/hole');
    const e = await continueToStop(dc());
    expect(e.body.reason).toBe('exception');
    expect(e.body.description).toMatch(/^virtualization hole [\w-]+: \w+.* at 0x00[0-9a-f]{6}$/i);
    const h = (await hole).body as { threadId: number; kind: string; instruction: string; eip: number; path?: string; line?: number };
    expect(h.threadId).toBe(1);
    expect(typeof h.kind).toBe('string');
    expect(h.path).toBe(SENSITIVE);
    expect(h.line).toBeGreaterThan(0);
    expect(e.body.description!.toLowerCase()).toContain(`0x${h.eip.toString(16).padStart(8, '0')}`);
  });
});

describe('scopes under trap-and-emulate', () => {
  it('VMCS groups fields by SDM area with SDM names; VM exits counts per reason', async () => {
    await stopAt('fs-moved');
    const areas = await scopeVariables(dc(), 'VMCS');
    expect(areas.map((a) => a.name)).toContain('Guest-state area (§25.4)');
    const guest = await scopeVariables(dc(), 'VMCS', ['Guest-state area (§25.4)']);
    const cr3 = guest.find((v) => v.name === 'GUEST_CR3');
    expect(cr3?.value).toMatch(/0x[0-9A-Fa-f]{8}/);
    const exits = await scopeVariables(dc(), 'VM exits');
    expect(exits.find((v) => v.name === 'total')?.value).toMatch(/^\d+ exits/);
    const byReason = await scopeVariables(dc(), 'VM exits', ['by reason']);
    expect(byReason.some((v) => v.name.startsWith('IO_INSTRUCTION'))).toBe(true);
  });

  it('Paging shows the guest page directory and the shadow page directory beside it once paging is on', async () => {
    await stopAt('paged');
    const paging = await scopeVariables(dc(), 'Paging');
    const names = paging.map((v) => v.name);
    expect(names).toContain('page directory');
    expect(names).toContain('shadow page directory');
    const pdes = await scopeVariables(dc(), 'Paging', ['page directory']);
    expect(pdes.length).toBeGreaterThan(0);
    expect(pdes[0].variablesReference).toBeGreaterThan(0);
    const shadow = await scopeVariables(dc(), 'Paging', ['shadow page directory']);
    expect(shadow.length).toBeGreaterThan(0);
  });
});

for (const vmm of ['native', 'trap-and-emulate']) {
  it(`${vmm}: after the GDT entry of FS moved, FS is marked as differing (≠ in its value) with the descriptor now in memory beside the hidden cache`, async () => {
    await stopAt('fs-moved', vmm === 'native' ? { program: SENSITIVE, includePaths: [EXAMPLES] } : VMM);
    const segs = await scopeVariables(dc(), 'Segments');
    const fs = segs.find((v) => v.name === 'FS')!;
    expect(fs.value).toMatch(/≠$/);
    expect(fs.presentationHint?.kind).toBe('property');
    const cs = segs.find((v) => v.name === 'CS')!;
    expect(cs.value).not.toMatch(/≠/);
    const inside = await scopeVariables(dc(), 'Segments', ['FS']);
    expect(inside.map((v) => v.name)).toEqual(expect.arrayContaining(['selector', 'hidden cache', 'descriptor in memory']));
    expect(inside.find((v) => v.name === 'hidden cache')?.presentationHint?.attributes).toContain('readOnly');
  });
}

describe('vanderpool/inspect', () => {
  it('answers the VMCS and VM exits trees in the contract shape, at a path too', async () => {
    await stopAt('fs-moved');
    const top = await dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'VMCS' });
    const nodes = top.body.nodes as { name: string; value: string; hasChildren: boolean }[];
    expect(nodes.find((n) => n.name === 'Guest-state area (§25.4)')?.hasChildren).toBe(true);
    const guest = await dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'VMCS', path: ['Guest-state area (§25.4)'] });
    expect((guest.body.nodes as { name: string }[]).some((n) => n.name === 'GUEST_CR3')).toBe(true);
    const exits = await dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'VM exits' });
    expect((exits.body.nodes as { name: string }[]).map((n) => n.name)).toContain('by reason');
  });

  it('a bad scope, a bad path and VMCS on the bare machine get error responses naming them', async () => {
    await stopAt('fs-moved');
    await expect(dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'Nope' })).rejects.toThrow(/no scope 'Nope'/);
    await expect(dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'VMCS', path: ['nothing here'] })).rejects.toThrow(/'VMCS › nothing here' no longer exists/);
    await expect(dc().customRequest('vanderpool/inspect', { threadId: 1 })).rejects.toThrow(/'scope' must be a scope name/);
    await expect(dc().customRequest('vanderpool/nope', {})).rejects.toThrow(/unknown request 'vanderpool\/nope'/);
  });

  it('on the bare machine, VMCS does not exist and the error says so', async () => {
    // Subscribed before the launch: the entry stop may arrive with configurationDone's response.
    await startStopped(dc(), { program: SENSITIVE, includePaths: [EXAMPLES] });
    await expect(dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'VMCS' })).rejects.toThrow(/VMCS and VM exits exist only under a VMM/);
    const paging = await dc().customRequest('vanderpool/inspect', { threadId: 1, scope: 'Paging' });
    expect((paging.body.nodes as { name: string }[]).length).toBeGreaterThan(0);
  });
});
