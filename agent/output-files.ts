/**
 * Everything the agent writes under `outputDir` (docs/agent.md, "What a task sees"), rendered from the published state and
 * written atomically, each file only when its content changed.
 *
 * File-mode rule (docs/agent.md): every file gets `fileMode` from the config (default 0440: the
 * agent's user and the pod's fsGroup may read, nobody else). The injector derives it from the pod's
 * security context; the agent applies it with fchmod, so the container's umask does not matter.
 * Sub-directories the agent creates (`aws/`, `airflow/`) get the same read bits plus the matching
 * execute bits, and owner write (the agent must create temp files in them): 0440 → 0750.
 */
import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { renderAirflowConnections } from "./airflow-connections.js";
import { renderAwsConfig } from "./aws-config-file.js";
import { renderAwsSharedCredentials } from "./aws-shared-credentials.js";
import { writeFileAtomic } from "./atomic-file.js";
import { OUTPUT_FILES, type CredentialSpec } from "./config.js";
import { renderCredentialProcess } from "./credential-process.js";
import { renderEnvFile } from "./env-file.js";
import type { PublishedCredential } from "./published-credential.js";

/** Directory mode for a file mode: read bits gain execute bits; the owner can always write. */
export function directoryMode(fileMode: number): number {
  let mode = 0o700;
  if (fileMode & 0o040) mode |= 0o050;
  if (fileMode & 0o004) mode |= 0o005;
  return mode;
}

/** Relative path → content for every file that describes credentials and status. */
export function renderOutputFiles(
  specs: readonly CredentialSpec[],
  published: readonly PublishedCredential[],
  outputDir: string,
  status: string,
): Map<string, string> {
  const files = new Map<string, string>();
  for (const p of published) {
    files.set(`${p.spec.name}.json`, renderCredentialProcess(p));
    files.set(`${p.spec.name}.env`, renderEnvFile(p));
  }
  files.set(OUTPUT_FILES.awsConfig, renderAwsConfig(specs, outputDir));
  if (published.length > 0) files.set(OUTPUT_FILES.awsCredentials, renderAwsSharedCredentials(published));
  files.set(OUTPUT_FILES.airflowConnections, renderAirflowConnections(published));
  files.set(OUTPUT_FILES.status, status);
  return files;
}

export class OutputWriteError extends Error {
  override readonly name = "OutputWriteError";
}

/** Writes rendered files under one directory, skipping those whose content did not change. */
export class OutputDirectory {
  private readonly written = new Map<string, string>();
  private readonly dirs = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly fileMode: number,
  ) {}

  /** Writes the changed files; returns how many were written. A failure names the file and errno. */
  async write(files: ReadonlyMap<string, string>): Promise<number> {
    let count = 0;
    for (const [relative, content] of files) {
      if (this.written.get(relative) === content) continue;
      const path = join(this.dir, relative);
      try {
        await this.ensureDir(dirname(path));
        await writeFileAtomic(path, content, this.fileMode);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new OutputWriteError(
          `cannot write ${path}: ${e.code ?? e.message} — is the credentials volume mounted read-write for the agent (uid ${process.getuid?.() ?? "?"})?`,
        );
      }
      this.written.set(relative, content);
      count++;
    }
    return count;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return;
    if (dir === this.dir) {
      // Normally the pod's emptyDir mount (not ours to chmod); created when run outside Kubernetes.
      await mkdir(dir, { recursive: true, mode: directoryMode(this.fileMode) });
      this.dirs.add(dir);
      return;
    }
    await mkdir(dir, { recursive: true, mode: directoryMode(this.fileMode) });
    // Keep the setgid bit a subdirectory inherits from an fsGroup volume: without it the files in
    // aws/ and airflow/ get the agent's own group and the app (fsGroup member) cannot read them.
    await chmod(dir, directoryMode(this.fileMode) | ((await stat(dir)).mode & 0o2000));
    this.dirs.add(dir);
  }
}
