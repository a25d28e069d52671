/**
 * A running webhook for tests: temp dir with a CA-issued serving certificate (SAN
 * avi-webhook.avi-system.svc) and a settings file, the HTTPS server on 127.0.0.1:0, and the API-server
 * harness pointed at it. `close()` stops everything and removes the temp dir.
 */
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { stringify } from "yaml";
import type { SettingsInput } from "../../injector/settings.js";
import { AdmissionHarness, type HarnessOptions } from "../../sim/apiserver/admission/harness.js";
import { createTestCertificateAuthority, type TestCertificateAuthority } from "../../sim/tls/certificate-authority.js";
import { serviceDnsName } from "../../sim/apiserver/admission/webhook-client.js";
import { createWebhookServer, type WebhookServer } from "../../webhook/server.js";

export const SERVICE = { name: "avi-webhook", namespace: "avi-system", path: "/mutate", port: 443 };

export const TEST_SETTINGS: SettingsInput = {
  vault: { address: "https://vault.vault.svc:8200", role: "airflow" },
  agent: { image: "registry.example/avi:0.1.0", imagePullPolicy: "IfNotPresent" },
  profiles: {
    "minio-etl": {
      path: "aws/sts/minio-etl",
      format: "aws",
      endpoint: "http://minio.minio.svc:9000",
      region: "us-east-1",
      airflowConnId: "minio_default",
      ttl: "1h",
      allowedNamespaces: ["airflow", "test-*", "default"],
    },
    archive: { path: "secret/data/rgw/archive", format: "kv", endpoint: "http://rgw.ceph.svc:7480", refreshInterval: "5m" },
  },
};

export interface WebhookEnv {
  dir: string;
  server: WebhookServer;
  harness: AdmissionHarness;
  port: number;
  ca: TestCertificateAuthority;
  certFile: string;
  keyFile: string;
  settingsFile: string;
  /** Atomically replaces a file (temp + rename in the same directory), like a Secret update would. */
  replaceFile(path: string, content: string): Promise<void>;
  newHarness(options?: Partial<HarnessOptions>): AdmissionHarness;
  close(): Promise<void>;
}

export async function startWebhookEnv(options: { settings?: SettingsInput; harness?: Partial<HarnessOptions>; resyncMs?: number } = {}): Promise<WebhookEnv> {
  const dir = await mkdtemp(join(tmpdir(), "avi-webhook-"));
  const ca = await createTestCertificateAuthority();
  const serving = await ca.issueServing([serviceDnsName(SERVICE)]);
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  const settingsFile = join(dir, "settings.yaml");
  await writeFile(certFile, serving.certPem);
  await writeFile(keyFile, serving.keyPem);
  await writeFile(settingsFile, stringify(options.settings ?? TEST_SETTINGS));
  const logger = pino({ level: process.env["AVI_TEST_LOG"] ?? "silent" });
  let server: WebhookServer;
  try {
    server = await createWebhookServer({ tlsCertFile: certFile, tlsKeyFile: keyFile, settingsFile, logger, debounceMs: 10, resyncMs: options.resyncMs ?? 60_000 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await server.listen("127.0.0.1", 0);
  const harnesses: AdmissionHarness[] = [];
  const newHarness = (extra: Partial<HarnessOptions> = {}): AdmissionHarness => {
    const h = new AdmissionHarness({
      endpoint: { service: SERVICE, caBundle: ca.caPem, dial: { host: "127.0.0.1", port } },
      reinvocationPolicy: "IfNeeded",
      ...options.harness,
      ...extra,
    });
    harnesses.push(h);
    return h;
  };
  const harness = newHarness();
  let counter = 0;
  return {
    dir,
    server,
    harness,
    port,
    ca,
    certFile,
    keyFile,
    settingsFile,
    newHarness,
    async replaceFile(path, content) {
      const tmp = `${path}.tmp-${counter++}`;
      await writeFile(tmp, content);
      await rename(tmp, path);
    },
    async close() {
      for (const h of harnesses) h.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
