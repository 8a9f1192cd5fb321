/**
 * extension/compare-report.ts: the "Compare VMM modes" webview page — its Content-Security-
 * Policy (nonce-only styles, no scripts, nothing remote), escaping, the table rows and the
 * bar chart's proportions.
 */
import { describe, expect, it } from 'vitest';
import type { CompareReport } from '../../cli/compare-command';
import { compareReportHtml, escapeHtml, slowdownChart } from '../../extension/compare-report';

const REPORT: CompareReport = {
  program: '/w/<kernel>.asm',
  booted: '/w/<kernel>.asm: Multiboot kernel, 229 bytes',
  memoryMiB: 32,
  maxInstructions: 50_000_000,
  repeat: 3,
  modes: [
    { vmm: 'native', ringModel: null, stopped: 'isa-debug-exit, status 1', instructions: 402, exits: { total: 0, byReason: {} }, vmmWorkUnits: 0, hostMs: 0.5, slowdown: 1, sameOutputAsNative: true, serialBytes: 31 },
    { vmm: 'trap-and-emulate', ringModel: '0/1/3', stopped: 'isa-debug-exit, status 1', instructions: 402, exits: { total: 69, byReason: { IO_INSTRUCTION: 69 } }, vmmWorkUnits: 207, hostMs: 2, slowdown: 4, sameOutputAsNative: true, serialBytes: 31 },
  ],
};

describe('compareReportHtml', () => {
  it('has a CSP with default-src none and a style nonce, the nonce on its only style element, and no script or remote URL', () => {
    const html = compareReportHtml(REPORT, 'N0nce', 'vscode-webview://x');
    expect(html).toContain(`content="default-src 'none'; img-src vscode-webview://x; style-src 'nonce-N0nce';"`);
    expect(html.match(/<style[^>]*>/g)).toEqual(['<style nonce="N0nce">']);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('escapes the program name and shows one table row per mode with its counts', () => {
    const html = compareReportHtml(REPORT, 'n', 'c');
    expect(html).toContain('/w/&lt;kernel&gt;.asm: Multiboot kernel');
    expect(html).not.toContain('<kernel>');
    expect(html).toContain('<th scope="row">trap-and-emulate 0/1/3</th><td class="num">402</td><td class="num">69</td><td class="num">207</td><td class="num">2.00</td><td class="num">4.00×</td>');
    expect(html).toContain('<h3>VM exits by reason — trap-and-emulate 0/1/3</h3>');
    expect(html).toContain('<td><code>IO_INSTRUCTION</code></td><td class="num">69</td><td class="num">100.0%</td>');
  });

  it('a mode that could not run is one row with its reason', () => {
    const html = compareReportHtml({ ...REPORT, modes: [REPORT.modes[0], { vmm: 'trap-and-emulate', ringModel: '0/1/3', error: 'runs Multiboot kernels only' }] }, 'n', 'c');
    expect(html).toContain('<td colspan="7" class="error">cannot run: runs Multiboot kernels only</td>');
  });
});

describe('slowdownChart', () => {
  it('draws one bar per mode that ran, lengths proportional to the slowdown', () => {
    const svg = slowdownChart(REPORT);
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1] / widths[0]).toBeCloseTo(4, 1);
    expect(svg).toContain('>4.00×</text>');
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });
});
