/** Protobuf wire types. */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/**
A reader of the protobuf wire format over a slice of a buffer: just what the OTLP decoders need, so
the harness needs no protobuf library. Throws an Error on truncated input.
*/
export class ProtoReader {
  private readonly buf: Uint8Array;
  pos: number;
  private readonly end: number;

  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint as a number; exact up to 2^53, which covers tags, lengths, enums and the counts we read. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** One raw byte of a varint (for re-reading a negative int64 exactly). */
  private varintByte(): number {
    if (this.pos >= this.end) throw new Error('truncated varint');
    return this.buf[this.pos++];
  }

  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new Error('truncated message');
  }

  bytes(): Uint8Array {
    const n = this.varint();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }

  /** A length-delimited sub-message, as a reader over it. */
  sub(): ProtoReader {
    const n = this.varint();
    this.need(n);
    const r = new ProtoReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** An int64 varint as a number (exact up to 2^53): negative values are ten bytes of two's complement. */
  int64(): number {
    const start = this.pos;
    const n = this.varint();
    if (n < 2 ** 63) return n;
    // Re-read exactly as a BigInt to get the sign right.
    this.pos = start;
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = BigInt(this.varintByte());
      result |= (b & 0x7fn) << shift;
      if ((b & 0x80n) === 0n) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, result));
  }

  fixed32(): number {
    this.need(4);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 4).readUInt32LE(0);
    this.pos += 4;
    return v;
  }

  fixed64(): bigint {
    this.need(8);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readBigUInt64LE(0);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case I64:
        this.need(8);
        this.pos += 8;
        return;
      case LEN: {
        const n = this.varint();
        this.need(n);
        this.pos += n;
        return;
      }
      case I32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
}
