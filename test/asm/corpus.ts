/**
 * Generates the instruction corpus compared byte for byte with NASM: every mnemonic with
 * operand combinations from a grid of registers, addressing forms and immediate sizes, so
 * that both what NASM accepts (and its encoding) and what it rejects are checked.
 *
 * The mnemonic list comes from the encoder, but the operand combinations do not: each
 * mnemonic is tried with operand kinds it does not take, too.
 */
import { allMnemonics, formsOf } from '../../emulator/asm/insn-table';

const OPS_A = [
  'al', 'ah', 'ax', 'sp', 'eax', 'esi', 'es', 'cs', 'fs', 'cr0', 'cr3', 'dr7', 'dx', 'cl',
  '[ebx]', 'byte [ebx]', 'word [bx+si+4]', 'dword [esp+8]', 'qword [eax]', 'far [ebx]', '[0x1234]', '5',
];
const OPS_B = [
  ...OPS_A,
  '0', '1', '-1', '127', '128', '-128', '-129', '255', '256', '0x7fff', '0x8000', '0xffff', '0x12345678',
  'byte 5', 'word 5', 'dword 5', 'strict dword 5', 'strict byte 5', 'word 0x1234', 'byte -1',
];
const OPS_1 = [
  ...OPS_B, 'bx', 'ebp', 'ds', 'ss', 'gs', 'word [ebx]', 'dword [ebx]', 'tword [ebx]', '[bp]',
  'near $', 'short $', '$+0x10', '$-0x10', '$+0x100', 'dword $', 'word $+2', '0x08:0x1234', 'word 0x10:0x20', 'dword 0x08:0x12345',
];

function arities(mn: string): Set<number> {
  return new Set((formsOf(mn) ?? []).map((f) => f.ops.length));
}

/** Lines of the instruction-form corpus (without a `bits` line). */
export function instructionCorpus(): string[] {
  const out: string[] = [];
  for (const mn of allMnemonics()) {
    const ar = arities(mn);
    out.push(mn);
    for (const a of OPS_1) out.push(`${mn} ${a}`);
    if (ar.has(2) || ar.has(3)) for (const a of OPS_A) for (const b of OPS_B) out.push(`${mn} ${a}, ${b}`);
    if (ar.has(3)) {
      for (const a of ['ax', 'eax', '[ebx]', 'dword [ebx]', 'word [si]']) {
        for (const b of ['bx', 'ecx', '[ebx]']) for (const c of ['cl', '1', '5', '-3', '200', '0x1234', 'byte 3', 'dword 3']) out.push(`${mn} ${a}, ${b}, ${c}`);
      }
    }
  }
  // Prefixes on representative instructions.
  for (const p of ['lock', 'rep', 'repe', 'repne', 'o16', 'o32', 'a16', 'a32', 'es', 'fs']) {
    for (const i of ['movsb', 'movsd', 'lodsw', 'add [ebx], eax', 'add [bx], ax', 'nop', 'stosd', 'cmpsb', 'mov eax, [0x10]']) out.push(`${p} ${i}`);
  }
  out.push('lock rep add [es:ebx], ax', 'rep lock add [ebx], eax', 'rep es movsb');
  return out;
}

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const DISPS = ['', '+0', '+1', '-1', '+0x7f', '-0x80', '+0x80', '-0x81', '+0x12345678', '+0xffffffff', '+0x10000'];

/** Memory operand expressions covering 32-bit (SIB, scales, disp sizes) and 16-bit addressing. */
export function addressingCorpus(): string[] {
  const mems: string[] = [];
  for (const d of DISPS) mems.push(`[${d.replace(/^\+/, '') || '0'}]`);
  for (const b of ['', ...R32]) {
    for (const i of ['', ...R32]) {
      for (const s of i ? ['1', '2', '4', '8', '3', '5', '9'] : ['']) {
        for (const d of b || i ? ['', '+0', '+0x7f', '-0x80', '+0x80', '+0x1234'] : []) {
          const parts = [b, i ? `${i}*${s}` : ''].filter(Boolean).join('+');
          if (!parts) continue;
          mems.push(`[${parts}${d}]`);
        }
      }
    }
  }
  for (const r of R32) mems.push(`[nosplit ${r}*2]`, `[${r}*2+${r}]`, `[byte ${r}+4]`, `[dword ${r}+4]`, `[byte ${r}]`, `[dword ${r}]`);
  const r16 = ['bx', 'bp', 'si', 'di', 'ax', 'sp'];
  for (const a of ['', ...r16]) {
    for (const b of ['', ...r16]) {
      if (!a && !b) continue;
      for (const d of ['', '+0', '+1', '-1', '+0x7f', '+0x80', '-0x80', '-0x81', '+0xffff', '+0x1234']) mems.push(`[${[a, b].filter(Boolean).join('+')}${d}]`);
    }
  }
  mems.push('[word 0x10]', '[dword 0x10]', '[es:ebx]', '[cs:bx+si]', '[fs:0x10]', '[ss:ebp+4]', '[gs:esp]', 'es:[ebx]');
  const out: string[] = [];
  for (const m of mems) {
    out.push(`mov eax, ${m}`, `mov ${m}, cl`, `add word ${m}, 0x1234`, `lea esi, ${m}`, `inc dword ${m}`, `mov al, ${m}`);
  }
  return out;
}

/** Programs with labels that exercise jump-size optimisation (each a separate source). */
export function jumpPrograms(): string[] {
  const progs: string[] = [];
  for (const bits of [16, 32]) {
    for (const n of [0, 1, 120, 123, 124, 125, 126, 127, 128, 129, 130, 200, 0x8000]) {
      for (const j of ['jmp', 'jz', 'jnz', 'call', 'jmp short', 'jz near', 'loop', 'jcxz', 'jecxz']) {
        progs.push(`bits ${bits}\n${j} fwd\ntimes ${n} nop\nfwd: nop\n`);
        progs.push(`bits ${bits}\nback: times ${n} nop\n${j} back\n`);
      }
    }
    // Chains where one jump's size decides another's.
    for (const n of [60, 61, 62, 63, 64, 120, 121, 122]) {
      progs.push(`bits ${bits}\na: jmp c\nb: jz d\ntimes ${n} db 0\nc: jmp a\ntimes ${n} db 0\nd: jnz b\njmp a\n`);
    }
  }
  return progs;
}
