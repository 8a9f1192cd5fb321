/**
 * Every example guest assembles with our assembler to exactly the bytes NASM produces
 * (NASM is the reference: when it is missing the comparison skips locally and fails under
 * CI=true). The floppy example assembles to a whole 1.44 MB image with a boot signature.
 */
import { describe, expect, it } from 'vitest';
import { assembleExample, assembleWithNasm, EXAMPLES, FLOPPY_BYTES, nasmAvailable } from './examples';

const requireNasm = nasmAvailable || process.env.CI === 'true';

describe('example guests assemble', () => {
  for (const example of EXAMPLES) {
    it(`${example.name}: our assembler accepts ${example.source}`, () => {
      expect(assembleExample(example).length).toBeGreaterThan(0);
    });
  }

  it('bootsector: the image is a 1.44 MB floppy whose first sector ends in 55h AAh', () => {
    const image = assembleExample(EXAMPLES.find((e) => e.boot === 'floppy')!);
    expect(image.length).toBe(FLOPPY_BYTES);
    expect([image[510], image[511]]).toEqual([0x55, 0xaa]);
  });
});

describe.runIf(requireNasm)('example guests: our bytes equal NASM\'s', () => {
  for (const example of EXAMPLES) {
    it(`${example.name}: identical to nasm -f bin`, () => {
      const ours = assembleExample(example);
      const nasm = assembleWithNasm(example);
      expect(ours.length).toBe(nasm.length);
      const first = ours.findIndex((b, i) => b !== nasm[i]);
      expect(first, `first differing byte at offset ${first}`).toBe(-1);
    });
  }
});
