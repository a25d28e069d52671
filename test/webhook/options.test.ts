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
    });
    expect(resolveWebhookOptions({ tlsCert: "c", tlsKey: "k", settings: "s", drainDelay: "1500ms" }, {}, {})).toMatchObject({ host: "0.0.0.0", port: 8443, drainDelay: 1.5 });
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
