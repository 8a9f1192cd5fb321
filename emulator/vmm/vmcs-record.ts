/**
 * `VmcsRecord`: the VMCS-shaped record of one virtual CPU, shared by every VMM mode
 * (trap-and-emulate now; binary translation, hardware assist and paravirtual later). The
 * debugger shows this record as "the VMCS" whichever technique runs the guest.
 *
 * Every field of emulator/arch/vmcs.ts is stored, in typed storage chosen by the field's
 * width (bits 14:13 of its encoding, SDM Vol. 3C §25.11.2):
 *
 *   width    storage                       notes
 *   16-bit   Uint16Array, one slot         selectors, VPID
 *   32-bit   Uint32Array, one slot         limits, access rights, controls, exit info
 *   natural  Uint32Array, one slot         32 bits on this IA-32 model (no Intel 64)
 *   64-bit   Uint32Array, two slots        [low, high]: the "full" and "high" halves the
 *                                          SDM's access type (encoding bit 0) names
 *
 * 64-bit fields are kept as two uint32 halves rather than a bigint: every VMREAD/VMWRITE on
 * an IA-32 processor moves 32 bits, the SDM addresses the halves separately (access type
 * high = encoding | 1), and the hot paths (guest-state save/load on every exit) never meet
 * a bigint. `read64`/`write64` give the whole value as a bigint where that is wanted.
 *
 * Access rules, as VMREAD/VMWRITE outside 64-bit mode (SDM Vol. 3C §31.3, instruction
 * pages "VMREAD" and "VMWRITE"; the operand size is 32 bits on this model):
 *  - An encoding this model does not have, an encoding with reserved bits 15 or 12 set, or
 *    the high access type on a field that is not 64-bit, is an "unsupported VMCS component":
 *    VMfailValid with VM-instruction error 12. Here: a typed `VmcsError` naming the encoding
 *    in hex.
 *  - A write to a VM-exit information field (type 1, "read-only data") is VMfailValid with
 *    error 13 ("VMWRITE to read-only VMCS component") on processors without the "VMWRITE to
 *    any supported field" capability (IA32_VMX_MISC bit 29), which this model does not
 *    report. `write` therefore refuses them; only the exit recorder (exit-info.ts) fills
 *    them, through `writeExitInformation`, as the processor itself does on a VM exit.
 *  - Widths: the value is taken as a 32-bit operand. A 16-bit field keeps bits 15:0 ("if the
 *    field is shorter than the operand, the high bits of the source are ignored"); a 64-bit
 *    field written with the full access type gets bits 31:0 and has bits 63:32 cleared ("if
 *    the field is longer than the operand, the high bits of the field are cleared"); the
 *    high access type reads or writes bits 63:32 alone. Reads return a uint32.
 *
 * Initial state: every field 0 (active state, nothing valid), except VMCS_LINK_POINTER, which
 * every VMM of ours sets to FFFFFFFF_FFFFFFFFH as VM entry requires when VMCS shadowing is
 * not used (SDM Vol. 3C §27.3.1.5 "Checks on Guest Non-Register State").
 *
 * @see Intel SDM Vol. 3C Chapter 25 "Virtual Machine Control Structures" (§25.11.2 "VMREAD,
 *      VMWRITE, and Encodings of VMCS Fields"), Appendix B "Field Encoding in VMCS",
 *      §31.4 "VM Instruction Error Numbers".
 */
import {
  VMCS,
  VMCS_FIELDS,
  VmcsArea,
  VmcsField,
  VmcsType,
  VmcsWidth,
  VmInstructionError,
  vmcsField,
  vmcsType,
  vmcsWidth,
} from '../arch/vmcs';

/** The VMCS areas in the order SDM Vol. 3C Chapter 25 describes them (§25.4 to §25.9). */
export const VMCS_AREA_ORDER: readonly VmcsArea[] = [
  'guest-state',
  'host-state',
  'vm-execution-controls',
  'vm-exit-controls',
  'vm-entry-controls',
  'vm-exit-information',
];

/** Suffix of the name under which a snapshot keeps bits 63:32 of a 64-bit field (as Linux names the high-access encodings). */
export const HIGH_SUFFIX = '_HIGH';

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(4, '0')}`;

/** A failed VMCS access: the VMfailValid a VMREAD/VMWRITE would give, as a typed error. */
export class VmcsError extends Error {
  constructor(
    /** The encoding used (with its access-type bit). */
    readonly encoding: number,
    /** The VM-instruction error number VMREAD/VMWRITE would store (SDM Vol. 3C §31.4). */
    readonly instructionError: VmInstructionError,
    message: string,
  ) {
    super(message);
    this.name = 'VmcsError';
  }
}

/** One field's value for display: `high` is bits 63:32 of a 64-bit field, 0 otherwise. */
export interface VmcsFieldValue {
  field: VmcsField;
  width: VmcsWidth;
  value: number;
  high: number;
}

/** A VMCS area with its fields in Appendix B order. */
export interface VmcsAreaValues {
  area: VmcsArea;
  fields: VmcsFieldValue[];
}

/**
 * A VMCS as a plain object by field name (JSON-safe): each field's value as a uint32, and for
 * a 64-bit field its bits 63:32 under `NAME_HIGH`.
 */
export type VmcsSnapshot = Record<string, number>;

/*
 * Slot table: for each full-access encoding (bit 15 is always 0, so 15 bits index it), the
 * index of its storage in the array of its width, or -1. Built once from VMCS_FIELDS.
 */
const SLOT = new Int16Array(0x8000).fill(-1);
const COUNT = [0, 0, 0, 0];
for (const f of VMCS_FIELDS) {
  const w = vmcsWidth(f.encoding);
  SLOT[f.encoding] = COUNT[w]++;
}
const FIELDS_BY_AREA: ReadonlyMap<VmcsArea, readonly VmcsField[]> = new Map(
  VMCS_AREA_ORDER.map((area) => [area, VMCS_FIELDS.filter((f) => f.area === area)]),
);
const LINK_POINTER = VMCS.VMCS_LINK_POINTER;

/** Format a field's value in hex with as many digits as its width has (16, 32 or 64 bits). */
export function formatVmcsValue(v: VmcsFieldValue): string {
  switch (v.width) {
    case VmcsWidth.W16:
      return `0x${v.value.toString(16).padStart(4, '0')}`;
    case VmcsWidth.W64:
      return `0x${v.high.toString(16).padStart(8, '0')}${v.value.toString(16).padStart(8, '0')}`;
    default:
      return `0x${v.value.toString(16).padStart(8, '0')}`;
  }
}

export class VmcsRecord {
  private readonly w16 = new Uint16Array(COUNT[VmcsWidth.W16]);
  private readonly w32 = new Uint32Array(COUNT[VmcsWidth.W32]);
  private readonly natural = new Uint32Array(COUNT[VmcsWidth.NATURAL]);
  /** Two slots per field: [2n] = bits 31:0, [2n + 1] = bits 63:32. */
  private readonly w64 = new Uint32Array(2 * COUNT[VmcsWidth.W64]);

  constructor() {
    this.clear();
  }

  /** Every field 0, VMCS_LINK_POINTER all ones (see the file header). */
  clear(): void {
    this.w16.fill(0);
    this.w32.fill(0);
    this.natural.fill(0);
    this.w64.fill(0);
    const s = SLOT[LINK_POINTER] << 1;
    this.w64[s] = 0xffffffff;
    this.w64[s + 1] = 0xffffffff;
  }

  /**
   * VMREAD: the field's value as a uint32 (bits 31:0 of a 64-bit field for the full access
   * type, bits 63:32 for the high access type `encoding | 1`).
   * @throws VmcsError (error 12) for an unsupported component
   */
  read(encoding: number): number {
    const slot = this.slotOf(encoding, 'VMREAD');
    switch (vmcsWidth(encoding)) {
      case VmcsWidth.W16:
        return this.w16[slot];
      case VmcsWidth.W32:
        return this.w32[slot];
      case VmcsWidth.NATURAL:
        return this.natural[slot];
      default:
        return this.w64[(slot << 1) | (encoding & 1)];
    }
  }

  /**
   * VMWRITE with a 32-bit operand (see the file header for truncation and the 64-bit halves).
   * @throws VmcsError error 12 for an unsupported component, error 13 for a VM-exit
   *   information field (use `writeExitInformation` from the exit recorder)
   */
  write(encoding: number, value: number): void {
    this.slotOf(encoding, 'VMWRITE');
    if (vmcsType(encoding) === VmcsType.EXIT_INFO) {
      throw new VmcsError(
        encoding,
        VmInstructionError.VMWRITE_READ_ONLY_COMPONENT,
        `VMWRITE to read-only VMCS component ${hex(encoding)} (${vmcsField(encoding & ~1)!.name}): VM-exit information is written only by a VM exit (VM-instruction error 13)`,
      );
    }
    this.store(encoding, value);
  }

  /**
   * Fill a VM-exit information field, as the processor does on a VM exit (SDM Vol. 3C
   * §28.2 "Recording VM-Exit Information"). For the exit recorder (exit-info.ts) only;
   * other code writes through `write`, which refuses these fields.
   * @throws VmcsError error 12 for an unsupported component or a field of another type
   */
  writeExitInformation(encoding: number, value: number): void {
    this.slotOf(encoding, 'exit recorder write');
    if (vmcsType(encoding) !== VmcsType.EXIT_INFO) {
      throw new VmcsError(encoding, VmInstructionError.UNSUPPORTED_VMCS_COMPONENT, `internal: ${hex(encoding)} is not a VM-exit information field`);
    }
    this.store(encoding, value);
  }

  /**
   * The whole value of a field as a bigint (a 64-bit field's two halves joined; any other
   * field zero-extended). `encoding` must use the full access type.
   * @throws VmcsError (error 12) for an unsupported component or a high-access encoding
   */
  read64(encoding: number): bigint {
    if (encoding & 1) throw this.unsupported(encoding, 'read64 (use the full access type)');
    if (vmcsWidth(encoding) !== VmcsWidth.W64) return BigInt(this.read(encoding));
    return (BigInt(this.read(encoding | 1)) << 32n) | BigInt(this.read(encoding));
  }

  /**
   * Write all 64 bits of a 64-bit field (any other field gets the value truncated to its
   * width, as `write`). Same read-only rule as `write`.
   * @throws VmcsError as `write`
   */
  write64(encoding: number, value: bigint): void {
    if (encoding & 1) throw this.unsupported(encoding, 'write64 (use the full access type)');
    const lo = Number(BigInt.asUintN(32, value));
    if (vmcsWidth(encoding) !== VmcsWidth.W64) return this.write(encoding, lo);
    this.write(encoding, lo); // checks, and clears bits 63:32
    this.store(encoding | 1, Number(BigInt.asUintN(32, value >> 32n)));
  }

  /** Every field with its value, in Appendix B order (the order of VMCS_FIELDS). */
  *entries(): IterableIterator<VmcsFieldValue> {
    for (const field of VMCS_FIELDS) yield this.valueOf(field);
  }

  /** The fields grouped by VMCS area, areas in SDM Chapter 25 order, fields in Appendix B order (for the debugger). */
  areas(): VmcsAreaValues[] {
    return VMCS_AREA_ORDER.map((area) => ({ area, fields: FIELDS_BY_AREA.get(area)!.map((f) => this.valueOf(f)) }));
  }

  /** A plain object by field name, for VM snapshots (see `VmcsSnapshot`). */
  snapshot(): VmcsSnapshot {
    const s: VmcsSnapshot = {};
    for (const f of VMCS_FIELDS) {
      s[f.name] = this.read(f.encoding);
      if (vmcsWidth(f.encoding) === VmcsWidth.W64) s[f.name + HIGH_SUFFIX] = this.read(f.encoding | 1);
    }
    return s;
  }

  /**
   * Load a snapshot taken by `snapshot()`, VM-exit information included (restoring a saved
   * VMCS image is not a VMWRITE). Fields the snapshot lacks (taken before a field was added
   * to arch/vmcs.ts) get their initial value; values are truncated to the field's width.
   * Nothing changes when the snapshot is rejected.
   * @throws VmcsError (error 12) naming the first unknown field name, or a value that is not a number
   */
  restore(snapshot: Readonly<VmcsSnapshot>): void {
    for (const [name, value] of Object.entries(snapshot)) {
      const base = name.endsWith(HIGH_SUFFIX) && !(name in VMCS) ? name.slice(0, -HIGH_SUFFIX.length) : name;
      const enc = VMCS[base];
      const bad = enc === undefined || (base !== name && vmcsWidth(enc) !== VmcsWidth.W64);
      if (bad || typeof value !== 'number' || !Number.isFinite(value)) {
        throw new VmcsError(enc ?? -1, VmInstructionError.UNSUPPORTED_VMCS_COMPONENT, `VMCS snapshot: ${bad ? 'unknown field' : 'not a number:'} ${name}`);
      }
    }
    this.clear();
    for (const [name, value] of Object.entries(snapshot)) {
      const enc = name in VMCS ? VMCS[name] : VMCS[name.slice(0, -HIGH_SUFFIX.length)] | 1;
      this.store(enc, value);
    }
  }

  /** Copy every field of `other` into this record. */
  copyFrom(other: VmcsRecord): void {
    this.w16.set(other.w16);
    this.w32.set(other.w32);
    this.natural.set(other.natural);
    this.w64.set(other.w64);
  }

  private valueOf(field: VmcsField): VmcsFieldValue {
    const width = vmcsWidth(field.encoding);
    return { field, width, value: this.read(field.encoding), high: width === VmcsWidth.W64 ? this.read(field.encoding | 1) : 0 };
  }

  /** Store after the checks: truncation by width, full 64-bit writes clear bits 63:32. */
  private store(encoding: number, value: number): void {
    const slot = SLOT[encoding & 0x7ffe];
    switch (vmcsWidth(encoding)) {
      case VmcsWidth.W16:
        this.w16[slot] = value;
        return;
      case VmcsWidth.W32:
        this.w32[slot] = value;
        return;
      case VmcsWidth.NATURAL:
        this.natural[slot] = value;
        return;
      default:
        if (encoding & 1) {
          this.w64[(slot << 1) | 1] = value;
        } else {
          this.w64[slot << 1] = value;
          this.w64[(slot << 1) | 1] = 0;
        }
    }
  }

  /** The storage slot of a supported encoding; the high access type only on 64-bit fields. */
  private slotOf(encoding: number, what: string): number {
    if (!Number.isInteger(encoding) || encoding < 0 || encoding > 0x7fff) throw this.unsupported(encoding, what);
    const slot = SLOT[encoding & 0x7ffe];
    if (slot < 0 || (encoding & 1 && vmcsWidth(encoding) !== VmcsWidth.W64)) throw this.unsupported(encoding, what);
    return slot;
  }

  private unsupported(encoding: number, what: string): VmcsError {
    const f = Number.isInteger(encoding) && encoding >= 0 ? vmcsField(encoding & ~1) : undefined;
    const detail = f ? ` (high access type on ${f.name}, which is not a 64-bit field)` : ' (no such field on this model)';
    return new VmcsError(encoding, VmInstructionError.UNSUPPORTED_VMCS_COMPONENT, `${what}: unsupported VMCS component ${hex(encoding)}${detail} (VM-instruction error 12)`);
  }
}
