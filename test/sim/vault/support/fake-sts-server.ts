/**
 * A loopback STS endpoint for tests of the AWS engine's `sts_endpoint`: it checks that calls arrive as
 * AWS SigV4-signed Query API requests made with the engine's root keys, records them, and answers with
 * STS's XML (AssumeRole, GetFederationToken, GetSessionToken) or an STS error.
 */
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface StsCall {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  /** Parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
  readonly auth: { readonly accessKeyId: string; readonly date: string; readonly region: string; readonly service: string; readonly signedHeaders: readonly string[]; readonly signature: string } | undefined;
  readonly amzDate: string | undefined;
}

export interface FakeSts {
  readonly url: string;
  readonly calls: StsCall[];
  /** Answer the next call with an STS error. */
  failNext(status: number, code: string, message: string): void;
  stop(): Promise<void>;
}

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

function credentialsXml(seconds: number): string {
  const expiration = new Date(Math.floor(Date.now() / 1000) * 1000 + seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  return `<Credentials><AccessKeyId>ASIA${randomBytes(8).toString("hex").toUpperCase()}</AccessKeyId><SecretAccessKey>${randomBytes(30).toString("base64")}</SecretAccessKey><SessionToken>${randomBytes(120).toString("base64")}</SessionToken><Expiration>${expiration}</Expiration></Credentials>`;
}

export async function startFakeSts(): Promise<FakeSts> {
  const calls: StsCall[] = [];
  const failures: { status: number; code: string; message: string }[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const m = SIGV4.exec(req.headers.authorization ?? "");
      const auth = m === null ? undefined : { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(";"), signature: m[6]! };
      const action = params.Action ?? "";
      calls.push({ action, params, auth, amzDate: req.headers["x-amz-date"] as string | undefined });
      const requestId = randomUUID();
      const fail = (status: number, code: string, message: string): void => {
        res.writeHead(status, { "content-type": "text/xml" }).end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
      };
      if (auth === undefined || auth.service !== "sts") return fail(403, "IncompleteSignature", "Request must be signed with AWS Signature Version 4");
      const injected = failures.shift();
      if (injected !== undefined) return fail(injected.status, injected.code, injected.message);
      const seconds = Number(params.DurationSeconds ?? "3600");
      const ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"';
      const meta = `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`;
      const ok = (xml: string): void => void res.writeHead(200, { "content-type": "text/xml" }).end(xml);
      if (action === "AssumeRole") {
        const roleName = (params.RoleArn ?? "").split("/").pop() ?? "";
        const arn = `arn:aws:sts::123456789012:assumed-role/${roleName}/${params.RoleSessionName ?? ""}`;
        return ok(`<AssumeRoleResponse ${ns}><AssumeRoleResult>${credentialsXml(seconds)}<AssumedRoleUser><AssumedRoleId>AROA0000000000000000:${params.RoleSessionName}</AssumedRoleId><Arn>${arn}</Arn></AssumedRoleUser></AssumeRoleResult>${meta}</AssumeRoleResponse>`);
      }
      if (action === "GetFederationToken") {
        return ok(`<GetFederationTokenResponse ${ns}><GetFederationTokenResult>${credentialsXml(seconds)}<FederatedUser><Arn>arn:aws:sts::123456789012:federated-user/${params.Name}</Arn><FederatedUserId>123456789012:${params.Name}</FederatedUserId></FederatedUser></GetFederationTokenResult>${meta}</GetFederationTokenResponse>`);
      }
      if (action === "GetSessionToken") {
        return ok(`<GetSessionTokenResponse ${ns}><GetSessionTokenResult>${credentialsXml(seconds)}</GetSessionTokenResult>${meta}</GetSessionTokenResponse>`);
      }
      return fail(400, "InvalidAction", `Could not find operation ${action} for version 2011-06-15`);
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext: (status, code, message) => void failures.push({ status, code, message }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
