/**
 * `HOME` as the container runtime sets it. runc (under containerd and Docker) adds HOME when the
 * process env has none or an empty one: the home directory of the uid's entry in the container's
 * /etc/passwd, else `/` — opencontainers/runc libcontainer/env.go `prepareEnv` + `getUserHome`
 * (commit 76d9cf5d; older releases did the same in libcontainer/init_linux.go `setupUser`). An env the
 * image or pod sets wins. The host's /etc/passwd stands in for the image's.
 */
import { readFileSync } from "node:fs";

const DEFAULT_HOME = "/";

/** The home directory of the first passwd(5) entry for `uid`, else `/`. */
export function homeOf(uid: number, passwd: string): string {
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 7 && fields[2] === String(uid)) return fields[5]!;
  }
  return DEFAULT_HOME;
}

/** `env` with HOME added when it is missing or empty (runc treats both as unset). */
export function withRuntimeHome(env: Readonly<Record<string, string>>, uid: number, passwd: string): Record<string, string> {
  return env["HOME"] !== undefined && env["HOME"] !== "" ? { ...env } : { ...env, HOME: homeOf(uid, passwd) };
}

export function hostPasswd(): string {
  try {
    return readFileSync("/etc/passwd", "utf8");
  } catch {
    return "";
  }
}
