/**
 * The way the kubelet updates a mounted ConfigMap/Secret (AtomicWriter): files are symlinks into
 * `..data`, itself a symlink to a timestamped directory that is swapped with one rename. Watching the
 * file would miss it; the reloader watches the directory.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { FileReloader } from "../../webhook/file-reloader.js";

let dir: string;
let generation = 0;

async function publish(files: Record<string, string>): Promise<void> {
  const version = join(dir, `..2026_01_01_00_00_${String(generation++).padStart(2, "0")}`);
  await mkdir(version);
  for (const [name, content] of Object.entries(files)) await writeFile(join(version, name), content);
  await symlink(version, join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "avi-reloader-"));
  await publish({ "settings.yaml": "v1" });
  await symlink(join("..data", "settings.yaml"), join(dir, "settings.yaml"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("follows a ConfigMap-style ..data swap and keeps the last good value on a bad one", async () => {
  const applied: string[] = [];
  const errors: string[] = [];
  const reloader = new FileReloader<string>({
    name: "settings",
    files: [join(dir, "settings.yaml")],
    load: ([text = ""]) => {
      if (text.startsWith("bad")) throw new Error(`cannot parse ${text}`);
      return text;
    },
    onApply: (value) => applied.push(value),
    onError: (err) => errors.push(err.message),
    debounceMs: 5,
  });
  try {
    expect(await reloader.start()).toBe("v1");
    await publish({ "settings.yaml": "v2" });
    await vi.waitFor(() => expect(applied).toEqual(["v1", "v2"]), { timeout: 5000, interval: 10 });
    await publish({ "settings.yaml": "bad v3" });
    await vi.waitFor(() => expect(errors).toEqual(["cannot parse bad v3"]), { timeout: 5000, interval: 10 });
    // The same bad content is reported once, not on every resync.
    await reloader.reload();
    expect(errors).toHaveLength(1);
    expect(applied).toEqual(["v1", "v2"]);
    await publish({ "settings.yaml": "v4" });
    await vi.waitFor(() => expect(applied).toEqual(["v1", "v2", "v4"]), { timeout: 5000, interval: 10 });
  } finally {
    await reloader.close();
  }
});

it("a missing file at start is an error naming the file", async () => {
  const reloader = new FileReloader<string>({ name: "TLS", files: [join(dir, "tls.crt")], load: ([t = ""]) => t, onApply: () => undefined, onError: () => undefined });
  await expect(reloader.start()).rejects.toThrowError(/cannot read TLS file .*tls.crt: ENOENT/);
  await reloader.close();
});
