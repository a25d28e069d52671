// `npm run image`: builds the avi image with buildah, FROM scratch, from the context staged by
// scripts/image-context.mjs. `--timestamp` fixes the created time and every file's mtime, so the same
// inputs give the same image ID (test/image/image-build.test.ts builds twice).
// Usage: node scripts/image.mjs [--tag repo:tag] [--iidfile file] [--keep-context dir]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stageContext } from "./image-context.mjs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
/** The image's created time and file mtimes: a fixed epoch, so builds are reproducible. */
export const IMAGE_TIMESTAMP = 0;
export const DEFAULT_TAG = `localhost/airflow-vault-injector:${pkg.version}`;

/** Builds the image and returns its ID (sha256 hex). */
export async function buildImage({ tag = DEFAULT_TAG, context } = {}) {
  const ctx = context ?? mkdtempSync(join(tmpdir(), "avi-image-"));
  try {
    await stageContext(ctx);
    const iidfile = join(ctx, ".iid");
    execFileSync(
      "buildah",
      ["build", "--quiet", "--timestamp", String(IMAGE_TIMESTAMP), "--layers=false", "--pull=never", "--iidfile", iidfile, "--tag", tag, "--file", join(ctx, "Containerfile"), ctx],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    return readFileSync(iidfile, "utf8").trim().replace(/^sha256:/, "");
  } finally {
    if (context === undefined) rmSync(ctx, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({ options: { tag: { type: "string" }, iidfile: { type: "string" }, "keep-context": { type: "string" } } });
  const started = Date.now();
  const id = await buildImage({ tag: values.tag, context: values["keep-context"] });
  if (values.iidfile) (await import("node:fs")).writeFileSync(values.iidfile, `${id}\n`);
  process.stdout.write(`built ${values.tag ?? DEFAULT_TAG} ${id} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
