/** Path patterns for fault rules and log filters: `*` matches any run of characters (including `/`), `?` one. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Normalise to an API path without `/v1/` and without a leading slash. */
export function apiPath(path: string): string {
  return path.replace(/^\/?v1\//, "").replace(/^\//, "");
}
