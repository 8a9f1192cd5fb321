/**
 * What happens to an instruction under a VMM mode and ring model — "traps → emulated
 * (CR_ACCESS)", "silently keeps IF at CPL 1 — virtualization hole", "leaks the host GDTR",
 * "runs directly" — for the language server's hovers and trap annotations and anything else
 * that wants to explain an instruction's fate.
 *
 * Derived, not hand-listed, where the code knows the answer:
 *  - whether an instruction is privileged: the opcode table's `Attr.CPL0` / `Attr.IOPL`
 *    (a privileged instruction at CPL > 0 raises #GP(0); the trap-and-emulate VMM runs the
 *    guest with IOPL 0 and no I/O permission bitmap, vm.ts `enter`);
 *  - what the VMM calls the resulting exit: the trap-and-emulate classifier itself
 *    (trap-and-emulate/classify.ts `classifyEvent`), run on a scratch processor holding the
 *    instruction's bytes at the host CPL of the guest (1 or 3 for the guest kernel under ring
 *    model 0/1/3 or 0/3/3, 3 for guest user code), told the guest's CPL as the VM tells it
 *    (`state.guestCpl`: under 0/3/3 the host CPL cannot tell kernel from user code,
 *    trap-and-emulate/guest-ring.ts) — so a privileged instruction in the guest kernel is
 *    emulated under both models, and in guest user code is the guest's own #GP, reflected;
 *  - what it does with the exit: the mode's handler table (trap-and-emulate/mode.ts): a
 *    handler that reflects (`onReflect`) is "reflected", any other handler "emulated", and a
 *    reason without a handler stops the VM ("no handler").
 * Hand-written, with their sources:
 *  - four events that are not privilege faults of a CPL0/IOPL row: INT n / INT3 / INTO / INT1
 *    always reach the VMM (it intercepts every event, docs/vmm-design.md "Exits"); IRET to
 *    the guest kernel's own ring faults at CPL > 0 (SDM Vol. 2A "IRET": return CS RPL < CPL →
 *    #GP(selector)); MOV SS / POP SS with a ring-0 selector faults at CPL > 0 (SDM Vol. 2B
 *    "MOV", "POP": SS RPL ≠ CPL → #GP(selector)); SYSENTER faults because the host
 *    IA32_SYSENTER_CS is 0 (SDM Vol. 2B "SYSENTER": #GP(0) if IA32_SYSENTER_CS[15:2] = 0;
 *    vm.ts `enter` zeroes the host MSRs);
 *  - which sensitive, unprivileged instruction is which hole and what it shows: the
 *    categories of ../shared/notes/virtualization-background.md "The troubles" (1–3) and
 *    Robin & Irvine (2000), as emulator/cpu/sensitive.ts reports them (`HoleKind`).
 * test/unit/vmm/instruction-fate.test.ts runs guests under `TrapAndEmulateVm` and checks
 * that each annotation matches what the VM records (exits by reason, hole events).
 */
import { Vector } from '../arch/exceptions';
import { SegReg } from '../arch/segments';
import { ExitReason } from '../arch/vmx-exit-reasons';
import { Cpu, type CpuEventType } from '../cpu/cpu';
import { ONE_BYTE, PAUSE, TWO_BYTE } from '../cpu/decoder/opcode-table';
import { Attr, type OpcodeEntry } from '../cpu/decoder/types';
import * as far from '../cpu/instructions/far-xfer';
import { setCpl } from '../cpu/segmentation';
import type { HoleKind } from '../cpu/sensitive';
import { enterFlatProtectedMode } from '../machine/flat-protected-mode';
import { IoBus } from '../memory/io-bus';
import { PhysicalMemory } from '../memory/physical-memory';
import { VmmExitReason } from './exit-cause';
import type { RingModel } from './guest-vm';
import { classifyEvent } from './trap-and-emulate/classify';
import { onReflect } from './trap-and-emulate/exits/reflect';
import { TRAP_AND_EMULATE } from './trap-and-emulate/mode';

/** How an instruction fares (see `instructionFate`). */
export type FateKind =
  /** Executes on the processor as on bare hardware. */
  | 'runs-directly'
  /** Faults at the deprivileged CPL; the VMM emulates it against the virtual state. */
  | 'traps-emulated'
  /** Reaches the VMM, which delivers it through the guest's IDT (INT n). */
  | 'traps-reflected'
  /** Faults in the guest exactly as on bare hardware (a privileged instruction in guest user code). */
  | 'faults-in-guest'
  /** Faults at the deprivileged CPL although bare hardware would run it, and the VMM does not emulate it: the guest gets the fault, or the VM stops. */
  | 'not-emulated'
  /** Runs without trapping and shows the guest something bare hardware would not: a virtualization hole. */
  | 'hole'
  /** A VMM mode this module does not know. */
  | 'unknown-mode';

/** Where the instruction runs in the guest: its kernel (guest CPL 0) or user code (guest CPL 3). */
export type GuestLevel = 'kernel' | 'user';

export interface FateContext {
  /** 'native', 'trap-and-emulate', or a mode added later (then the fate is 'unknown-mode'). */
  vmm: string;
  ringModel: RingModel;
  cpl: GuestLevel;
}

export interface InstructionFate {
  kind: FateKind;
  /** The exit reason by name: an SDM basic reason ('CR_ACCESS') or a VMM reason ('INTERRUPT_FLAG'). */
  exitReason?: string;
  holeKind?: HoleKind;
  /** One line in our words: 'traps → emulated (CR_ACCESS)', 'leaks the host GDTR', 'runs directly'. */
  text: string;
  /** The SDM instruction page: 'Vol. 2B POPF/POPFD'. */
  sdm: string;
}

/** An instruction as the annotation engine needs it: its opcode-table row and the operands that change its fate. */
export interface ResolvedInstruction {
  entry: OpcodeEntry;
  /** The segment register operand (PUSH CS, MOV AX, SS, MOV SS, AX …), when there is one. */
  sreg?: SegReg;
  /** The control or debug register number (MOV CR3, EAX), when there is one. */
  crDr?: number;
}

/** The first encoding of a row: opcode (0x0F00 | b for two-byte), ModRM.reg for group rows, ModRM.rm for register-form rows. */
interface Encoding {
  opcode: number;
  reg?: number;
  regFormRm?: number;
  prefix?: number;
}

const ENCODINGS = new Map<OpcodeEntry, Encoding>();
const BY_MNEMONIC = new Map<string, OpcodeEntry[]>();

function index(entry: OpcodeEntry | null | undefined, enc: Encoding): void {
  if (!entry) return;
  if (entry.group) {
    entry.group.forEach((g, reg) => index(g, { ...enc, reg }));
  } else if (!ENCODINGS.has(entry)) {
    ENCODINGS.set(entry, enc);
    for (const mn of new Set([entry.mn, entry.mn16, entry.mn32, entry.mnAddr16, entry.mnAddr32])) {
      if (!mn) continue;
      const list = BY_MNEMONIC.get(mn.toLowerCase()) ?? [];
      list.push(entry);
      BY_MNEMONIC.set(mn.toLowerCase(), list);
    }
  }
  entry.regForm?.forEach((r, rm) => index(r, { ...enc, regFormRm: rm }));
}
for (const [k, e] of Object.entries(ONE_BYTE)) index(e, { opcode: Number(k) });
for (const [k, e] of Object.entries(TWO_BYTE)) index(e, { opcode: 0x0f00 | Number(k) });
index(PAUSE, { opcode: 0x90, prefix: 0xf3 });

/** NASM spellings of rows the table names differently (condition-code aliases are not needed: Jcc never traps). */
const NASM_ALIASES: Record<string, string> = { popf: 'popfd', pushf: 'pushfd', iret: 'iretd', icebp: 'int1', xlat: 'xlatb', fwait: 'wait', retn: 'ret' };

/** Opcode-table rows for a mnemonic (any case, NASM or SDM spelling); empty when unknown. */
export function entriesOf(mnemonic: string): OpcodeEntry[] {
  const m = mnemonic.toLowerCase();
  return BY_MNEMONIC.get(m) ?? BY_MNEMONIC.get(NASM_ALIASES[m] ?? '') ?? [];
}

/** The opcode bytes of a row's first encoding as text, e.g. '0F 22 /r', 'FA', '0F 01 /2'. */
export function encodingText(entry: OpcodeEntry): string {
  const e = ENCODINGS.get(entry);
  if (!e) return '';
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  const bytes = e.opcode > 0xff ? ['0F', hex(e.opcode & 0xff)] : [hex(e.opcode)];
  if (e.prefix !== undefined) bytes.unshift(hex(e.prefix));
  if (e.reg !== undefined) bytes.push(`/${e.reg}`);
  else if (/^[EGMSCDR]/.test(entry.ops.join(' ').replace(/\b(?:DX|CS|DS|ES|SS|FS|GS)\b/g, ''))) bytes.push('/r');
  return bytes.join(' ');
}

const SREGS: Record<string, SegReg> = { es: SegReg.ES, cs: SegReg.CS, ss: SegReg.SS, ds: SegReg.DS, fs: SegReg.FS, gs: SegReg.GS };

type OperandClass = { k: 'sreg'; n: SegReg } | { k: 'cr'; n: number } | { k: 'dr'; n: number } | { k: 'far-ptr' } | { k: 'far-mem' } | { k: 'other' };

function classifyOperand(text: string): OperandClass {
  const t = text.trim().toLowerCase();
  if (t in SREGS) return { k: 'sreg', n: SREGS[t]! };
  const crdr = /^(cr|dr)([0-7])$/.exec(t);
  if (crdr) return { k: crdr[1] === 'cr' ? 'cr' : 'dr', n: Number(crdr[2]) };
  if (/^far\b/.test(t)) return { k: 'far-mem' };
  if (/^[^[]*:[^[]*$/.test(t) && !/^\[/.test(t)) return { k: 'far-ptr' };
  return { k: 'other' };
}

const SREG_OPS = new Set(['ES', 'CS', 'SS', 'DS', 'FS', 'GS']);

/** Whether a row's operand code accepts the classified operand (only the codes that decide between rows matter). */
function accepts(code: string, c: OperandClass): boolean {
  switch (c.k) {
    case 'sreg':
      return code === 'Sw' || (SREG_OPS.has(code) && SegReg[code as keyof typeof SegReg] === c.n);
    case 'cr':
      return code === 'Cd';
    case 'dr':
      return code === 'Dd';
    case 'far-ptr':
      return code === 'Ap';
    case 'far-mem':
      return code === 'Mp';
    default:
      return code !== 'Sw' && code !== 'Cd' && code !== 'Dd' && code !== 'Ap' && code !== 'Mp' && !SREG_OPS.has(code);
  }
}

/**
 * Find the opcode-table row of an instruction written in NASM syntax: 'push cs',
 * 'mov cr3, eax', 'mov ax, ss', 'call far [x]', 'popf'. Operands decide between rows only
 * where the fate can differ (segment, control and debug registers, far forms); other
 * operands are not checked.
 * @returns undefined for an unknown mnemonic (directives, macros, labels)
 */
export function resolveInstruction(text: string): ResolvedInstruction | undefined {
  const m = /^\s*([a-z][a-z0-9]*)\b\s*(.*)$/i.exec(text.replace(/;.*$/, ''));
  if (!m) return undefined;
  const rows = entriesOf(m[1]!);
  if (rows.length === 0) return undefined;
  const operands = splitOperands(m[2]!).map(classifyOperand);
  const fit = rows.find((e) => operands.length === 0 || operands.every((c, n) => e.ops[n] === undefined || accepts(e.ops[n]!, c)));
  const entry = fit ?? rows[0]!;
  const r: ResolvedInstruction = { entry };
  for (const c of operands) {
    if (c.k === 'sreg') r.sreg = c.n;
    if (c.k === 'cr' || c.k === 'dr') r.crDr = c.n;
  }
  return r;
}

/** Operands split at top-level commas (not inside brackets or quotes). */
export function splitOperands(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/**
 * The SDM volume of an instruction page: Vol. 2A has A–L, 2B M–U, 2C V, 2D W–Z
 * (Intel SDM, "Instruction Set Reference", the split since 2016).
 */
export function sdmCitation(entry: OpcodeEntry): string {
  const page = entry.sdm ?? entry.mn;
  const c = page.charAt(0).toUpperCase();
  const vol = c <= 'L' ? '2A' : c <= 'U' ? '2B' : c === 'V' ? '2C' : '2D';
  return `Vol. ${vol} ${page}`;
}

/** The host CPL a guest level runs at under a ring model (docs/vmm-design.md "Ring deprivileging"). */
export function hostCpl(ringModel: RingModel, level: GuestLevel): number {
  return level === 'user' || ringModel === '0/3/3' ? 3 : 1;
}

/** An event the instruction raises at host CPL > 0 that bare hardware at the guest's CPL would not (or would too, for user code). */
interface Raised {
  type: CpuEventType;
  vector: number;
  errorCode: number;
  /** Also raised on bare hardware at the guest's CPL (a privileged instruction in user code, INT n). */
  alsoNative: boolean;
}

const KERNEL_SELECTOR = 0x10;

function raisedEvent(r: ResolvedInstruction, level: GuestLevel): Raised | null {
  const e = r.entry;
  const attrs = e.attrs ?? 0;
  if (e.exec === far.INT_Ib) return { type: 'software-interrupt', vector: 0x80, errorCode: -1, alsoNative: true };
  if (e.exec === far.INT3 || e.exec === far.INTO) return { type: 'software-exception', vector: e.exec === far.INT3 ? Vector.BP : Vector.OF, errorCode: -1, alsoNative: true };
  if (e.exec === far.INT1) return { type: 'privileged-software-exception', vector: Vector.DB, errorCode: -1, alsoNative: true };
  if (attrs & (Attr.CPL0 | Attr.IOPL)) return { type: 'hardware-exception', vector: Vector.GP, errorCode: 0, alsoNative: level === 'user' };
  if (e.exec === far.SYSENTER) return { type: 'hardware-exception', vector: Vector.GP, errorCode: 0, alsoNative: false };
  if (level === 'kernel' && e.exec === far.IRET) return { type: 'hardware-exception', vector: Vector.GP, errorCode: KERNEL_SELECTOR, alsoNative: false };
  if (level === 'kernel' && r.sreg === SegReg.SS && (e.mn === 'POP' || (e.mn === 'MOV' && e.ops[0] === 'Sw')))
    return { type: 'hardware-exception', vector: Vector.GP, errorCode: KERNEL_SELECTOR, alsoNative: false };
  return null;
}

/** Bytes of the instruction, for the scratch processor: prefix, opcode, a ModRM byte, zero displacement/immediates. */
function bytesOf(r: ResolvedInstruction): number[] {
  const enc = ENCODINGS.get(r.entry);
  if (!enc) throw new Error(`internal: no encoding indexed for ${r.entry.mn}`);
  const out: number[] = [];
  if (enc.prefix !== undefined) out.push(enc.prefix);
  if (enc.opcode > 0xff) out.push(0x0f);
  out.push(enc.opcode & 0xff);
  const regField = enc.reg ?? (r.entry.ops.some((o) => o === 'Sw') ? (r.sreg ?? 0) : (r.crDr ?? 0));
  const memory = r.entry.ops.some((o) => o.startsWith('M')) && enc.regFormRm === undefined;
  // Register form (mod 3) unless the row needs memory; memory form [EAX] (mod 0, rm 0) has no displacement.
  out.push(memory ? regField << 3 : 0xc0 | (regField << 3) | (enc.regFormRm ?? 0));
  for (let k = 0; k < 8; k++) out.push(0);
  return out;
}

const SCRATCH_EIP = 0x1000;
let scratch: Cpu | null = null;

/**
 * Ask the trap-and-emulate classifier what it calls the event, with the instruction at
 * CS:EIP of a scratch processor in flat protected mode at `cpl`.
 * @returns the cause's name and whether the mode's handler for it reflects, emulates or is missing
 */
function classifyUnderTrapAndEmulate(r: ResolvedInstruction, raised: Raised, cpl: number, level: GuestLevel): { reason: string; handler: 'reflect' | 'emulate' | 'none' } {
  if (!scratch) {
    scratch = new Cpu(new PhysicalMemory(0x10000), new IoBus());
    enterFlatProtectedMode(scratch, { eip: SCRATCH_EIP, esp: 0x8000 });
  }
  const cpu = scratch;
  cpu.memory.writeBytes(SCRATCH_EIP, Uint8Array.from(bytesOf(r)));
  cpu.eip = SCRATCH_EIP;
  setCpl(cpu, cpl);
  const instructionLength = raised.type === 'hardware-exception' ? 0 : r.entry.ops.length > 0 ? 2 : 1;
  // The guest's CPL is VMM state (`TrapAndEmulateState.guestCpl`), not the host CPL: under
  // 0/3/3 the guest kernel and guest user code both run at host CPL 3 (guest-ring.ts). The VM
  // passes `state.guestCpl === 0` (vm.ts); so do we.
  const c = classifyEvent(cpu, { type: raised.type, vector: raised.vector, errorCode: raised.errorCode, instructionLength }, level === 'kernel');
  const key = c.vmmReason ?? c.info.reason;
  const reason = c.vmmReason !== undefined ? VmmExitReason[c.vmmReason] : (ExitReason[c.info.reason] ?? `UNKNOWN_${c.info.reason}`);
  const handler = TRAP_AND_EMULATE.handlers[key as keyof typeof TRAP_AND_EMULATE.handlers];
  return { reason, handler: handler === undefined ? 'none' : handler === onReflect ? 'reflect' : 'emulate' };
}

const SREG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];

/**
 * The hole a sensitive, unprivileged instruction opens when it runs at host CPL `cpl` in
 * guest code at `level`, or null when it shows the guest what bare hardware would.
 * Sources: virtualization-background.md "The troubles" 1 (ring aliasing), 2 (non-faulting
 * access to privileged state), 3 (instructions that fail silently); cpu/sensitive.ts kinds.
 */
function holeOf(r: ResolvedInstruction, cpl: number, level: GuestLevel): { kind: HoleKind; text: string } | null {
  const e = r.entry;
  const mn = e.mn;
  const hostIf = 'the host IF (1), not the virtual IF';
  // Ring aliasing (SDM Vol. 3A §5.5: CS.RPL is the CPL): the kernel expects RPL 0.
  const showsSreg = (mn === 'PUSH' && SREG_OPS.has(e.ops[0] ?? '')) || (mn === 'MOV' && e.ops[1] === 'Sw');
  if (showsSreg) {
    const s = e.ops[0] === 'CS' ? SegReg.CS : e.ops[0] === 'SS' ? SegReg.SS : r.sreg;
    if ((s === SegReg.CS || s === SegReg.SS) && level === 'kernel') return { kind: 'ring-aliasing', text: `shows ${SREG_NAMES[s]} with RPL ${cpl}, not 0 — ring aliasing (virtualization hole)` };
    return null;
  }
  switch (mn) {
    case 'SGDT':
      return { kind: 'privileged-state-read', text: 'leaks the host GDTR (the VMM’s shadow GDT) — virtualization hole' };
    case 'SIDT':
      return { kind: 'privileged-state-read', text: 'leaks the host IDTR (the VMM’s IDT) — virtualization hole' };
    case 'SLDT':
      return { kind: 'privileged-state-read', text: 'leaks the host LDTR — virtualization hole' };
    case 'STR':
      return { kind: 'privileged-state-read', text: 'leaks the host TR (the VMM’s TSS selector) — virtualization hole' };
    case 'SMSW':
      return { kind: 'privileged-state-read', text: 'leaks the host CR0 (low word) — virtualization hole' };
    // In guest user code (host CPL 3, IOPL 0 under the VMM) bare hardware also keeps IF unless
    // the guest gave user code IOPL 3; the VMM still records a hole when the popped IF differs
    // from the virtual IF (vm.ts `onSensitive`), and the texts say both.
    case 'POPFD':
      if (level === 'user') return { kind: 'popf-if-ignored', text: 'silently keeps IF at CPL 3 (as bare hardware at IOPL < 3; the VMM forces IOPL 0) — virtualization hole' };
      return { kind: 'popf-if-ignored', text: `silently keeps IF at CPL ${cpl} — virtualization hole` };
    case 'PUSHFD':
      if (level === 'user') return { kind: 'pushf-if-revealed', text: `pushes ${hostIf} — a virtualization hole only if the guest kernel entered user code with IF = 0` };
      return { kind: 'pushf-if-revealed', text: `pushes ${hostIf} (after an emulated CLI) — virtualization hole` };
    case 'IRETD':
      if (level === 'user') return { kind: 'iret-if-ignored', text: 'runs natively (same-ring return) and silently keeps IF at CPL 3 (as bare hardware at IOPL < 3) — virtualization hole' };
      return { kind: 'iret-if-ignored', text: `silently keeps IF at CPL ${cpl} (when it runs natively) — virtualization hole` };
    case 'LAR':
    case 'LSL':
    case 'VERR':
    case 'VERW':
      return { kind: 'descriptor-query', text: `reads the shadow GDT and judges it against CPL ${cpl} — virtualization hole` };
  }
  return null;
}

/**
 * What happens to an instruction under a VMM mode and ring model (see the file header for
 * what is derived and what is hand-written).
 * @param insn an opcode-table row, or an instruction in NASM syntax ('mov cr3, eax', 'push cs')
 * @param ctx the mode (`vmm`), the ring model, and whether the line runs in the guest kernel or in guest user code
 * @returns the fate; for text that names no instruction the CPU knows, undefined
 */
export function instructionFate(insn: string | OpcodeEntry | ResolvedInstruction, ctx: FateContext): InstructionFate | undefined {
  const r: ResolvedInstruction | undefined = typeof insn === 'string' ? resolveInstruction(insn) : 'entry' in insn ? { ...insn } : { entry: insn };
  if (!r) return undefined;
  const fixed = r.entry.ops[0];
  if (r.sreg === undefined && fixed !== undefined && SREG_OPS.has(fixed)) r.sreg = SegReg[fixed as keyof typeof SegReg];
  // The answer depends only on the row, the operands that matter and the context: computed once.
  const key = `${r.sreg}|${r.crDr}|${ctx.vmm}|${ctx.ringModel}|${ctx.cpl}`;
  let memo = FATES.get(r.entry);
  if (!memo) FATES.set(r.entry, (memo = new Map()));
  let fate = memo.get(key);
  if (!fate) memo.set(key, (fate = computeFate(r, ctx)));
  return fate;
}

/** Fates computed so far, per row and `instructionFate` key (the VMM's code does not change while running). */
const FATES = new WeakMap<OpcodeEntry, Map<string, InstructionFate>>();

function computeFate(r: ResolvedInstruction, ctx: FateContext): InstructionFate {
  const sdm = sdmCitation(r.entry);
  const attrs = r.entry.attrs ?? 0;
  if (ctx.vmm === 'native') {
    if (ctx.cpl === 'user' && attrs & Attr.CPL0) return { kind: 'faults-in-guest', text: '#GP(0) at CPL 3 — the guest kernel’s handler runs', sdm };
    if (ctx.cpl === 'user' && attrs & Attr.IOPL) return { kind: 'faults-in-guest', text: '#GP(0) at CPL 3 unless IOPL = 3 (or the TSS I/O bitmap allows the port)', sdm };
    return { kind: 'runs-directly', text: 'runs directly (bare machine)', sdm };
  }
  if (ctx.vmm !== 'trap-and-emulate') return { kind: 'unknown-mode', text: `no annotation for VMM mode '${ctx.vmm}'`, sdm };
  const cpl = hostCpl(ctx.ringModel, ctx.cpl);
  const raised = raisedEvent(r, ctx.cpl);
  if (raised) {
    const c = classifyUnderTrapAndEmulate(r, raised, cpl, ctx.cpl);
    const exitReason = c.reason;
    if (c.handler === 'none') return { kind: 'not-emulated', exitReason, text: `traps → no handler: the VM stops (${exitReason})`, sdm };
    if (c.handler === 'emulate') {
      const tail = r.entry.exec === far.IRET ? ' when it returns to the guest kernel' : '';
      return { kind: 'traps-emulated', exitReason, text: `traps → emulated (${exitReason})${tail}`, sdm };
    }
    if (raised.type !== 'hardware-exception') return { kind: 'traps-reflected', exitReason, text: `traps → reflected through the guest IDT (${exitReason})`, sdm };
    if (raised.alsoNative) return { kind: 'faults-in-guest', exitReason, text: `faults in the guest (#GP(0) to its kernel's handler), as on bare hardware (reflected: ${exitReason})`, sdm };
    // A guest-kernel fault the classifier leaves to the guest (no instruction row of the
    // hand-written events above reaches here with today's classifier; kept so a future
    // classifier change shows up as this text rather than as a wrong claim).
    return { kind: 'not-emulated', exitReason, text: `faults at CPL ${cpl} and is reflected as #GP — not emulated by this VMM (${exitReason})`, sdm };
  }
  const hole = holeOf(r, cpl, ctx.cpl);
  if (hole) return { kind: 'hole', holeKind: hole.kind, text: hole.text, sdm };
  if (attrs & Attr.SENSITIVE) return { kind: 'runs-directly', text: 'runs directly (sensitive, but checked against the shadow GDT like hardware)', sdm };
  return { kind: 'runs-directly', text: 'runs directly', sdm };
}

/** Whether an instruction deserves a trap annotation: privileged, sensitive, or not simply run directly under some mode. */
export function isAnnotated(r: ResolvedInstruction): boolean {
  const e = r.entry;
  if ((e.attrs ?? 0) & (Attr.CPL0 | Attr.IOPL | Attr.SENSITIVE)) return true;
  return e.exec === far.IRET || e.exec === far.SYSENTER || e.exec === far.INT3 || e.exec === far.INTO || e.exec === far.INT1;
}
