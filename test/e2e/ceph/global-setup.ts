/**
 * A vitest `globalSetup` for suites that share one Ceph RGW across test files (not wired in by default:
 * scenarios start one per file). Add `globalSetup: ["test/e2e/ceph/global-setup.ts"]` to the e2e project,
 * then in a test file: `const info = inject("ceph"); if (info) rgw = attachCephRgw(info, { own: false });` — `null` when
 * the Ceph packages are missing (skip with CEPH_MISSING_REASON). A non-owning handle's `stop()` does nothing.
 */
import type { TestProject } from "vitest/node";
import { cephPackagesPresent, startCephRgw, type CephRgwInfo } from "./ceph-rgw.js";

declare module "vitest" {
  export interface ProvidedContext {
    ceph: CephRgwInfo | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!cephPackagesPresent()) {
    project.provide("ceph", null);
    return () => Promise.resolve();
  }
  const rgw = await startCephRgw();
  project.provide("ceph", rgw.info);
  return () => rgw.stop();
}
