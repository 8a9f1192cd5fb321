/**
 * Line-buffered consoles for several VMs sharing one output: each VM's COM1 bytes are
 * collected until a line feed and written as one line prefixed with the VM's name
 * (`[vm0 hello] Hello from a Multiboot kernel!`), so the lines of VMs running in turn never
 * interleave inside a line. Used by `vanderpool run` with several VMs (multi-vm-run.ts) and
 * the demo.
 */

/** One VM's console: COM1 bytes in, whole lines prefixed with the VM's name out (file header). */
export class PrefixedConsole {
  private line = '';

  /**
   * @param prefix written before each line, e.g. `[vm0 hello] `
   * @param write receives whole lines, each ending in a line feed
   */
  constructor(
    readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}

  /** One byte the guest transmitted (latin1: bytes 0-255 map to one character each). */
  writeByte(byte: number): void {
    if (byte === 0x0a) {
      this.write(`${this.prefix}${this.line}\n`);
      this.line = '';
    } else {
      this.line += String.fromCharCode(byte);
    }
  }

  /** Write an unfinished last line, with the line feed the guest did not send. */
  flush(): void {
    if (this.line === '') return;
    this.write(`${this.prefix}${this.line}\n`);
    this.line = '';
  }
}
