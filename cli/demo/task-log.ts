/**
 * What the demo's task (test/e2e/tasks/s3_loop.py under boto3) tells it: JSON progress lines on its log
 * while it runs, and one report file at the end. The shapes are that script's output; nothing here is a
 * secret (access key ids only, and those are printed as prefixes).
 */
export interface S3Report {
  readonly ok: boolean;
  readonly requests: { readonly total: number };
  readonly failedRequests: number;
  readonly failures: readonly { readonly op: string; readonly error: string }[];
  readonly objects: number;
  readonly verified: number;
  readonly mismatches: readonly unknown[];
  readonly credentialMethod: string | null;
  readonly accessKeyIds: readonly { readonly accessKeyId: string; readonly requests: number }[];
}

export interface Progress {
  readonly requests: number;
  readonly failed: number;
  readonly objects: number;
  readonly accessKeyIdPrefix: string | null;
}

/** The task container's log, fed in chunks: whole lines kept for failure messages, the latest progress parsed. */
export class TaskLog {
  private partial = "";
  private readonly lines: string[] = [];
  private latest?: Progress;

  write(chunk: string): void {
    this.partial += chunk;
    const lines = this.partial.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.onLine(line);
  }

  get progress(): Progress | undefined {
    return this.latest;
  }

  text(): string {
    return this.lines.join("\n");
  }

  private onLine(line: string): void {
    this.lines.push(line);
    try {
      const doc = JSON.parse(line) as { progress?: Progress };
      if (doc.progress !== undefined) this.latest = doc.progress;
    } catch {
      // s3_loop's summary line (stderr) or other output: kept for failure messages
    }
  }
}
