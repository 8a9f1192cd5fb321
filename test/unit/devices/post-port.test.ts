import { describe, expect, it } from 'vitest';
import { PostPort } from '../../../emulator/devices/post-port';
import { IoBus } from '../../../emulator/memory/io-bus';

describe('POST port (80h)', () => {
  it('records each code, tells the listener, and reads back the last code (00h before any write)', () => {
    const seen: number[] = [];
    const post = new PostPort((c) => seen.push(c));
    const bus = new IoBus();
    post.attach(bus);
    expect(bus.in(0x80, 1)).toBe(0);
    for (const c of [0x01, 0x12, 0xaa]) bus.out(0x80, 1, c);
    expect(seen).toEqual([0x01, 0x12, 0xaa]);
    expect(post.history()).toEqual([0x01, 0x12, 0xaa]);
    expect(post.count).toBe(3);
    expect(bus.in(0x80, 1)).toBe(0xaa);
  });

  it('keeps only the latest codes in its history (an OS may use the port as an I/O delay)', () => {
    const post = new PostPort(null, 4);
    for (let c = 1; c <= 10; c++) post.out(0x80, 1, c);
    expect(post.history()).toEqual([7, 8, 9, 10]);
    expect(post.count).toBe(10);
  });

  it('takes the low byte of a wider write as the code', () => {
    const post = new PostPort();
    post.out(0x80, 2, 0x1234);
    expect(post.last).toBe(0x34);
    expect(post.in(0x80, 2)).toBe(0xff34);
  });

  it('rejects an empty history', () => {
    expect(() => new PostPort(null, 0)).toThrow(RangeError);
  });
});
