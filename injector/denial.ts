/**
 * A reason to refuse the pod. 400: the pod's annotations are wrong (the author can fix them);
 * 403: policy forbids what the pod asks for (a profile not allowed here, ad-hoc credentials off).
 * The message always names the annotation or profile and says what to do.
 */
export class Denial extends Error {
  override readonly name = "Denial";
  constructor(
    readonly code: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string): Denial => new Denial(400, message);
export const forbidden = (message: string): Denial => new Denial(403, message);
