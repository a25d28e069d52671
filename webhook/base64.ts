/**
 * UTF-8 text → base64 through one kept buffer. Buffer.from(text) allocates a new ArrayBuffer for text
 * over 4 KiB (Node's pool only serves smaller ones): a malloc, external-memory accounting and a GC
 * finalizer for every patch the webhook sends. Writing into a kept buffer avoids all three; it grows to
 * the largest patch seen (a few KiB).
 */
let scratch = Buffer.allocUnsafe(16 * 1024);

export function utf8ToBase64(text: string): string {
  // At most 3 UTF-8 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
  if (scratch.length < text.length * 3) scratch = Buffer.allocUnsafe(text.length * 3);
  const length = scratch.write(text, 0, "utf8");
  return scratch.toString("base64", 0, length);
}
