/**
 * The assembler's instruction forms: every Pentium integer and system instruction, in the
 * order NASM 2.16 tries its templates (the first form that matches wins), so that our
 * choices — accumulator short forms, sign-extended imm8, `+r` register forms — equal NASM's.
 * Encodings follow the Intel SDM Vol.2 instruction pages and its opcode map (Vol.2 App. A).
 *
 * Cross-checked against the CPU's opcode table (emulator/cpu/decoder/opcode-table.ts, the
 * single source of truth) by test/asm/opcode-table-xcheck.test.ts: every mnemonic the CPU
 * decodes is assembled here, and our encodings of the NASM corpus decode back to the same
 * mnemonic. Deriving these forms from that table is possible once it records NASM's
 * template order; until then the NASM corpus is what fixes the order.
 *
 * Form DSL, one string per form: `operands|roles|encoding|flags`
 *  - operands (comma separated patterns):
 *      r8 r16 r32 rv        general register of that width (`v`: the form's operand size)
 *      rm8 rm16 rm32 rmv    register or memory of that width
 *      m m16 m64            memory (m: unsized only)      mfar  memory with `far`
 *      ma                   any memory, or an immediate taken as an address (LEA)
 *      al ax eax av cl dx   that register                 es cs ss ds fs gs  that segment register
 *      sreg creg dreg treg  segment/control/debug/test register
 *      imm i8 i16           immediate (imm: form's size; i8/i16: that size)
 *      u8                   immediate with no size keyword
 *      sb                   immediate that fits a sign-extended byte (NASM's sbyteword/sbytedword)
 *      one                  the immediate 1 (shift-by-one forms)
 *      rel8 relv            jump target (short / near)     far  seg:offset pointer
 *      rel8n reln           jump target without `short`/size keywords (LOOP, JCXZ, Jcc near)
 *      o8 ov                memory operand that is a bare offset (A0–A3 moffs forms)
 *  - roles, one letter per operand: m = ModRM.rm, r = ModRM.reg, x = both (imul r,imm),
 *      i = immediate, j = relative target, p = far pointer, o = moffs, + = added to the
 *      last opcode byte, - = implicit.
 *  - encoding: hex opcode bytes (`70+cc` adds the condition code), `/r` or `/0`…`/7`,
 *      then `ib ibs iw id iv rel8 relv ptrv ov` for the immediate-like operands in order.
 *  - flags: `o16`/`o32` fixed operand size; `d` default-size form (only taken at a non-default
 *      size when an operand states that size); `a16`/`a32` fixed address size;
 *      `sj` short-jump form chosen only when the target is in range.
 */

export type OpPattern = string;

/** One compiled instruction form. */
export interface Form {
  mnemonic: string;
  ops: OpPattern[];
  roles: string;
  opcode: number[];
  /** ModRM reg digit (`/n`), `'r'` for `/r`, or null when there is no ModRM byte. */
  modrm: number | 'r' | null;
  /** Encodings of the immediate-like operands, in operand order. */
  imms: string[];
  /** Operand size in bits (8, 16, 32) or 0 when the form has none. */
  osize: number;
  /** Emits 66h when it differs from the mode (set for o16/o32 and v-expanded forms). */
  fixedOsize: boolean;
  defaultSize: boolean;
  shortJump: boolean;
  asize: number;
}

const CC: [string, number][] = [
  ['o', 0], ['no', 1], ['b', 2], ['c', 2], ['nae', 2], ['ae', 3], ['nb', 3], ['nc', 3],
  ['e', 4], ['z', 4], ['ne', 5], ['nz', 5], ['be', 6], ['na', 6], ['a', 7], ['nbe', 7],
  ['s', 8], ['ns', 9], ['p', 10], ['pe', 10], ['np', 11], ['po', 11], ['l', 12], ['nge', 12],
  ['ge', 13], ['nl', 13], ['le', 14], ['ng', 14], ['g', 15], ['nle', 15],
];

const TABLE = new Map<string, Form[]>();

const hx = (n: number) => n.toString(16).padStart(2, '0');

function compile(mnemonic: string, spec: string, osizeOverride?: number, cc?: number): Form {
  const [opsText = '', roles = '', enc = '', flagsText = ''] = spec.split('|');
  const flags = flagsText.split(/\s+/).filter(Boolean);
  let osize = 0;
  let fixedOsize = false;
  const ops = opsText ? opsText.split(',') : [];
  if (osizeOverride !== undefined) {
    osize = osizeOverride;
    fixedOsize = true;
  }
  if (flags.includes('o16')) (osize = 16), (fixedOsize = true);
  if (flags.includes('o32')) (osize = 32), (fixedOsize = true);
  const opcode: number[] = [];
  let modrm: number | 'r' | null = null;
  const imms: string[] = [];
  for (const tok of enc.split(/\s+/).filter(Boolean)) {
    if (/^[0-9a-f]{2}\+cc$/.test(tok)) opcode.push(parseInt(tok.slice(0, 2), 16) + (cc ?? 0));
    else if (/^[0-9a-f]{2}\+r$/.test(tok)) opcode.push(parseInt(tok.slice(0, 2), 16));
    else if (/^[0-9a-f]{2}$/.test(tok)) opcode.push(parseInt(tok, 16));
    else if (tok === '/r') modrm = 'r';
    else if (/^\/[0-7]$/.test(tok)) modrm = Number(tok[1]);
    else imms.push(tok);
  }
  if (osize === 0) {
    // Byte forms: size 8 from their byte patterns (used for immediates).
    if (ops.some((o) => o === 'rm8' || o === 'r8' || o === 'al' || o === 'o8')) osize = 8;
  }
  return {
    mnemonic,
    ops,
    roles,
    opcode,
    modrm,
    imms,
    osize,
    fixedOsize,
    defaultSize: flags.includes('d'),
    shortJump: flags.includes('sj'),
    asize: flags.includes('a16') ? 16 : flags.includes('a32') ? 32 : 0,
  };
}

/** Adds forms; specs using `v` are expanded to a 16-bit and a 32-bit form. */
function def(mnemonics: string | string[], specs: string[], cc?: number): void {
  for (const mn of Array.isArray(mnemonics) ? mnemonics : [mnemonics]) {
    const list = TABLE.get(mn) ?? [];
    for (const spec of specs) {
      const [ops = '', , enc = '', flags = ''] = spec.split('|');
      if (/\b(rmv|rv|av)\b/.test(ops) || /\b(iv|relv|ptrv)\b/.test(enc) || /\bd\b/.test(flags)) {
        for (const size of [16, 32]) {
          const s = spec.replace(/\brmv\b/g, `rm${size}`).replace(/\brv\b/g, `r${size}`).replace(/\bav\b/g, size === 16 ? 'ax' : 'eax');
          list.push(compile(mn, s, size, cc));
        }
      } else list.push(compile(mn, spec, undefined, cc));
    }
    TABLE.set(mn, list);
  }
}

// ---- Arithmetic and logic (SDM Vol.2: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP) ----
['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'].forEach((mn, i) => {
  const b = i * 8;
  def(mn, [
    `rm8,r8|mr|${hx(b)} /r`,
    `rmv,rv|mr|${hx(b + 1)} /r`,
    `r8,rm8|rm|${hx(b + 2)} /r`,
    `rv,rmv|rm|${hx(b + 3)} /r`,
    `al,imm|-i|${hx(b + 4)} ib`,
    `rmv,sb|mi|83 /${i} ibs`,
    `av,imm|-i|${hx(b + 5)} iv`,
    `rm8,imm|mi|80 /${i} ib`,
    `rmv,imm|mi|81 /${i} iv`,
  ]);
});
def('test', [
  'rm8,r8|mr|84 /r', 'rmv,rv|mr|85 /r', 'r8,rm8|rm|84 /r', 'rv,rmv|rm|85 /r',
  'al,imm|-i|a8 ib', 'av,imm|-i|a9 iv', 'rm8,imm|mi|f6 /0 ib', 'rmv,imm|mi|f7 /0 iv',
]);
['not', 'neg', 'mul', 'imul', 'div', 'idiv'].forEach((mn, i) => def(mn, [`rm8|m|f6 /${i + 2}`, `rmv|m|f7 /${i + 2}`]));
def('imul', [
  'rv,rmv|rm|0f af /r',
  'rv,sb|xi|6b /r ibs', 'rv,imm|xi|69 /r iv',
  'rv,rmv,sb|rmi|6b /r ibs', 'rv,rmv,imm|rmi|69 /r iv',
]);
def('inc', ['rv|+|40+r', 'rm8|m|fe /0', 'rmv|m|ff /0']);
def('dec', ['rv|+|48+r', 'rm8|m|fe /1', 'rmv|m|ff /1']);
['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'].forEach((mn, i) => {
  const n = mn === 'sal' ? 4 : i;
  def(mn, [
    `rm8,one|m-|d0 /${n}`, `rm8,cl|m-|d2 /${n}`, `rm8,i8|mi|c0 /${n} ib`,
    `rmv,one|m-|d1 /${n}`, `rmv,cl|m-|d3 /${n}`, `rmv,i8|mi|c1 /${n} ib`,
  ]);
});
def('shld', ['rmv,rv,u8|mri|0f a4 /r ib', 'rmv,rv,cl|mr-|0f a5 /r']);
def('shrd', ['rmv,rv,u8|mri|0f ac /r ib', 'rmv,rv,cl|mr-|0f ad /r']);
[['bt', 0xa3, 4], ['bts', 0xab, 5], ['btr', 0xb3, 6], ['btc', 0xbb, 7]].forEach(([mn, op, d]) =>
  def(mn as string, [`rmv,rv|mr|0f ${hx(op as number)} /r`, `rmv,i8|mi|0f ba /${d} ib`]),
);
def('bsf', ['rv,rmv|rm|0f bc /r']);
def('bsr', ['rv,rmv|rm|0f bd /r']);
def('xadd', ['rm8,r8|mr|0f c0 /r', 'rmv,rv|mr|0f c1 /r']);
def('cmpxchg', ['rm8,r8|mr|0f b0 /r', 'rmv,rv|mr|0f b1 /r']);
def('cmpxchg8b', ['m64|m|0f c7 /1']);
def('bswap', ['r32|+|0f c8+r|o32']);

// ---- Data transfer (SDM Vol.2: MOV, MOV—Move to/from Control/Debug Registers, XCHG, …) ----
def('mov', [
  'm16,sreg|mr|8c /r', 'r16,sreg|mr|8c /r|o16', 'r32,sreg|mr|8c /r|o32',
  'sreg,m16|rm|8e /r', 'sreg,r16|rm|8e /r', 'sreg,r32|rm|8e /r',
  'al,o8|-o|a0 ov', 'av,ov|-o|a1 ov', 'o8,al|o-|a2 ov', 'ov,av|o-|a3 ov',
  'r32,creg|mr|0f 20 /r', 'creg,r32|rm|0f 22 /r',
  'r32,dreg|mr|0f 21 /r', 'dreg,r32|rm|0f 23 /r',
  'r32,treg|mr|0f 24 /r', 'treg,r32|rm|0f 26 /r',
  'rm8,r8|mr|88 /r', 'rmv,rv|mr|89 /r', 'r8,rm8|rm|8a /r', 'rv,rmv|rm|8b /r',
  'r8,imm|+i|b0+r ib', 'rv,imm|+i|b8+r iv',
  'rm8,imm|mi|c6 /0 ib', 'rmv,imm|mi|c7 /0 iv',
]);
def('xchg', [
  'av,rv|-+|90+r', 'rv,av|+-|90+r',
  'r8,rm8|rm|86 /r', 'rm8,r8|mr|86 /r', 'rv,rmv|rm|87 /r', 'rmv,rv|mr|87 /r',
]);
def('movzx', ['rv,rm8|rm|0f b6 /r', 'r32,rm16|rm|0f b7 /r|o32']);
def('movsx', ['rv,rm8|rm|0f be /r', 'r32,rm16|rm|0f bf /r|o32']);
def('lea', ['rv,ma|rm|8d /r']);
def('lds', ['rv,m|rm|c5 /r']);
def('les', ['rv,m|rm|c4 /r']);
def('lss', ['rv,m|rm|0f b2 /r']);
def('lfs', ['rv,m|rm|0f b4 /r']);
def('lgs', ['rv,m|rm|0f b5 /r']);
def('bound', ['rv,m|rm|62 /r']);
def(['xlat', 'xlatb'], ['||d7']);
def('push', [
  'rv|+|50+r', 'rmv|m|ff /6',
  'es|-|06', 'cs|-|0e', 'ss|-|16', 'ds|-|1e', 'fs|-|0f a0', 'gs|-|0f a8',
  'sb|i|6a ibs|d', 'imm|i|68 iv|d',
]);
def('pop', ['rv|+|58+r', 'rmv|m|8f /0', 'es|-|07', 'cs|-|0f', 'ss|-|17', 'ds|-|1f', 'fs|-|0f a1', 'gs|-|0f a9']);
def('pusha', ['||60']);
def('pushaw', ['||60|o16']);
def('pushad', ['||60|o32']);
def('popa', ['||61']);
def('popaw', ['||61|o16']);
def('popad', ['||61|o32']);
def('pushf', ['||9c']);
def('pushfw', ['||9c|o16']);
def('pushfd', ['||9c|o32']);
def('popf', ['||9d']);
def('popfw', ['||9d|o16']);
def('popfd', ['||9d|o32']);
def('enter', ['i16,u8|ii|c8 iw ib']);
def('leave', ['||c9']);
def('cbw', ['||98|o16']);
def('cwde', ['||98|o32']);
def('cwd', ['||99|o16']);
def('cdq', ['||99|o32']);
def('in', ['al,i8|-i|e4 ib', 'av,i8|-i|e5 ib', 'al,dx|--|ec', 'av,dx|--|ed']);
def('out', ['i8,al|i-|e6 ib', 'i8,av|i-|e7 ib', 'dx,al|--|ee', 'dx,av|--|ef']);

// ---- String instructions (SDM Vol.2: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS) ----
for (const [base, op] of [['movs', 0xa4], ['cmps', 0xa6], ['stos', 0xaa], ['lods', 0xac], ['scas', 0xae], ['ins', 0x6c], ['outs', 0x6e]] as const) {
  def(`${base}b`, [`||${hx(op)}`]);
  def(`${base}w`, [`||${hx(op + 1)}|o16`]);
  def(`${base}d`, [`||${hx(op + 1)}|o32`]);
}

// ---- Control transfer (SDM Vol.2: Jcc, JMP, CALL, RET, LOOP, JCXZ, INT, IRET) ----
for (const [name, cc] of CC) {
  def(`j${name}`, ['rel8|j|70+cc rel8|sj', 'reln|j|0f 80+cc relv|d'], cc);
  def(`set${name}`, ['rm8|m|0f 90+cc /0'], cc);
  def(`cmov${name}`, ['rv,rmv|rm|0f 40+cc /r'], cc);
}
def('jmp', ['rel8|j|eb rel8|sj', 'relv|j|e9 relv|d', 'far|p|ea ptrv|d', 'mfar|m|ff /5', 'rmv|m|ff /4|d']);
def('call', ['relv|j|e8 relv|d', 'far|p|9a ptrv|d', 'mfar|m|ff /3', 'rmv|m|ff /2|d']);
def(['ret', 'retn'], ['||c3', 'i16|i|c2 iw']);
def('retf', ['||cb', 'i16|i|ca iw']);
def('loop', ['rel8n|j|e2 rel8']);
def(['loope', 'loopz'], ['rel8n|j|e1 rel8']);
def(['loopne', 'loopnz'], ['rel8n|j|e0 rel8']);
def('jcxz', ['rel8n|j|e3 rel8|a16']);
def('jecxz', ['rel8n|j|e3 rel8|a32']);
def('int', ['i8|i|cd ib']);
def('int3', ['||cc']);
def(['int1', 'icebp'], ['||f1']);
def('into', ['||ce']);
def('iret', ['||cf']);
def('iretw', ['||cf|o16']);
def('iretd', ['||cf|o32']);

// ---- Flags, BCD, miscellaneous ----
const simple: [string, string][] = [
  ['clc', 'f8'], ['stc', 'f9'], ['cli', 'fa'], ['sti', 'fb'], ['cld', 'fc'], ['std', 'fd'], ['cmc', 'f5'],
  ['sahf', '9e'], ['lahf', '9f'], ['hlt', 'f4'], ['wait', '9b'], ['fwait', '9b'],
  ['aaa', '37'], ['aas', '3f'], ['daa', '27'], ['das', '2f'],
  ['cpuid', '0f a2'], ['rdtsc', '0f 31'], ['rdmsr', '0f 32'], ['wrmsr', '0f 30'], ['rdpmc', '0f 33'],
  ['ud2', '0f 0b'], ['ud1', '0f b9'], ['sysenter', '0f 34'], ['sysexit', '0f 35'], ['invd', '0f 08'],
  ['wbinvd', '0f 09'], ['clts', '0f 06'], ['rsm', '0f aa'],
];
for (const [mn, enc] of simple) def(mn, [`||${enc}`]);
def('nop', ['||90', 'rmv|m|0f 1f /0']);
// `wait es`: NASM treats WAIT as a prefix, so a following segment register becomes an override byte.
for (const [sr, pfx] of [['es', '26'], ['cs', '2e'], ['ss', '36'], ['ds', '3e'], ['fs', '64'], ['gs', '65']]) def('wait', [`${sr}|-|9b ${pfx}`]);
def('pause', ['||f3 90']);
def('salc', ['||d6']);
def('ud0', ['||0f ff', 'rv,rmv|rm|0f ff /r']);
def('ud1', ['rv,rmv|rm|0f b9 /r']);
def('aam', ['||d4 0a', 'i8|i|d4 ib']);
def('aad', ['||d5 0a', 'i8|i|d5 ib']);

// ---- System instructions (SDM Vol.2: LGDT/SGDT, LLDT/SLDT, LTR/STR, LMSW/SMSW, LAR, LSL, VERR/VERW, ARPL, INVLPG) ----
def('sgdt', ['m|m|0f 01 /0']);
def('sidt', ['m|m|0f 01 /1']);
def('lgdt', ['m|m|0f 01 /2']);
def('lidt', ['m|m|0f 01 /3']);
def('invlpg', ['m|m|0f 01 /7']);
def('smsw', ['m16|m|0f 01 /4', 'r16|m|0f 01 /4|o16', 'r32|m|0f 01 /4|o32']);
def('lmsw', ['m16|m|0f 01 /6', 'r16|m|0f 01 /6']);
def('sldt', ['m16|m|0f 00 /0', 'r16|m|0f 00 /0|o16', 'r32|m|0f 00 /0|o32']);
def('str', ['m16|m|0f 00 /1', 'r16|m|0f 00 /1|o16', 'r32|m|0f 00 /1|o32']);
def('lldt', ['m16|m|0f 00 /2', 'r16|m|0f 00 /2']);
def('ltr', ['m16|m|0f 00 /3', 'r16|m|0f 00 /3']);
def('verr', ['m16|m|0f 00 /4', 'r16|m|0f 00 /4']);
def('verw', ['m16|m|0f 00 /5', 'r16|m|0f 00 /5']);
def('lar', ['rv,m16|rm|0f 02 /r', 'rv,r16|rm|0f 02 /r', 'rv,r32|rm|0f 02 /r']);
def('lsl', ['rv,m16|rm|0f 03 /r', 'rv,r16|rm|0f 03 /r', 'rv,r32|rm|0f 03 /r']);
def('arpl', ['rm16,r16|mr|63 /r']);

/** Forms of a mnemonic (lower case), in NASM's matching order; undefined if unknown. */
export function formsOf(mnemonic: string): readonly Form[] | undefined {
  return TABLE.get(mnemonic);
}

/** All mnemonics the encoder knows (for the language server and tests). */
export function allMnemonics(): string[] {
  return [...TABLE.keys()].sort();
}
