/**
 * `Status` failure bodies with the API server's exact reasons and message texts
 * (k8s.io/apimachinery/pkg/api/errors: NewNotFound, NewAlreadyExists, NewConflict, NewForbidden,
 * NewInvalid, NewResourceExpired, NewBadRequest, NewUnauthorized).
 */
import { qualifiedName, type ResourceDefinition } from "./resources.js";

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] };
  code: number;
}

/** An error a handler throws; the server writes `status` with `status.code`. */
export class StatusError extends Error {
  constructor(readonly status: StatusBody) {
    super(status.message);
  }
}

function body(code: number, reason: string, message: string, details?: StatusBody["details"]): StatusBody {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details !== undefined && { details }), code };
}

function detailsOf(def: ResourceDefinition, name: string): NonNullable<StatusBody["details"]> {
  return { name, ...(def.group !== "" && { group: def.group }), kind: def.plural };
}

export function notFound(def: ResourceDefinition, name: string): StatusError {
  return new StatusError(body(404, "NotFound", `${qualifiedName(def)} "${name}" not found`, detailsOf(def, name)));
}

export function alreadyExists(def: ResourceDefinition, name: string): StatusError {
  return new StatusError(body(409, "AlreadyExists", `${qualifiedName(def)} "${name}" already exists`, detailsOf(def, name)));
}

export function conflict(def: ResourceDefinition, name: string): StatusError {
  return new StatusError(
    body(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualifiedName(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      detailsOf(def, name),
    ),
  );
}

export function invalid(def: ResourceDefinition, name: string, field: string, detail: string): StatusError {
  return new StatusError(
    body(422, "Invalid", `${def.kind} "${name}" is invalid: ${field}: ${detail}`, {
      ...detailsOf(def, name),
      kind: def.kind,
      causes: [{ reason: "FieldValueInvalid", message: detail, field }],
    }),
  );
}

export function badRequest(message: string): StatusError {
  return new StatusError(body(400, "BadRequest", message));
}

export function unauthorized(): StatusError {
  return new StatusError(body(401, "Unauthorized", "Unauthorized"));
}

export function methodNotAllowed(): StatusError {
  return new StatusError(body(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(body(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got ${contentType})`));
}

export function pathNotFound(): StatusError {
  return new StatusError(body(404, "NotFound", "the server could not find the requested resource"));
}

/** RBAC's denial text (authorization/authorizer + endpoints/handlers/responsewriters/errors.go). */
export function forbidden(def: ResourceDefinition, verb: string, user: string, namespace: string | undefined, name: string | undefined): StatusError {
  const what = name !== undefined && name !== "" ? `${qualifiedName(def)} "${name}"` : qualifiedName(def);
  const scope = namespace !== undefined && namespace !== "" ? `in the namespace "${namespace}"` : "at the cluster scope";
  return new StatusError(
    body(403, "Forbidden", `${what} is forbidden: User "${user}" cannot ${verb} resource "${def.plural}" in API group "${def.group}" ${scope}`, {
      ...(name !== undefined && name !== "" && { name }),
      ...(def.group !== "" && { group: def.group }),
      kind: def.plural,
    }),
  );
}

/** A watch that starts before the oldest kept event (etcd compaction): sent as an ERROR watch event. */
export function expired(requested: number, oldest: number): StatusBody {
  return body(410, "Expired", `too old resource version: ${requested} (${oldest})`);
}
