import { describe, expect, it } from "vitest";
import { utf8ToBase64 } from "../../webhook/base64.js";

describe("utf8ToBase64 (through a kept buffer)", () => {
  it("is Buffer.from(text).toString('base64') for any text, also after the buffer grew and for shorter text after longer", () => {
    const texts = [
      "",
      "a",
      '[{"op":"add","path":"/spec/volumes/-","value":{"name":"avi-credentials"}}]',
      "ünïcödé ✓ 🚀 \u0000\u2028",
      "lone surrogates \ud800 x \udfff",
      "€".repeat(20_000), // 60 KB of UTF-8: more than the initial buffer
      "🚀".repeat(10_000),
      "short again",
    ];
    for (const text of texts) expect(utf8ToBase64(text)).toBe(Buffer.from(text).toString("base64"));
  });
});
