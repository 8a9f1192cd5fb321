/**
 * The "VMCS" and "VM exits" scopes, present only when a VMM runs the guest (`vm.monitor`).
 *
 * VMCS: every field of the monitor's record (the guest-state area as of the last exit and
 * the VM-exit information of that exit), grouped by area in SDM Vol. 3C chapter 25 order
 * (chapter 24 in older editions): guest-state area (§25.4), host-state area (§25.5),
 * VM-execution control fields (§25.6), VM-exit control fields (§25.7), VM-entry control
 * fields (§25.8), VM-exit information fields (§25.9); each field by its SDM name, with its
 * encoding (Appendix B) and width in the type.
 *
 * VM exits: the total, counts per reason (SDM basic exit reasons by number, the VMM's own
 * reasons marked VMM; exit-cause.ts), and the last exits with the guest's CS:EIP, its linear
 * address and, when the caller can tell, the source line.
 */
import { VmcsWidth } from '../arch/vmcs';
import { exitReasonName } from '../arch/vmx-exit-reasons';
import { exitCauseLabel } from '../vmm/exit-cause';
import type { VmmMonitor } from '../vmm/guest-vm';
import { formatVmcsValue, type VmcsFieldValue } from '../vmm/vmcs-record';
import { hex, hex16 } from './format';
import { memoryReference } from './guest-memory';
import type { InspectNode } from './tree';

/** The SDM's title of each VMCS area, with its section (Vol. 3C, current numbering). */
export const VMCS_AREA_TITLES: Readonly<Record<string, string>> = {
  'guest-state': 'Guest-state area (§25.4)',
  'host-state': 'Host-state area (§25.5)',
  'vm-execution-controls': 'VM-execution control fields (§25.6)',
  'vm-exit-controls': 'VM-exit control fields (§25.7)',
  'vm-entry-controls': 'VM-entry control fields (§25.8)',
  'vm-exit-information': 'VM-exit information fields (§25.9)',
};

const WIDTH_NAMES: Record<VmcsWidth, string> = {
  [VmcsWidth.W16]: '16-bit',
  [VmcsWidth.W32]: '32-bit',
  [VmcsWidth.W64]: '64-bit',
  [VmcsWidth.NATURAL]: 'natural-width',
};

/** A field's value for display, with the exit reason's name for VM_EXIT_REASON. */
export function vmcsFieldText(f: VmcsFieldValue): string {
  const v = formatVmcsValue(f);
  if (f.field.name === 'VM_EXIT_REASON') {
    const basic = f.value & 0xffff;
    return `${v} (${exitReasonName(basic).replace(/^EXIT_REASON_/, '')}${f.value >>> 31 ? ', VM-entry failure' : ''})`;
  }
  return v;
}

/** 'natural-width, encoding 0x6802' */
export function vmcsFieldType(f: VmcsFieldValue): string {
  return `${WIDTH_NAMES[f.width]}, encoding ${hex(f.field.encoding, 4)}`;
}

/** The "VMCS" nodes: one per area, each expanding into its fields. */
export function vmcsNodes(monitor: VmmMonitor): InspectNode[] {
  return monitor.vmcs.areas().map((a) => ({
    name: VMCS_AREA_TITLES[a.area] ?? a.area,
    value: `${a.fields.length} fields`,
    type: 'VMCS area',
    children: () => a.fields.map((f) => ({ name: f.field.name, value: vmcsFieldText(f), type: vmcsFieldType(f) })),
  }));
}

/** Where a guest-linear address is in the program's source ('hello.asm:12'), when the caller knows. */
export type SourceLocator = (linear: number) => string | undefined;

/** How many of the most recent exits the "VM exits" scope lists. */
export const RECENT_EXITS_SHOWN = 64;

/** The "VM exits" nodes: total, per reason, last exits (newest first). */
export function exitNodes(monitor: VmmMonitor, where?: SourceLocator): InspectNode[] {
  const stats = monitor.stats;
  const share = (n: number): string => (stats.total ? `${((100 * n) / stats.total).toFixed(1)}%` : '0%');
  const recent = stats.recent().slice(-RECENT_EXITS_SHOWN).reverse();
  return [
    { name: 'total', value: `${stats.total} exits, ${stats.totalCost} work units`, type: 'count' },
    {
      name: 'by reason',
      value: `${stats.causes().length} reasons`,
      type: 'group',
      children: () =>
        stats.causes().map((c) => ({
          name: exitCauseLabel(c.cause),
          value: `${c.count} (${share(c.count)}), ${c.cost} wu`,
          type: c.cause.kind === 'sdm' ? 'SDM exit reason' : 'VMM exit reason',
        })),
    },
    {
      name: 'last exits',
      value: `${recent.length} of ${stats.total}, newest first`,
      type: 'group',
      children: () =>
        recent.map((e) => {
          const src = where?.(e.linear);
          return {
            name: `#${e.seq}`,
            value: `${exitCauseLabel(e.cause)} at ${hex16(e.cs)}:${hex(e.eip)} (linear ${hex(e.linear)})${src ? ` ${src}` : ''}, ${e.cost} wu`,
            type: 'VM exit',
            memoryReference: memoryReference('lin', e.linear),
          };
        }),
    },
  ];
}
