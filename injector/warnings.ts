/**
 * Admission warnings: the API server drops texts with control characters and the API asks for at most
 * 120 characters (kubernetes/api `admission/v1/types.go` AdmissionResponse.Warnings), so every warning goes through here.
 */
export const MAX_WARNING_LENGTH = 120;

export function warning(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return clean.length <= MAX_WARNING_LENGTH ? clean : `${clean.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
