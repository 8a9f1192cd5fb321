/**
 * The HTML of the "Compare VMM modes" webview: a table (instructions, VM exits, VMM work units,
 * host time, slowdown against the bare machine, COM1 output) and an SVG bar chart of the
 * slowdown, plus the exits by reason per mode — from `vanderpool compare --json`
 * (cli/compare-command.ts `CompareReport`). Plain HTML and SVG, no script, no remote resource:
 * the Content-Security-Policy allows only styles carrying the page's nonce. No `vscode` import.
 */
import type { CompareModeResult, CompareReport } from '../cli/compare-command';

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (n: number): string => n.toLocaleString('en-US');
const modeName = (m: CompareModeResult): string => (m.ringModel ? `${m.vmm} ${m.ringModel}` : m.vmm);

/** Chart geometry, in SVG user units (px). */
const BAR_HEIGHT = 22;
const BAR_GAP = 10;
const LABEL_WIDTH = 190;
const CHART_WIDTH = 640;

/** The slowdown bar chart: one horizontal bar per mode that ran, scaled to the largest. */
export function slowdownChart(report: CompareReport): string {
  const rows = report.modes.filter((m) => m.slowdown !== undefined);
  const max = Math.max(1, ...rows.map((m) => m.slowdown!));
  const plot = CHART_WIDTH - LABEL_WIDTH - 70;
  const height = rows.length * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
  const bars = rows.map((m, i) => {
    const y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP);
    const w = Math.max(1, (m.slowdown! / max) * plot);
    return (
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT * 0.7}" text-anchor="end" class="label">${escapeHtml(modeName(m))}</text>` +
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" class="${m.vmm === 'native' ? 'bar native' : 'bar'}"><title>${escapeHtml(`${modeName(m)}: ${m.slowdown!.toFixed(2)}× the bare machine's host time`)}</title></rect>` +
      `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + BAR_HEIGHT * 0.7}" class="value">${m.slowdown!.toFixed(2)}×</text>`
    );
  });
  return `<svg role="img" aria-label="Slowdown against the bare machine" class="chart" viewBox="0 0 ${CHART_WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}</svg>`;
}

/** The comparison table. */
export function compareTable(report: CompareReport): string {
  const head = ['mode', 'instructions', 'VM exits', 'VMM work units', 'host ms', 'slowdown', 'COM1 output', 'ended'];
  const rows = report.modes.map((m) => {
    if (m.error !== undefined) return `<tr><th scope="row">${escapeHtml(modeName(m))}</th><td colspan="${head.length - 1}" class="error">cannot run: ${escapeHtml(m.error)}</td></tr>`;
    const out = m.sameOutputAsNative === undefined ? '–' : m.sameOutputAsNative ? `same (${num(m.serialBytes!)} bytes)` : `<strong>differs</strong> (${num(m.serialBytes!)} bytes)`;
    const cells = [num(m.instructions!), num(m.exits!.total), num(m.vmmWorkUnits!), m.hostMs!.toFixed(2), m.slowdown === undefined ? '–' : `${m.slowdown.toFixed(2)}×`];
    return `<tr><th scope="row">${escapeHtml(modeName(m))}</th>${cells.map((c) => `<td class="num">${c}</td>`).join('')}<td>${out}</td><td>${escapeHtml(m.stopped!)}</td></tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Exits by reason, one small table per mode that had exits. */
export function reasonTables(report: CompareReport): string {
  return report.modes
    .filter((m) => m.exits && m.exits.total > 0)
    .map((m) => {
      const rows = Object.entries(m.exits!.byReason).map(([reason, count]) => `<tr><td><code>${escapeHtml(reason)}</code></td><td class="num">${num(count)}</td><td class="num">${((100 * count) / m.exits!.total).toFixed(1)}%</td></tr>`);
      return `<h3>VM exits by reason — ${escapeHtml(modeName(m))}</h3><table><thead><tr><th scope="col">reason</th><th scope="col">exits</th><th scope="col">share</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    })
    .join('');
}

/**
 * The whole page.
 * @param nonce a fresh random string per render (the CSP's style nonce)
 * @param cspSource the webview's `cspSource` (nothing is loaded from it today; kept in the policy for images)
 */
export function compareReportHtml(report: CompareReport, nonce: string, cspSource: string): string {
  const csp = `default-src 'none'; img-src ${cspSource}; style-src 'nonce-${nonce}';`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Compare VMM modes</title>
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 3px 10px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.error { color: var(--vscode-errorForeground); }
.bar { fill: var(--vscode-charts-orange, #d18616); }
.bar.native { fill: var(--vscode-charts-blue, #3794ff); }
.label, .value { fill: var(--vscode-foreground); font-size: 12px; }
svg.chart { width: 100%; max-width: ${CHART_WIDTH}px; height: auto; }
.note { color: var(--vscode-descriptionForeground); }
</style></head>
<body>
<h2>Compare VMM modes</h2>
<p>${escapeHtml(report.booted)} — ${report.memoryMiB} MiB, at most ${num(report.maxInstructions)} instructions per mode.</p>
${compareTable(report)}
<h3>Slowdown against the bare machine (host time)</h3>
${slowdownChart(report)}
<p class="note">Host time is the smallest of ${report.repeat} run${report.repeat === 1 ? '' : 's'} of the run loop only; instructions, exits and work units are deterministic.</p>
${reasonTables(report)}
</body></html>`;
}
