/**
 * Why the VMM got control: an SDM basic exit reason, or a named software-VMM reason that
 * has no SDM equivalent. Two namespaces, kept distinct and typed:
 *
 *   { kind: 'sdm', reason: ExitReason }      numbers and names of SDM Vol. 3C Appendix C
 *   { kind: 'vmm', reason: VmmExitReason }   this project's names, for work a software VMM
 *                                            does that VT-x either never exits for or folds
 *                                            into a generic reason
 *
 * A basic exit reason is 16 bits (bits 15:0 of VM_EXIT_REASON), so the VMM reasons are
 * numbered from 0x10000: the two enums can never share a value, a table keyed by
 * `ExitReason | VmmExitReason` cannot confuse them, and `causeKey` is one number.
 *
 * The VMM reasons are refinements of how control actually arrived. Under trap-and-emulate
 * every exit arrives as an exception or interrupt; the VMM names it by an SDM reason where
 * one fits (a #GP on MOV CR3 at ring 1 is CR_ACCESS, on IN is IO_INSTRUCTION, on LGDT is
 * GDTR_IDTR_ACCESS) and by one of these otherwise. The exit's VMCS record still holds what
 * VT-x would record for the arriving event (see exit-info.ts).
 * Virtualization holes are deliberately not exit reasons: a hole is an instruction that
 * does NOT exit (SGDT, POPF, PUSH CS…); they are reported as events, not counted as exits.
 *
 * @see Intel SDM Vol. 3C Appendix C "VMX Basic Exit Reasons";
 *      ../shared/notes/virtualization-background.md ("The troubles").
 */
import { ExitReason, exitReasonName } from '../arch/vmx-exit-reasons';

/** First value of the software-VMM namespace: above every 16-bit basic exit reason. */
export const VMM_EXIT_REASON_BASE = 0x10000;

/** Software-VMM exit reasons with no SDM equivalent (issue 5, "Exit accounting"). Additive: new modes add names at the end. */
export enum VmmExitReason {
  /** A shadow page-table miss resolved without the guest noticing (the guest's own tables map the page). */
  // A literal, not VMM_EXIT_REASON_BASE: esbuild (the bundles: CLI, bench, extension)
  // numbers the members after a non-literal initializer `undefined` instead of
  // continuing from it, which left every VMM reason but this one undefined in dist/.
  HIDDEN_PAGE_FAULT = 0x10000,
  /** A write to a write-protected guest page-table page, trapped to keep the shadow tables coherent. */
  GUEST_PAGE_TABLE_WRITE,
  /** A guest access to the linear range the VMM reserves for itself (address-space compression), emulated. */
  RESERVED_AREA_ACCESS,
  /** CLI, STI or POPF trapped at CPL > IOPL and emulated against the virtual IF (VT-x runs them natively). */
  INTERRUPT_FLAG,
  /** IRET emulated: virtual IF, a return across the compressed rings (VT-x runs it natively). */
  IRET,
  /** SYSENTER or SYSEXIT, which enter ring 0 / fault outside it, emulated for a deprivileged guest kernel. */
  SYSTEM_CALL,
  /** INT n from the guest, reaching the VMM first and reflected through the guest's IDT. */
  SOFTWARE_INTERRUPT,
  /**
   * MOV SS / POP SS with a guest-kernel selector (RPL 0): under ring compression it faults
   * (the RPL must equal the CPL, 1) and is loaded with RPL 1 (VT-x runs it natively).
   */
  STACK_SEGMENT_LOAD,
  /**
   * A write to a write-protected page holding the guest's GDT or LDT, trapped so that the
   * shadow descriptor tables follow the guest's edits. A literal, numbered apart from the
   * names above so that names added after them cannot collide with it (see HIDDEN_PAGE_FAULT).
   */
  GUEST_DESCRIPTOR_TABLE_WRITE = 0x10020,
}

export type ExitCause = { readonly kind: 'sdm'; readonly reason: ExitReason } | { readonly kind: 'vmm'; readonly reason: VmmExitReason };

const sdmCauses = new Map<number, ExitCause>();
const vmmCauses = new Map<number, ExitCause>();

/** The (shared, frozen) cause for an SDM basic exit reason. */
export function sdmCause(reason: ExitReason): ExitCause {
  if (!Number.isInteger(reason) || reason < 0 || reason >= VMM_EXIT_REASON_BASE) throw new RangeError(`not a basic exit reason: ${reason}`);
  let c = sdmCauses.get(reason);
  if (!c) sdmCauses.set(reason, (c = Object.freeze({ kind: 'sdm', reason })));
  return c;
}

/** The (shared, frozen) cause for a software-VMM exit reason. */
export function vmmCause(reason: VmmExitReason): ExitCause {
  if (VmmExitReason[reason] === undefined) throw new RangeError(`not a VMM exit reason: ${reason}`);
  let c = vmmCauses.get(reason);
  if (!c) vmmCauses.set(reason, (c = Object.freeze({ kind: 'vmm', reason })));
  return c;
}

/** One number per cause (the namespaces do not overlap): the key of counters and handler tables. */
export function causeKey(c: ExitCause): number {
  return c.reason;
}

/** The cause a key stands for. */
export function causeOfKey(key: number): ExitCause {
  return key >= VMM_EXIT_REASON_BASE ? vmmCause(key) : sdmCause(key);
}

/** 'CR_ACCESS', 'HIDDEN_PAGE_FAULT'; an SDM number this model does not name gives 'UNKNOWN_<n>'. */
export function exitCauseName(c: ExitCause): string {
  if (c.kind === 'vmm') return VmmExitReason[c.reason];
  return ExitReason[c.reason] ?? `UNKNOWN_${c.reason}`;
}

/** 'CR_ACCESS (28)' for an SDM reason, 'HIDDEN_PAGE_FAULT (VMM)' for a software one: the --stats table's reason column. */
export function exitCauseLabel(c: ExitCause): string {
  return c.kind === 'sdm' ? `${exitCauseName(c)} (${c.reason})` : `${exitCauseName(c)} (VMM)`;
}

/** The reason in hex with its name, for error messages: '0x1c EXIT_REASON_CR_ACCESS', '0x10000 VMM HIDDEN_PAGE_FAULT'. */
export function exitCauseDescription(c: ExitCause): string {
  const hex = `0x${c.reason.toString(16)}`;
  return c.kind === 'sdm' ? `${hex} ${exitReasonName(c.reason)}` : `${hex} VMM ${exitCauseName(c)}`;
}
