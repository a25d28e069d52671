/**
 * `npm run image` (scripts/image.mjs → buildah, FROM scratch): two builds give one image ID, and the image
 * holds the product only — the entry, its chunks and the agent bundle, no source maps, no dev CLI, no
 * code from sim/ or test/ — and runs read-only as uid 65532 with no capabilities on Node 24.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error -- plain ESM build script without types
import { buildImage } from "../../scripts/image.mjs";
import { imageIds, podman, releaseImage, testTag } from "../support/oci.js";
import { describeWithTools } from "../support/tools.js";


const build = buildImage as (o: { tag: string }) => Promise<string>;

describeWithTools(["podman"], "npm run image", () => {
  const tags = [testTag("image"), testTag("image")];
  let before: Set<string>;
  const ids: string[] = [];
  beforeAll(async () => {
    before = imageIds();
    for (const tag of tags) ids.push(await build({ tag }));
  }, 600_000);
  afterAll(() => {
    for (const id of new Set(ids)) releaseImage(id, tags, before);
  });

  it("is reproducible: two builds from scratch, one image ID", () => {
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(ids[1]).toBe(ids[0]);
  });

  it("runs as 65532 with the avi entrypoint and a fixed creation time", () => {
    const config = JSON.parse(podman(["image", "inspect", ids[0]!]))[0] as { Created: string; Config: { User: string; Entrypoint: string[] } };
    expect(config.Config.User).toBe("65532:65532");
    expect(config.Config.Entrypoint).toEqual(["/nodejs/bin/node", "/app/dist/avi.js"]);
    expect(config.Created).toMatch(/^1970-01-01T00:00:00/);
  });

  it("holds the product only: no maps, no dev CLI, no code from sim/ or test/", () => {
    const list = `const fs=require("fs"),p=require("path");const out=[];const walk=(d)=>{for(const e of fs.readdirSync(d,{withFileTypes:true})){const f=p.join(d,e.name);if(e.isDirectory())walk(f);else out.push([f,/^\\/\\/ (sim|test)\\//m.test(fs.readFileSync(f,"utf8"))])}};walk("/app");console.log(JSON.stringify(out))`;
    const files = JSON.parse(podman(["run", "--rm", "--network", "none", "--entrypoint", "/nodejs/bin/node", ids[0]!, "-e", list])) as [string, boolean][];
    const names = files.map(([f]) => f);
    expect(names).toContain("/app/dist/avi.js");
    expect(names).toContain("/app/dist/commands/agent.js");
    expect(names.filter((f) => !/^\/app\/dist\/(avi\.js|commands\/agent\.js|chunks\/[\w-]+\.js)$/.test(f))).toEqual([]);
    expect(files.filter(([, fromSimOrTest]) => fromSimOrTest)).toEqual([]);
  });

  it("runs read-only, non-root, without capabilities, on Node 24; has no simulator command", () => {
    const locked = ["run", "--rm", "--network", "none", "--read-only", "--user", "65532:65532", "--cap-drop", "all", "--security-opt", "no-new-privileges", ids[0]!];
    expect(podman([...locked, "version"])).toMatch(/^avi \d+\.\d+\.\d+ \(node v24\.\d+\.\d+\)/);
    let failure: { status?: number; stderr?: string } = {};
    try {
      podman([...locked, "sim", "vault"]);
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(2);
    expect(failure.stderr).toMatch(/unknown command "sim"/);
  });

  it("loads the webhook on the image's Node 24 without a word on stderr (no DEP0040 from bundled tr46)", () => {
    const run = spawnSync("podman", ["run", "--rm", "--network", "none", "--read-only", "--user", "65532:65532", "--cap-drop", "all", ids[0]!, "webhook", "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/webhook/);
    expect(run.stderr).toBe("");
  });
});
