/**
 * The `/sim/` HTTP surface over {@link VaultSimControls}, for tests that drive a simulator in another
 * process (`avi sim vault`). Requests need the root token (`X-Vault-Token` or `Authorization: Bearer`).
 * Bodies are validated; a bad one gets a 400 naming the field.
 */
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { SimClock } from "../time/clock.js";
import type { VaultSimControls } from "./controls.js";
import { jsonResult, type HttpResult } from "../core/core.js";
import type { SimEventType } from "./events.js";
import { goTime } from "../time/go-time.js";
import { clientToken, type RawRequest } from "./request.js";
import type { RequestLog } from "./request-log.js";

const duration = z.union([z.string().min(1), z.number().nonnegative()]);

const faultSchema = z
  .object({
    method: z.string().optional(),
    path: z.string().min(1),
    action: z.discriminatedUnion("type", [
      z.object({ type: z.literal("error"), status: z.number().int().min(100).max(599), body: z.unknown().optional(), headers: z.record(z.string(), z.string()).optional() }).strict(),
      z.object({ type: z.literal("latency"), ms: z.number().nonnegative() }).strict(),
      z.object({ type: z.literal("drop") }).strict(),
      z.object({ type: z.literal("hang") }).strict(),
      z.object({ type: z.literal("rate-limit"), retryAfterSeconds: z.number().int().nonnegative(), limit: z.number().int().positive().optional() }).strict(),
    ]),
    count: z.number().int().positive().optional(),
    forSeconds: z.number().positive().optional(),
    skip: z.number().int().nonnegative().optional(),
    when: z.enum(["before", "after"]).optional(),
  })
  .strict();

const clockSchema = z.object({ advance: duration.optional(), scale: z.number().nonnegative().optional(), set: z.union([z.string(), z.number()]).optional() }).strict();
const nodeSchema = z
  .object({
    initialized: z.boolean(),
    sealed: z.boolean(),
    standby: z.boolean(),
    performanceStandby: z.boolean(),
    drSecondary: z.boolean(),
    haUnhealthy: z.boolean(),
    removed: z.boolean(),
  })
  .partial()
  .strict();
const revokeSchema = z.union([
  z.object({ token: z.string().min(1) }).strict(),
  z.object({ accessor: z.string().min(1) }).strict(),
  z.object({ lease_id: z.string().min(1) }).strict(),
]);
const agentModeSchema = z.object({ require_request_header: z.boolean() }).strict();
const awsFailSchema = z.object({ code: z.string().min(1), message: z.string(), status: z.number().int(), times: z.number().int().positive().optional() }).strict();

class BadRequest extends Error {}

function parseBody<T>(schema: z.ZodType<T>, raw: RawRequest): T {
  let value: unknown = {};
  const text = raw.body.toString("utf8").trim();
  if (text !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new BadRequest("request body is not valid JSON");
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new BadRequest(result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  return result.data;
}

function tokenMatches(given: string | undefined, root: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(root);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createSimHttpControls(controls: VaultSimControls, clock: SimClock, log: RequestLog, rootToken: string) {
  const clockState = () => ({ now: goTime(clock.now()), epoch_ms: Math.floor(clock.now()), scale: clock.scale });

  return function handle(raw: RawRequest): Promise<HttpResult> {
    return Promise.resolve(answer(raw));
  };

  function answer(raw: RawRequest): HttpResult {
    if (!tokenMatches(clientToken(raw.headers), rootToken)) {
      return jsonResult(403, { errors: ["/sim/ controls need the simulator's root token (X-Vault-Token or Authorization: Bearer)"] });
    }
    const url = new URL(raw.url, "http://sim.invalid");
    const path = url.pathname.replace(/\/+$/, "");
    const m = raw.method;
    try {
      if (path === "/sim/state" && m === "GET") return jsonResult(200, { node: controls.nodeState(), clock: clockState(), faults: controls.faults().length });
      if (path === "/sim/seal" && (m === "PUT" || m === "POST")) {
        controls.seal();
        return jsonResult(200, { node: controls.nodeState() });
      }
      if (path === "/sim/unseal" && (m === "PUT" || m === "POST")) {
        controls.unseal();
        return jsonResult(200, { node: controls.nodeState() });
      }
      if (path === "/sim/node" && (m === "PUT" || m === "POST")) return jsonResult(200, { node: controls.setNodeState(parseBody(nodeSchema, raw)) });
      if (path === "/sim/clock") {
        if (m === "GET") return jsonResult(200, clockState());
        if (m === "PUT" || m === "POST") {
          const body = parseBody(clockSchema, raw);
          if (body.scale !== undefined) clock.setScale(body.scale);
          if (body.set !== undefined) {
            const target = typeof body.set === "number" ? body.set : Date.parse(body.set);
            if (!Number.isFinite(target)) throw new BadRequest(`set: ${JSON.stringify(body.set)} is not an ISO time or epoch ms`);
            clock.set(target);
          }
          if (body.advance !== undefined) controls.advance(body.advance);
          return jsonResult(200, clockState());
        }
      }
      if (path === "/sim/faults") {
        if (m === "GET") return jsonResult(200, { faults: controls.faults() });
        if (m === "POST" || m === "PUT") return jsonResult(200, { fault: controls.addFault(parseBody(faultSchema, raw)) });
        if (m === "DELETE") {
          controls.clearFaults();
          return jsonResult(200, { faults: [] });
        }
      }
      const faultId = /^\/sim\/faults\/([^/]+)$/.exec(path);
      if (faultId !== null && m === "DELETE") return jsonResult(controls.removeFault(faultId[1]!) ? 200 : 404, { removed: faultId[1] });
      if (path === "/sim/revoke" && (m === "POST" || m === "PUT")) {
        const body = parseBody(revokeSchema, raw);
        const revoked = "lease_id" in body ? controls.revokeLease(body.lease_id) : controls.revokeToken(body);
        return jsonResult(revoked ? 200 : 404, { revoked });
      }
      if (path === "/sim/agent-mode" && (m === "PUT" || m === "POST")) {
        const body = parseBody(agentModeSchema, raw);
        controls.setRequireRequestHeader(body.require_request_header);
        return jsonResult(200, body);
      }
      if (path === "/sim/tokens" && m === "GET") return jsonResult(200, { tokens: controls.tokens({ includeRevoked: url.searchParams.get("include_revoked") === "true" }) });
      if (path === "/sim/leases" && m === "GET") return jsonResult(200, { leases: controls.leases({ includeEnded: url.searchParams.get("include_ended") === "true" }) });
      if (path === "/sim/events" && m === "GET") {
        const type = url.searchParams.get("type") ?? undefined;
        return jsonResult(200, { events: controls.events({ type: type as SimEventType | undefined }) });
      }
      if (path === "/sim/requests") {
        if (m === "GET") {
          const after = url.searchParams.get("after_seq");
          const entries = log.entries({
            method: url.searchParams.get("method") ?? undefined,
            path: url.searchParams.get("path") ?? undefined,
            afterSeq: after === null ? undefined : Number(after),
          });
          return jsonResult(200, { requests: entries });
        }
        if (m === "DELETE") {
          log.clear();
          return jsonResult(200, { requests: [] });
        }
      }
      if (path === "/sim/aws/iam-users" && m === "GET") return jsonResult(200, { users: controls.iamUsers() });
      if (path === "/sim/aws/fail" && (m === "POST" || m === "PUT")) {
        const body = parseBody(awsFailSchema, raw);
        controls.failAws(body.code, body.message, body.status, body.times);
        return jsonResult(200, body);
      }
      if (path === "/sim/minio/users" && m === "GET") return jsonResult(200, { users: controls.minioUsers() });
      return jsonResult(404, { errors: [`no /sim/ control ${m} ${path}; see docs/vault-simulator.md`] });
    } catch (err) {
      // Bad bodies, bad durations and clock misuse are the caller's to fix.
      if (err instanceof Error) return jsonResult(400, { errors: [err.message] });
      throw err;
    }
  }
}
