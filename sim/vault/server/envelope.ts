/**
 * Vault's success envelope (`sdk/logical/translate_response.go` LogicalResponseToHTTPResponse, `http/logical.go` respondLogical): every key present, absent objects as `null`, integer
 * `lease_duration`, optional `mount_type`. A nil response is a 204 with no body.
 */

export interface AuthBlock {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies?: string[];
  identity_policies?: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: "service" | "batch";
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

export interface Envelope {
  request_id: string;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  data: Record<string, unknown> | null;
  wrap_info: WrapInfo | null;
  warnings: string[] | null;
  auth: AuthBlock | null;
  mount_type?: string;
}

export interface EnvelopeParts {
  requestId: string;
  leaseId?: string;
  renewable?: boolean;
  leaseDuration?: number;
  data?: Record<string, unknown> | null;
  wrapInfo?: WrapInfo | null;
  warnings?: readonly string[];
  auth?: AuthBlock | null;
  mountType?: string;
}

/** Build the envelope; key order follows `logical.HTTPResponse`. */
export function envelope(parts: EnvelopeParts): Envelope {
  const out: Envelope = {
    request_id: parts.requestId,
    lease_id: parts.leaseId ?? "",
    renewable: parts.renewable ?? false,
    lease_duration: Math.trunc(parts.leaseDuration ?? 0),
    data: parts.data ?? null,
    wrap_info: parts.wrapInfo ?? null,
    warnings: parts.warnings !== undefined && parts.warnings.length > 0 ? [...parts.warnings] : null,
    auth: parts.auth ?? null,
  };
  if (parts.mountType !== undefined) out.mount_type = parts.mountType;
  return out;
}

/** A response-wrapped reply: everything null/empty except `wrap_info`. */
export function wrappedEnvelope(requestId: string, wrapInfo: WrapInfo, mountType?: string): Envelope {
  return envelope({ requestId, wrapInfo, mountType });
}
