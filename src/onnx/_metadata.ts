/**
 * Reads `metadata_props` (ModelProto field 14) straight from the protobuf wire format,
 * skipping every other field, so the session can offer model metadata without decoding
 * the whole graph (onnxruntime-web does not expose metadata_props).
 */
const decoder = new TextDecoder();

class Cursor {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly end = b.length) {}

  varint(): number {
    let result = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new SyntaxError("truncated varint");
      const byte = this.b[this.pos++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 128;
    }
    throw new SyntaxError("varint longer than 10 bytes");
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2: {
        const len = this.varint(); // read first: `pos += varint()` would use the old pos
        this.pos += len;
        break;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        throw new SyntaxError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new SyntaxError("field runs past the end of the message");
  }
}

/** key -> value of a serialised ModelProto's metadata_props; throws SyntaxError on bad bytes. */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const c = new Cursor(bytes);
  while (c.pos < c.end) {
    const tag = c.varint();
    const field = Math.floor(tag / 8), wire = tag & 7;
    if (field !== 14 || wire !== 2) {
      c.skip(wire);
      continue;
    }
    const len = c.varint();
    const end = c.pos + len;
    if (end > c.end) throw new SyntaxError("metadata entry runs past the end of the model");
    const e = new Cursor(bytes, end);
    e.pos = c.pos;
    let key = "", value = "";
    while (e.pos < end) {
      const t = e.varint();
      const f = Math.floor(t / 8), w = t & 7;
      if ((f === 1 || f === 2) && w === 2) {
        const n = e.varint();
        if (e.pos + n > end) throw new SyntaxError("metadata string runs past its entry");
        const s = decoder.decode(bytes.subarray(e.pos, e.pos + n));
        e.pos += n;
        if (f === 1) key = s;
        else value = s;
      } else e.skip(w);
    }
    out[key] = value;
    c.pos = end;
  }
  return out;
}
