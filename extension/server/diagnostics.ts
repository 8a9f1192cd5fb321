/**
 * Diagnostics from the in-process assembler (emulator/asm), as the user types: each program
 * (a file that is not .inc) is assembled ~300 ms after its last change or a change of a file
 * it includes; `%include` reads open documents first, then disk (workspace-index.ts). Errors
 * and warnings land on the file and line the assembler names; one in an included file is
 * also shown on the including program's `%include` line, with related information pointing
 * at the real place, and a line produced by a macro carries its invocation sites.
 * The last assembly of each program is kept (symbols for hovers: labels' values).
 */
import { DiagnosticSeverity, type Connection, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import { assemble, type AssemblyResult, type Diagnostic } from '../../emulator/asm/index';
import { pathToUri, type WorkspaceIndex } from './workspace-index';

/** Milliseconds after the last change before a program is re-assembled. */
export const DEBOUNCE_MS = 300;

/** Assembles programs on change (debounced) and publishes their diagnostics per file (see the file header). */
export class DiagnosticsEngine {
  /** Last assembly per program path. */
  readonly results = new Map<string, AssemblyResult>();
  /** Diagnostics per program, per file path. */
  private readonly byRoot = new Map<string, Map<string, LspDiagnostic[]>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Files that had diagnostics published, so they can be cleared. */
  private readonly published = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly index: WorkspaceIndex,
  ) {}

  /** A file changed: re-assemble every program that contains it, after the debounce delay. */
  changed(path: string, delay = DEBOUNCE_MS): void {
    for (const root of this.index.rootsOf(path)) {
      clearTimeout(this.timers.get(root));
      this.timers.set(
        root,
        setTimeout(() => {
          this.timers.delete(root);
          this.assembleNow(root);
          this.publish();
        }, delay),
      );
    }
  }

  /** A program was closed and no longer exists as a document or file: forget it. */
  forget(path: string): void {
    this.results.delete(path);
    this.byRoot.delete(path);
    this.publish();
  }

  /** Assemble one program now and record its diagnostics by file. */
  assembleNow(root: string): AssemblyResult | undefined {
    const text = this.index.text(root);
    if (text === undefined) {
      this.results.delete(root);
      this.byRoot.delete(root);
      return undefined;
    }
    const result = assemble(text, {
      fileName: root,
      includePaths: this.index.absoluteIncludePaths(),
      host: { readFile: (p) => this.index.readBytes(p) },
    });
    this.results.set(root, result);
    // Every file of the program gets a list, empty when clean, so fixed errors disappear.
    const files = new Map<string, LspDiagnostic[]>(this.index.closure(root).map((f) => [f, []]));
    const add = (file: string, d: LspDiagnostic) => {
      const list = files.get(file) ?? [];
      list.push(d);
      files.set(file, list);
    };
    for (const d of [...result.errors, ...result.warnings]) {
      add(d.file, this.toLsp(d));
      if (d.file !== root) {
        const site = this.includeSiteIn(root, d.file);
        if (site) {
          add(root, {
            range: site,
            severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
            source: 'vanderpool-asm',
            message: `${d.severity} in included file ${d.file}:${d.line}: ${d.message}`,
            relatedInformation: [{ location: { uri: pathToUri(d.file), range: this.rangeOf(d) }, message: d.message }],
          });
        }
      }
    }
    this.byRoot.set(root, files);
    return result;
  }

  /** Send the union over programs for every file, and empty lists for files that no longer have any. */
  publish(): void {
    const merged = new Map<string, LspDiagnostic[]>();
    for (const files of this.byRoot.values()) {
      for (const [file, list] of files) {
        const seen = merged.get(file) ?? [];
        for (const d of list) if (!seen.some((s) => s.message === d.message && s.range.start.line === d.range.start.line)) seen.push(d);
        merged.set(file, seen);
      }
    }
    for (const file of this.published) if (!merged.has(file)) void this.connection.sendDiagnostics({ uri: pathToUri(file), diagnostics: [] });
    this.published.clear();
    for (const [file, diagnostics] of merged) {
      void this.connection.sendDiagnostics({ uri: pathToUri(file), diagnostics });
      this.published.add(file);
    }
  }

  /** The `%include` line of `root` through which `file` is reached. */
  private includeSiteIn(root: string, file: string) {
    for (const inc of this.index.scan(root)?.includes ?? []) {
      const target = this.index.resolveInclude(inc.name, root);
      if (target && this.index.closure(target).includes(file)) return { start: { line: inc.line, character: inc.start }, end: { line: inc.line, character: inc.end } };
    }
    return undefined;
  }

  /** The assembler's 1-based line/column to an LSP range: from the column to the end of the line's code. */
  private rangeOf(d: { file: string; line: number; column: number }) {
    const line = Math.max(0, d.line - 1);
    const text = this.index.text(d.file)?.split(/\r?\n/)[line] ?? '';
    const code = text.replace(/;.*$/, '').trimEnd();
    let start = Math.max(0, d.column - 1);
    if (start >= code.length) start = code.length - code.trimStart().length;
    return { start: { line, character: start }, end: { line, character: Math.max(start + 1, code.length) } };
  }

  private toLsp(d: Diagnostic): LspDiagnostic {
    const out: LspDiagnostic = {
      range: this.rangeOf(d),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: 'vanderpool-asm',
      message: d.message,
    };
    if (d.expansion && d.expansion.length > 0) {
      out.relatedInformation = d.expansion.map((site) => ({ location: { uri: pathToUri(site.file), range: this.rangeOf(site) }, message: 'in the expansion of the macro invoked here' }));
    }
    return out;
  }
}
