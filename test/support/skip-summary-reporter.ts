/**
 * A vitest reporter that ends the run with what was skipped and why (the default reporter shows a count
 * only): every test skipped with a note (`ctx.skip(note)`, as test/support/tools.ts does for a missing
 * tool) grouped by note, then suites skipped by a reason in their title. It also prints one line when a
 * test file starts and ends that takes long (`PROGRESS_AFTER_MS`), so long e2e files are not silent
 * (and every `PROGRESS_AFTER_MS` while one runs).
 */
import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";

const PROGRESS_AFTER_MS = 20_000;

type Child = TestCase | TestSuite;

function* cases(children: Iterable<Child>): Generator<TestCase> {
  for (const c of children) {
    if (c.type === "test") yield c;
    else yield* cases(c.children);
  }
}

/** A skipped test's own note, or the note of a skipped sibling test in an enclosing suite (describeWithTools). */
function noteOf(test: TestCase): string | undefined {
  const result = test.result();
  if (result.state === "skipped" && result.note !== undefined) return result.note;
  for (let p = test.parent; p.type === "suite"; p = p.parent) {
    for (const c of p.children) {
      if (c.type !== "test") continue;
      const r = c.result();
      if (r.state === "skipped" && r.note !== undefined) return r.note;
    }
  }
  return /\[[^\]]*skipped[^\]]*\]/i.exec(test.fullName)?.[0];
}

const relative = (file: string): string => file.replace(`${process.cwd()}/`, "");

export default class SkipSummaryReporter implements Reporter {
  private readonly started = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  onTestModuleStart(module: TestModule): void {
    const at = Date.now();
    const timer = setInterval(() => {
      process.stderr.write(`… still running ${relative(module.moduleId)} (${module.project.name}), ${Math.round((Date.now() - at) / 1000)} s so far\n`);
    }, PROGRESS_AFTER_MS);
    timer.unref();
    this.started.set(module.moduleId, { at, timer });
  }

  onTestModuleEnd(module: TestModule): void {
    const entry = this.started.get(module.moduleId);
    if (entry === undefined) return;
    clearInterval(entry.timer);
    this.started.delete(module.moduleId);
    const took = Date.now() - entry.at;
    if (took >= PROGRESS_AFTER_MS) process.stderr.write(`… finished ${relative(module.moduleId)} in ${Math.round(took / 1000)} s\n`);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, { files: Set<string>; count: number }>();
    let skipped = 0;
    for (const module of modules) {
      for (const test of cases(module.children)) {
        const result = test.result();
        if (result.state !== "skipped") continue;
        skipped++;
        const note = noteOf(test);
        if (note === undefined) continue;
        const entry = byReason.get(note) ?? { files: new Set<string>(), count: 0 };
        entry.files.add(relative(module.moduleId));
        entry.count++;
        byReason.set(note, entry);
      }
    }
    if (skipped === 0) return;
    const lines = [`\nSkipped: ${skipped} test(s)${byReason.size > 0 ? ", because:" : ""}`];
    for (const [reason, { files, count }] of byReason) lines.push(`  - ${count} × ${reason}\n      in ${[...files].join(", ")}`);
    if ([...byReason.keys()].some((r) => r.startsWith("needs "))) lines.push("  (under CI=true a missing tool fails instead: .ci/run installs them all)");
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
