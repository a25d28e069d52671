// Replaced at bundle time by scripts/build.mjs; the fallback covers running from source (tests, tsx).
declare const __AVI_VERSION__: string | undefined;

export const AVI_VERSION: string = typeof __AVI_VERSION__ === "string" ? __AVI_VERSION__ : "0.0.0-dev";
