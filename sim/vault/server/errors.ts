/**
 * How Vault errors reach the wire (`sdk/logical/response_util.go` RespondErrorCommon,
 * AdjustErrorStatusCode). Two kinds matter:
 * - a backend *error response* (`logical.ErrorResponse`): the message is sent as-is, status 400 unless
 *   coded otherwise;
 * - a Go *error* (`logical.ErrPermissionDenied`, `CodedError`, any internal error): on authenticated,
 *   non-login requests core wraps it with go-multierror ("1 error occurred:\n\t* permission denied\n\n");
 *   on login/unauthenticated paths it is sent plain.
 * `empty` is the `{"errors":[]}` body (missing item, empty list, bad health parameter, 405).
 */
export type VaultErrorKind = "response" | "error" | "empty";

export class VaultError extends Error {
  override readonly name = "VaultError";
  constructor(
    readonly status: number,
    readonly messages: readonly string[],
    readonly kind: VaultErrorKind,
    /** Extra response headers (e.g. `Retry-After` on 429). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(messages.join("; ") || `HTTP ${status}`);
  }
}

/** `logical.ErrorResponse(msg)`: plain message, 400 by default. */
export const errorResponse = (message: string, status = 400): VaultError => new VaultError(status, [message], "response");

/** A Go error (or `logical.CodedError`): multierror-wrapped on authenticated non-login requests. */
export const codedError = (status: number, ...messages: string[]): VaultError => new VaultError(status, messages, "error");

/** `{"errors":[]}` with the given status. */
export const emptyError = (status: number): VaultError => new VaultError(status, [], "empty");

export const permissionDenied = (): VaultError => codedError(403, "permission denied");

export const unsupportedOperation = (): VaultError => codedError(405, "unsupported operation");

export const unsupportedPath = (): VaultError => codedError(404, "unsupported path");

/** go-multierror's `ListFormatFunc` text. */
export function multierrorText(messages: readonly string[]): string {
  if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`;
  return `${messages.length} errors occurred:\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`;
}

/**
 * The `errors` array for a failure. `wrap` is true on authenticated, non-login requests, where Vault
 * core funnels Go errors through go-multierror.
 */
export function errorStrings(err: VaultError, wrap: boolean): string[] {
  if (err.kind === "empty" || err.messages.length === 0) return [];
  if (err.kind === "response") return [err.messages.join("; ")];
  return wrap ? [multierrorText(err.messages)] : [err.messages.join("; ")];
}
