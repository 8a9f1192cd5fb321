/**
 * The language server's view of the source files: open documents first, then files on disk
 * (the workspace's .asm/.nasm/.inc files and whatever `%include` reaches), each scanned once
 * per version (source-scan.ts), with `%include` resolved as the assembler does — the
 * including file's folder first, then `vanderpool.includePaths` (relative ones against each
 * workspace folder). Navigation, symbols, hovers and completion ask it for the *group* of a
 * file: every file assembled together with it (the include closures of the programs that
 * include it, or its own closure).
 * Paths are absolute POSIX paths; URIs are `file:` URIs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { scanSource, type Def, type ScanResult } from './source-scan';

/** A `file:` URI as a host path (other URIs unchanged). */
export const uriToPath = (uri: string): string => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
/** A host path as a `file:` URI. */
export const pathToUri = (path: string): string => pathToFileURL(path).href;

const SOURCE_EXT = /\.(asm|nasm|inc|s)$/i;
/** Limits for the workspace walk, so a huge folder cannot stall the server. */
const MAX_WORKSPACE_FILES = 5000;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'out', '.vscode-test']);

interface FileState {
  text: string;
  /** Open-document version, or the disk mtime (negative) for files read from disk. */
  stamp: number;
  /** Scans of this text, keyed by the sorted names of the macros known from elsewhere. */
  scans: Map<string, ScanResult>;
}

/** Texts (open documents first, then disk), scans and include graph of the workspace's guest-assembly files. */
export class WorkspaceIndex {
  private readonly disk = new Map<string, FileState>();
  private readonly workspaceFiles = new Set<string>();
  private folders: string[] = [];
  includePaths: string[] = [];

  constructor(private readonly documents: TextDocuments<TextDocument>) {}

  /** Record the workspace folders and list their source files (bounded walk). */
  setWorkspaceFolders(folders: string[]): void {
    this.folders = folders;
    this.workspaceFiles.clear();
    const walk = (dir: string) => {
      if (this.workspaceFiles.size >= MAX_WORKSPACE_FILES) return;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of names) {
        if (SKIP_DIRS.has(name) || name.startsWith('.')) continue;
        const p = join(dir, name);
        let st;
        try {
          st = statSync(p);
        } catch {
          continue;
        }
        if (st.isDirectory()) walk(p);
        else if (SOURCE_EXT.test(name)) this.workspaceFiles.add(p);
        if (this.workspaceFiles.size >= MAX_WORKSPACE_FILES) return;
      }
    };
    for (const f of folders) walk(f);
  }

  /** Every file known: open documents and workspace files. */
  knownFiles(): string[] {
    const out = new Set(this.workspaceFiles);
    for (const d of this.documents.all()) if (d.uri.startsWith('file:')) out.add(uriToPath(d.uri));
    return [...out];
  }

  /** The open document for a path, if any. */
  document(path: string): TextDocument | undefined {
    return this.documents.get(pathToUri(path));
  }

  /** The text of a file: the open document's, else the disk's; undefined when neither exists. */
  text(path: string): string | undefined {
    return this.state(path)?.text;
  }

  private state(path: string): FileState | undefined {
    const doc = this.document(path);
    if (doc) {
      let s = this.disk.get(path);
      if (!s || s.stamp !== doc.version) {
        s = { text: doc.getText(), stamp: doc.version, scans: new Map() };
        this.disk.set(path, s);
      }
      return s;
    }
    let mtime: number;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      this.disk.delete(path);
      return undefined;
    }
    let s = this.disk.get(path);
    if (!s || s.stamp !== -mtime) {
      try {
        s = { text: readFileSync(path, 'utf8'), stamp: -mtime, scans: new Map() };
      } catch {
        return undefined;
      }
      this.disk.set(path, s);
    }
    return s;
  }

  /** Bytes of a file for the assembler's host (open documents first, then disk). */
  readBytes(path: string): Uint8Array | undefined {
    const t = this.text(path);
    return t === undefined ? undefined : new TextEncoder().encode(t);
  }

  /** The scan of a file (cached per version and per set of macros known from its group). */
  scan(path: string, macros: ReadonlySet<string> = new Set()): ScanResult | undefined {
    const s = this.state(path);
    if (!s) return undefined;
    const key = [...macros].sort().join(',');
    let scan = s.scans.get(key);
    if (!scan) {
      if (s.scans.size >= 4) s.scans.clear();
      scan = scanSource(s.text, macros);
      s.scans.set(key, scan);
    }
    return scan;
  }

  /** Include directories as absolute paths (relative settings are taken against each workspace folder). */
  absoluteIncludePaths(): string[] {
    const out: string[] = [];
    for (const p of this.includePaths) {
      if (isAbsolute(p)) out.push(p);
      else for (const f of this.folders) out.push(resolve(f, p));
    }
    return out;
  }

  /** Where `%include name` in `from` leads, as the assembler resolves it; undefined when not found. */
  resolveInclude(name: string, from: string): string | undefined {
    const candidates = isAbsolute(name) ? [name] : [join(dirname(from), name), ...this.absoluteIncludePaths().map((p) => join(p, name))];
    return candidates.find((c) => this.document(c) !== undefined || existsSync(c));
  }

  /** `path` and every file it includes, transitively (depth-first, each once). */
  closure(path: string): string[] {
    const seen = new Set<string>();
    const visit = (p: string) => {
      if (seen.has(p) || seen.size > 500) return;
      seen.add(p);
      const sc = this.scan(p);
      if (!sc) return;
      for (const inc of sc.includes) {
        const target = this.resolveInclude(inc.name, p);
        if (target) visit(target);
      }
    };
    visit(path);
    return [...seen];
  }

  /**
   * Programs whose include closure contains `path`: `path` itself unless it is an .inc file,
   * and every other known non-.inc file that includes it; an .inc file nobody includes is its own program.
   */
  rootsOf(path: string): string[] {
    const roots: string[] = [];
    if (!/\.inc$/i.test(path)) roots.push(path);
    for (const f of this.knownFiles()) {
      if (f === path || /\.inc$/i.test(f)) continue;
      if (this.closure(f).includes(path)) roots.push(f);
    }
    if (roots.length === 0) roots.push(path);
    return roots;
  }

  /** The files assembled together with `path` (see the file header). */
  group(path: string): string[] {
    const out = new Set<string>();
    for (const root of this.rootsOf(path)) for (const f of this.closure(root)) out.add(f);
    for (const f of this.closure(path)) out.add(f);
    return [...out];
  }

  /** Macro names defined anywhere in a group (so calls are not taken for labels). */
  macrosOf(files: string[]): Set<string> {
    const names = new Set<string>();
    for (const f of files) for (const d of this.scan(f)?.defs ?? []) if (d.kind === 'macro') names.add(d.name);
    return names;
  }

  /** Scans of every file of `path`'s group, with the group's macros known. */
  groupScans(path: string): { path: string; scan: ScanResult }[] {
    const files = this.group(path);
    const macros = this.macrosOf(files);
    const out: { path: string; scan: ScanResult }[] = [];
    for (const f of files) {
      const scan = this.scan(f, macros);
      if (scan) out.push({ path: f, scan });
    }
    return out;
  }

  /** Definitions named `name` in `path`'s group (a word alone on a line that names a macro is no definition). */
  definitions(path: string, name: string): { path: string; def: Def }[] {
    const out: { path: string; def: Def }[] = [];
    for (const { path: p, scan } of this.groupScans(path)) for (const def of scan.defs) if (def.name === name) out.push({ path: p, def });
    return out;
  }
}
