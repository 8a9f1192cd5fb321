/**
 * An IrqLine for device tests that remembers each line's level and counts rising edges
 * (what an edge-triggered 8259A latches).
 */
import type { IrqLine } from '../../../emulator/machine/clock';

export class RecordingIrq implements IrqLine {
  readonly level = new Array<boolean>(16).fill(false);
  readonly rising = new Array<number>(16).fill(0);

  setIrq(irq: number, level: boolean): void {
    if (level && !this.level[irq]) this.rising[irq]++;
    this.level[irq] = level;
  }
}
