import type { FileHandle } from 'node:fs/promises';

/**
 * Protocol-buffer wire format over a file, read at positions: fields are visited in order and a
 * length-delimited field is either skipped by offset or read into memory. So a 2 GB model whose
 * weights sit in initializers costs only the bytes of the fields we ask for.
 */
export class WireFormatError extends Error {}

export interface Field {
  number: number;
  wireType: number;
  /** For varints: the value. For length-delimited: the payload's start offset and length. */
  value: bigint;
  start: number;
  length: number;
}

const CHUNK = 64 * 1024;

export class WireReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
  ) {}

  /** Bytes at [pos, pos+n) through a small window buffer. */
  private async byteAt(pos: number): Promise<number> {
    if (pos >= this.size) throw new WireFormatError('unexpected end of file');
    if (pos < this.bufStart || pos >= this.bufStart + this.buf.length) {
      const length = Math.min(CHUNK, this.size - pos);
      const { buffer } = await this.file.read({ buffer: Buffer.alloc(length), position: pos, length });
      this.buf = buffer;
      this.bufStart = pos;
    }
    return this.buf[pos - this.bufStart] as number;
  }

  async varint(pos: number): Promise<{ value: bigint; next: number }> {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      const b = await this.byteAt(pos + i);
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
    }
    throw new WireFormatError('varint too long');
  }

  /** Visits the fields of the message occupying [start, end). */
  async *fields(start: number, end: number): AsyncGenerator<Field> {
    let pos = start;
    while (pos < end) {
      const tag = await this.varint(pos);
      const number = Number(tag.value >> 3n);
      const wireType = Number(tag.value & 7n);
      if (number === 0) throw new WireFormatError('field number 0');
      pos = tag.next;
      switch (wireType) {
        case 0: {
          const v = await this.varint(pos);
          yield { number, wireType, value: v.value, start: pos, length: v.next - pos };
          pos = v.next;
          break;
        }
        case 1:
          yield { number, wireType, value: 0n, start: pos, length: 8 };
          pos += 8;
          break;
        case 2: {
          const len = await this.varint(pos);
          const length = Number(len.value);
          if (len.next + length > end) throw new WireFormatError('field runs past its message');
          yield { number, wireType, value: 0n, start: len.next, length };
          pos = len.next + length;
          break;
        }
        case 5:
          yield { number, wireType, value: 0n, start: pos, length: 4 };
          pos += 4;
          break;
        default:
          throw new WireFormatError(`unsupported wire type ${wireType}`);
      }
      if (pos > end) throw new WireFormatError('field runs past its message');
    }
  }

  async bytes(field: Field, max: number): Promise<Buffer> {
    if (field.length > max)
      throw new WireFormatError(`field ${field.number} is ${field.length} bytes, more than ${max}`);
    const { buffer } = await this.file.read({
      buffer: Buffer.alloc(field.length),
      position: field.start,
      length: field.length,
    });
    return buffer;
  }
}
