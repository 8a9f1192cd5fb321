/**
 * The contracts between the extension client, the debug adapter (debug-adapter/) and the
 * language server (extension/server/), as types and names: the `vanderpool` debugger's custom
 * DAP events and request, the LSP notification for the VMM mode, and the settings section.
 * The client and the server (settings.ts) take these names and shapes from here; the DAP part
 * is defined in debug-adapter/protocol.ts (the adapter may not import extension/) and
 * re-exported. No `vscode` import, so the server, unit tests and the compare-report renderer
 * can use it too.
 */

/** The debugger type in package.json `contributes.debuggers`. */
export const DEBUG_TYPE = 'vanderpool';
/** The language id of guest assembly (H7's package.json `contributes.languages`). */
export const LANGUAGE_ID = 'vanderpool-asm';
/** Settings section. */
export const SETTINGS_SECTION = 'vanderpool';

/** The VMM techniques and ring models the pickers offer (emulator/vmm/guest-vm.ts VMM_KINDS, RING_MODELS). */
export { VMM_KINDS, RING_MODELS, type VmmKind, type RingModel } from '../emulator/vmm/guest-vm';

/** The debugger's custom DAP events and request (defined with the adapter: debug-adapter/protocol.ts). */
export {
  EXIT_COUNTS_EVENT,
  HOLE_EVENT,
  INSPECT_REQUEST,
  VM_INFO_EVENT,
  type ExitCountsBody,
  type ExitCountsLine,
  type HoleBody,
  type InspectArguments,
  type InspectNode,
  type InspectResponseBody,
  type InspectScope,
  type VmInfoBody,
} from '../debug-adapter/protocol';

/** LSP notification client → server: the mode the trap annotations describe. */
export const SET_VMM_MODE_NOTIFICATION = 'vanderpool/setVmmMode';
/** Parameters of `vanderpool/setVmmMode` (VMM_KINDS and RING_MODELS values). */
export interface VmmModeParams {
  vmm: string;
  ringModel: string;
}
