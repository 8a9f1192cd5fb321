// The import rule between layers:
//   emulator/       imports neither vscode, nor a Node built-in, nor debug-adapter/ or extension/
//   debug-adapter/  does not import extension/
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Rule {
  folder: string;
  forbidHostModules: boolean;
  forbidFolders: string[];
}

const RULES: Rule[] = [
  { folder: 'emulator', forbidHostModules: true, forbidFolders: ['debug-adapter', 'extension'] },
  { folder: 'debug-adapter', forbidHostModules: false, forbidFolders: ['extension'] },
];

interface ImportRef {
  specifier: string;
  line: number;
}

const IMPORT_PATTERNS = [
  // import x from '…', import { a } from '…', import * as n from '…', import type …
  /\bimport\s+(?:type\s+)?(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*from\s*(['"])([^'"\n]+)\1/g,
  // import '…'
  /\bimport\s*(['"])([^'"\n]+)\1/g,
  // export * from '…', export * as n from '…', export { a } from '…'
  /\bexport\s+(?:type\s+)?(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(['"])([^'"\n]+)\1/g,
  // import('…'), require('…'), import x = require('…')
  /\b(?:import|require)\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g,
];

/** Replaces comments with spaces (keeping line breaks), so commented-out imports do not count. */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function findImports(source: string): ImportRef[] {
  const code = stripComments(source);
  const refs: ImportRef[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const line = code.slice(0, match.index).split('\n').length;
      refs.push({ specifier: match[2], line });
    }
  }
  return refs.sort((a, b) => a.line - b.line);
}

function isHostModule(specifier: string): boolean {
  if (specifier === 'vscode' || specifier.startsWith('vscode/')) return true;
  if (specifier.startsWith('node:')) return true;
  return builtinModules.includes(specifier) || builtinModules.includes(specifier.split('/')[0]);
}

function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Violations in one file (absolute path) as "relative/path.ts:line: message". */
function checkFile(file: string, source: string): string[] {
  const rule = RULES.find((r) => isInside(file, path.join(repoRoot, r.folder)));
  if (!rule) return [];
  const where = path.relative(repoRoot, file);
  const violations: string[] = [];
  for (const { specifier, line } of findImports(source)) {
    if (rule.forbidHostModules && isHostModule(specifier)) {
      violations.push(`${where}:${line}: ${rule.folder}/ must not import '${specifier}'`);
    }
    if (specifier.startsWith('.')) {
      const target = path.resolve(path.dirname(file), specifier);
      for (const folder of rule.forbidFolders) {
        if (isInside(target, path.join(repoRoot, folder))) {
          violations.push(`${where}:${line}: ${rule.folder}/ must not import from ${folder}/ ('${specifier}')`);
        }
      }
    }
  }
  return violations;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sourceFiles(full);
    return /\.[cm]?tsx?$/.test(entry.name) ? [full] : [];
  });
}

describe('import scanner', () => {
  it('finds every import form, on the line where it starts, ignoring comments', () => {
    const sample = [
      "import a from 'm1';", // 1
      "import type { B } from './m2';", // 2
      'import {', // 3
      '  c,',
      '  d,',
      "} from '../m3';",
      "import * as e from \"m4\";", // 7
      "import 'm5';", // 8
      "export * from './m6';", // 9
      "export { f } from './m7';", // 10
      "const g = require('m8');", // 11
      "const h = await import('m9');", // 12
      "// import x from 'commented';", // 13
      "/* require('commented-too') */ const url = 'http://example';", // 14
      "import i = require('m10');", // 15
    ].join('\n');
    expect(findImports(sample)).toEqual([
      { specifier: 'm1', line: 1 },
      { specifier: './m2', line: 2 },
      { specifier: '../m3', line: 3 },
      { specifier: 'm4', line: 7 },
      { specifier: 'm5', line: 8 },
      { specifier: './m6', line: 9 },
      { specifier: './m7', line: 10 },
      { specifier: 'm8', line: 11 },
      { specifier: 'm9', line: 12 },
      { specifier: 'm10', line: 15 },
    ]);
  });

  it('reports each kind of violation with file and line', () => {
    const emulatorFile = path.join(repoRoot, 'emulator', 'cpu', 'sample.ts');
    const emulatorSource = [
      "import { Cpu } from './cpu';",
      "import * as vscode from 'vscode';",
      "import { readFileSync } from 'fs';",
      "import path from 'node:path';",
      "import type { Session } from '../../debug-adapter/session';",
      "export { activate } from '../../extension/extension';",
      "const zlib = require('zlib/promises');",
      "import { Decoder } from 'iced-x86';",
    ].join('\n');
    expect(checkFile(emulatorFile, emulatorSource)).toEqual([
      "emulator/cpu/sample.ts:2: emulator/ must not import 'vscode'",
      "emulator/cpu/sample.ts:3: emulator/ must not import 'fs'",
      "emulator/cpu/sample.ts:4: emulator/ must not import 'node:path'",
      "emulator/cpu/sample.ts:5: emulator/ must not import from debug-adapter/ ('../../debug-adapter/session')",
      "emulator/cpu/sample.ts:6: emulator/ must not import from extension/ ('../../extension/extension')",
      "emulator/cpu/sample.ts:7: emulator/ must not import 'zlib/promises'",
    ]);

    const adapterFile = path.join(repoRoot, 'debug-adapter', 'main.ts');
    const adapterSource = "import net from 'node:net';\nimport { x } from '../extension/x';\nimport { Cpu } from '../emulator/cpu/cpu';";
    expect(checkFile(adapterFile, adapterSource)).toEqual([
      "debug-adapter/main.ts:2: debug-adapter/ must not import from extension/ ('../extension/x')",
    ]);
  });
});

describe('layering', () => {
  const files = RULES.flatMap((rule) => sourceFiles(path.join(repoRoot, rule.folder)));

  it('scans the emulator sources', () => {
    expect(files.some((file) => isInside(file, path.join(repoRoot, 'emulator')))).toBe(true);
  });

  it('emulator/ and debug-adapter/ import only what their layer allows', () => {
    const violations = files.flatMap((file) => checkFile(file, readFileSync(file, 'utf8')));
    expect(violations, `import rule broken:\n${violations.join('\n')}`).toEqual([]);
  });
});
