import { describe, expect, it } from "vitest";
import { agentReady, DemoPrinter, failureCount, keepInfo, revocation, rotation, s3Summary, storageSkipped, verdict, type Outcome } from "../../../cli/demo/demo-output.js";
import type { S3Report } from "../../../cli/demo/task-log.js";

const KEY_1 = "ASIAQNZGKFRQ7EXAMPLE";
const KEY_2 = "ASIAZZZZKFRQ8EXAMPLE";
const served = { accessKeyId: KEY_2, expiration: "2026-12-03T23:15:00Z" };

const report = (over: Partial<S3Report> = {}): S3Report => ({
  ok: true,
  requests: { total: 120 },
  failedRequests: 0,
  failures: [],
  objects: 40,
  verified: 40,
  mismatches: [],
  credentialMethod: "container-role",
  accessKeyIds: [
    { accessKeyId: KEY_1, requests: 70 },
    { accessKeyId: KEY_2, requests: 50 },
  ],
  ...over,
});

describe("what the demo prints", () => {
  it("a rotation line names both keys by an 8-character prefix only, with the S3 progress when the task writes", () => {
    const line = rotation(2, served, KEY_1, { requests: 57, failed: 0, objects: 19, accessKeyIdPrefix: "ASIAQNZG" });
    expect(line).toBe("rotation 2: the agent fetched a new credential before the old one expired: ASIAZZZZ… (was ASIAQNZG…; expires 2026-12-03T23:15:00Z); S3 so far: 57 requests, 0 failed");
    expect(line).not.toContain(KEY_1);
    expect(line).not.toContain(KEY_2);
    expect(rotation(1, served, KEY_1)).not.toContain("S3 so far");
  });

  it("the ready line and the S3 summary show key prefixes only", () => {
    expect(agentReady("minio-etl", "http://127.0.0.1:9/v1/credentials/minio-etl", served)).toBe(
      "agent ready: minio-etl issued by Vault and served on http://127.0.0.1:9/v1/credentials/minio-etl: ASIAZZZZ… (expires 2026-12-03T23:15:00Z)",
    );
    const failures = Array.from({ length: 7 }, (_, i) => ({ op: `put ${i}`, error: "AccessDenied" }));
    const s = s3Summary(report({ failures }), "avi-demo");
    expect(s.line).toBe("task (boto3 container-role credentials, one long-lived session): 120 S3 requests, 0 failed; 40 objects written to s3://avi-demo, 40 read back intact");
    expect(s.details).toContain("keys that signed them: ASIAQNZG… ×70, ASIAZZZZ… ×50\n");
    expect(s.details.match(/failed: /g)).toHaveLength(5);
    expect(s.details).not.toContain(KEY_1);
  });

  it("the final line counts S3 failures, mismatches, unverified objects, agent failures and a failed pod", () => {
    const base: Outcome = { rotations: 2, phase: "Succeeded", seconds: "31.4", vault: "simulator", storage: "none" };
    expect(verdict(base)).toEqual({ code: 0, text: "\ndemo ok: 2 rotations, 0 S3 requests, 0 failures in 31.4 s (Vault: simulator; object storage: none, S3 writes skipped)\n" });
    expect(verdict({ ...base, report: report(), storage: "Ceph RGW" }).text).toBe("\ndemo ok: 2 rotations, 120 S3 requests, 0 failures in 31.4 s (Vault: simulator; object storage: Ceph RGW)\n");
    expect(failureCount({ phase: "Succeeded", report: report({ failedRequests: 2, mismatches: [{}], verified: 39 }), counters: { fetches: 3, rotations: 2, failures: 1 } })).toBe(5);
    expect(failureCount({ phase: "Failed" })).toBe(1);
    const failed = verdict({ ...base, phase: "Failed" });
    expect(failed.code).toBe(1);
    expect(failed.text).toMatch(/^\ndemo FAILED: 2 rotations, 0 S3 requests, 1 failures in/);
    // a report that says it failed fails the demo even with no counted failure
    expect(verdict({ ...base, report: report({ ok: false }) }).code).toBe(1);
  });

  it("--keep names the simulator's address and token only for the in-process simulator", () => {
    const common = { files: "/tmp/pod/avi-credentials", url: "http://127.0.0.1:9/v1/credentials/minio-etl", bucket: "avi-demo" };
    const sim = keepInfo({ ...common, simulator: { address: "http://127.0.0.1:8200", rootToken: "hvs.dev-root" } });
    expect(sim).toContain("export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=hvs.dev-root");
    expect(sim).toContain('curl -s -H "Authorization: $(cat /tmp/pod/avi-credentials/endpoint-token)" http://127.0.0.1:9/v1/credentials/minio-etl');
    expect(sim).not.toContain("Ceph RGW");
    const external = keepInfo({ ...common, rgwEndpoint: "http://127.0.0.1:7480" });
    expect(external).toContain("Vault: your VAULT_ADDR");
    expect(external).not.toContain("VAULT_TOKEN=");
    expect(external).toContain("Ceph RGW (S3, path-style):    http://127.0.0.1:7480  bucket avi-demo");
  });

  it("why Ceph RGW is skipped, with the install line when packages are missing", () => {
    expect(storageSkipped({ kind: "disabled" })).toMatch(/^Ceph RGW: skipped \(--no-ceph/);
    expect(storageSkipped({ kind: "no-packages", packages: ["ceph-mon", "radosgw"] })).toContain("sudo apt-get install --no-install-recommends ceph-mon radosgw python3-boto3");
    expect(storageSkipped({ kind: "no-boto3", python: "/usr/bin/python3" })).toContain('/usr/bin/python3 -c "import boto3" failed');
  });

  it("revocation: from the agent's log, with the simulator's lease counts when known", () => {
    const log = '{"level":30,"msg":"revoked Vault token"}';
    expect(revocation(log, [{ state: "revoked" }, { state: "revoked" }, { state: "expired" }])).toBe(
      "the agent revoked its leases and its Vault token at exit (Vault: 2 of 3 leases revoked; older ones were revoked or expire on schedule)",
    );
    expect(revocation(log)).toBe("the agent revoked its leases and its Vault token at exit");
    expect(revocation('{"msg":"stopping"}', [])).toBe("the agent did not report revoking its Vault token");
  });

  it("lines are stamped with the seconds since the start; steps are numbered out of five", () => {
    let now = 1_000;
    const written: string[] = [];
    const out = new DemoPrinter((t) => written.push(t), () => now);
    now += 12_345;
    out.line("hello");
    out.step(3, "Admission");
    expect(written).toEqual(["[ 12.3s] hello\n", "\n== 3/5 Admission\n"]);
    expect(out.elapsed()).toBe("12.3");
  });
});
