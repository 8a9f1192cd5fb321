/**
 * Cross-check between the assembler's encoder table and the CPU's opcode table
 * (emulator/cpu/decoder/opcode-table.ts, the single source of truth for decoding):
 * every mnemonic the CPU decodes can be assembled, and every line of the generated
 * instruction corpus that we assemble decodes back to the same instruction and length.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../emulator/asm/index';
import { formsOf } from '../../emulator/asm/insn-table';
import { decode } from '../../emulator/cpu/decoder/decoder';
import { allEntries } from '../../emulator/cpu/decoder/opcode-table';
import { instructionCorpus } from './corpus';

/** NASM condition-code aliases, by the name the opcode table uses. */
const CC_ALIASES: Record<string, string> = {
  c: 'b', nae: 'b', nb: 'ae', nc: 'ae', z: 'e', nz: 'ne', na: 'be', nbe: 'a', pe: 'p', po: 'np',
  nge: 'l', nl: 'ge', ng: 'le', nle: 'g',
};
const ALIASES: Record<string, string> = {
  fwait: 'wait', icebp: 'int1', retn: 'ret', sal: 'shl', loopz: 'loope', loopnz: 'loopne',
  iretw: 'iret', popaw: 'popa', popfw: 'popf', pushaw: 'pusha', pushfw: 'pushf', xlat: 'xlatb',
};
/**
 * Encodings NASM produces that this CPU model decodes differently, on purpose:
 * MOV CS / POP CS (8086-only; #UD or the 0F escape on a Pentium), RDPMC (not a Pentium
 * instruction), operand-less UD0/UD1 (NASM omits the ModRM byte the SDM gives them),
 * `wait es` (WAIT then a stray prefix), `xchg eax, eax` and `rep nop` (they are NOP and
 * PAUSE), and LOCK on a non-lockable instruction (#UD; NASM only warns).
 */
const KNOWN_DIFFERENT = [/^mov cs,/, /^pop cs$/, /^rdpmc$/, /^ud[01]$/, /^wait [a-z]s$/, /^xchg (ax, ax|eax, eax)$/, /^rep e? ?nop$|^repe nop$/, /^lock (movs|lods|stos|cmps|nop|mov )/];

function canonical(mn: string): string {
  const m = /^(j|set|cmov)(.+)$/.exec(mn);
  if (m && CC_ALIASES[m[2]!]) return m[1]! + CC_ALIASES[m[2]!]!;
  return ALIASES[mn] ?? mn;
}

describe('encoder table agrees with the CPU opcode table', () => {
  it('assembles every mnemonic the CPU decodes (x87 escapes excepted)', () => {
    const missing: string[] = [];
    for (const e of allEntries()) {
      for (const m of [e.mn, e.mn16, e.mn32, e.mnAddr16, e.mnAddr32]) {
        if (m && m !== 'ESC' && !formsOf(m.toLowerCase())) missing.push(`${m} [${e.ops.join(',')}]`);
      }
    }
    expect(missing).toEqual([]);
  });

  for (const bits of [16, 32] as const) {
    it(`decodes our corpus encodings back to the same instruction, bits ${bits}`, () => {
      const lines = instructionCorpus();
      const first = assemble([`bits ${bits}`, ...lines].join('\n'), { fileName: 'c.asm' });
      const bad = new Set(first.errors.map((e) => e.line));
      const good = lines.filter((_, i) => !bad.has(i + 2));
      const r = assemble([`bits ${bits}`, ...good].join('\n'), { fileName: 'c.asm' });
      expect(r.errors).toEqual([]);
      const problems: string[] = [];
      let checked = 0;
      for (const e of r.sourceMap.entries) {
        const line = good[e.line - 2]!;
        if (KNOWN_DIFFERENT.some((re) => re.test(line))) continue;
        const bytes = r.bytes.subarray(e.fileOffset);
        const insn = decode({ byte: (k) => (k < bytes.length ? bytes[k]! : 0x90) }, bits === 32);
        const ours = canonical(line.replace(/^((lock|rep|repe|repne|o16|o32|a16|a32|es|fs) )+/, '').split(/[ ,]/)[0]!);
        const ent = insn.entry;
        const names = ent ? [ent.mn, ent.mn16, ent.mn32, ent.mnAddr16, ent.mnAddr32].filter((x): x is string => !!x).map((x) => x.toLowerCase()) : [];
        if (!names.includes(ours) || insn.len !== e.length) problems.push(`${line}: decoded ${names.join('/') || 'invalid'} (${insn.len} bytes, ours ${e.length})`);
        checked++;
      }
      expect(problems.slice(0, 30)).toEqual([]);
      expect(checked).toBeGreaterThan(5000);
    });
  }
});
