import { describe, expect, it } from "vitest";
import { fromEnv, parseConfigFile, parseListen, resolveWebhookOptions } from "../../webhook/options.js";

describe("avi webhook options", () => {
  it("flags override env, env overrides the config file; defaults fill the rest", () => {
    const file = parseConfigFile("listen: 127.0.0.1:9443\ntlsCert: /f/tls.crt\ntlsKey: /f/tls.key\nsettings: /f/settings.yaml\nlogLevel: warn\n", "config.yaml");
    const env = fromEnv({ AVI_WEBHOOK_TLS_CERT: "/e/tls.crt", AVI_LOG_LEVEL: "debug", AVI_WEBHOOK_LISTEN: "" });
    const options = resolveWebhookOptions({ tlsCert: "/flag/tls.crt" }, env, file);
    expect(options).toEqual({
      host: "127.0.0.1",
      port: 9443,
      tlsCert: "/flag/tls.crt",
      tlsKey: "/f/tls.key",
      settings: "/f/settings.yaml",
      logLevel: "debug",
      drainDelay: 5,
      driftReport: false,
      namespaceLabels: false,
    });
    expect(resolveWebhookOptions({ tlsCert: "c", tlsKey: "k", settings: "s", drainDelay: "1500ms" }, {}, {})).toMatchObject({ host: "0.0.0.0", port: 8443, drainDelay: 1.5 });
  });

  it("self-issued TLS: needs the webhook configuration, Service and namespace; excludes certificate files", () => {
    const env = fromEnv({ AVI_WEBHOOK_TLS_SECRET: "avi-tls", AVI_WEBHOOK_DRIFT_REPORT: "true", AVI_WEBHOOK_TLS_VALIDITY: "720h" });
    const options = resolveWebhookOptions({ settings: "s", webhookConfiguration: "avi", service: "avi-webhook" }, env, {}, "avi-system");
    expect(options).toMatchObject({
      selfIssued: { secret: "avi-tls", webhookConfiguration: "avi", service: "avi-webhook", namespace: "avi-system", validity: 720 * 3600 },
      driftReport: true,
      namespaceLabels: false,
    });
    expect(options.tlsCert).toBeUndefined();
    expect(() => resolveWebhookOptions({ tlsSecret: "t", settings: "s" }, {}, {})).toThrowError(
      "missing --webhook-configuration or AVI_WEBHOOK_CONFIGURATION, --service or AVI_WEBHOOK_SERVICE, --namespace or AVI_WEBHOOK_NAMESPACE (needed by --tls-secret)",
    );
    expect(() => resolveWebhookOptions({ tlsSecret: "t", tlsCert: "c", settings: "s" }, {}, {})).toThrowError("exclude each other");
    expect(() => fromEnv({ AVI_WEBHOOK_DRIFT_REPORT: "yes" })).toThrowError("AVI_WEBHOOK_DRIFT_REPORT");
  });

  it("says what is missing and how to set it", () => {
    expect(() => resolveWebhookOptions({}, {}, {})).toThrowError("missing --tls-cert or AVI_WEBHOOK_TLS_CERT, --tls-key or AVI_WEBHOOK_TLS_KEY, --settings or AVI_WEBHOOK_SETTINGS");
    expect(() => parseConfigFile("listen: :1\ntlsCrt: x\n", "c.yaml")).toThrowError(/c.yaml: \(top level\): unknown key tlsCrt/);
    expect(() => fromEnv({ AVI_LOG_LEVEL: "loud" })).toThrowError();
  });

  it.each([
    [":8443", { host: "0.0.0.0", port: 8443 }],
    ["127.0.0.1:0", { host: "127.0.0.1", port: 0 }],
    ["[::]:443", { host: "::", port: 443 }],
  ])("listen %s", (listen, expected) => {
    expect(parseListen(listen)).toEqual(expected);
  });

  it.each(["8443", "host:", "host:99999"])("rejects listen %s", (listen) => {
    expect(() => parseListen(listen)).toThrowError(/must be host:port/);
  });
});
