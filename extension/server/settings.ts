/**
 * The server's settings (section `vanderpool`, contracts: `vanderpool.vmm`,
 * `vanderpool.ringModel`, `vanderpool.trapAnnotations`, `vanderpool.includePaths`) and the
 * VMM mode the trap annotations show, which the client may also set with the
 * `vanderpool/setVmmMode` notification (the status-bar pick or the running debug session).
 */
import { RING_MODELS, VMM_KINDS, type RingModel } from '../../emulator/vmm/guest-vm';

/** `vanderpool.trapAnnotations`. */
export type TrapAnnotationStyle = 'inlayHints' | 'codeLens' | 'off';

/** The settings the server uses (contracts; `vanderpool.memory` is the client's only). */
export interface ServerSettings {
  vmm: string;
  ringModel: RingModel;
  trapAnnotations: TrapAnnotationStyle;
  includePaths: string[];
}

/** The contract's defaults, used until the client's configuration arrives. */
export const DEFAULT_SETTINGS: ServerSettings = { vmm: 'trap-and-emulate', ringModel: '0/1/3', trapAnnotations: 'inlayHints', includePaths: [] };

/** The notification's method and parameters (contracts; defined once in extension/protocol.ts). */
export { SET_VMM_MODE_NOTIFICATION as SET_VMM_MODE, type VmmModeParams as SetVmmModeParams } from '../protocol';

/**
 * Settings from a `vanderpool` configuration object, keeping `base` for what is missing or
 * invalid (a VMM kind or ring model this build does not know is ignored, not trusted).
 */
export function parseSettings(raw: unknown, base: ServerSettings = DEFAULT_SETTINGS): ServerSettings {
  const o = (raw ?? {}) as Record<string, unknown>;
  const out: ServerSettings = { ...base };
  if (typeof o.vmm === 'string' && (VMM_KINDS as readonly string[]).includes(o.vmm)) out.vmm = o.vmm;
  if (typeof o.ringModel === 'string' && (RING_MODELS as readonly string[]).includes(o.ringModel)) out.ringModel = o.ringModel as RingModel;
  if (o.trapAnnotations === 'inlayHints' || o.trapAnnotations === 'codeLens' || o.trapAnnotations === 'off') out.trapAnnotations = o.trapAnnotations;
  if (Array.isArray(o.includePaths)) out.includePaths = o.includePaths.filter((p): p is string => typeof p === 'string');
  return out;
}
