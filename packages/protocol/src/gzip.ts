/** JSON and protobuf replies longer than this many bytes are sent gzip-compressed (where the dialect allows). */
export const GZIP_THRESHOLD_BYTES = 768;

/** True when the bytes start with the gzip magic number 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
