/** Times the way Go's `time.Time` marshals to JSON in UTC: RFC 3339 with trailing fractional zeros trimmed. */
export function goTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === "" ? "Z" : `.${digits}Z`));
}
