/**
 * Kubernetes `LabelSelector` (`matchLabels` + `matchExpressions`), as the Kubernetes auth method reads
 * `bound_service_account_namespace_selector` (JSON or YAML).
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const selectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.object({
          key: z.string().min(1),
          operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .strict();

export type LabelSelector = z.infer<typeof selectorSchema>;

export function parseLabelSelector(text: string): LabelSelector {
  const parsed: unknown = parseYaml(text);
  const result = selectorSchema.safeParse(parsed);
  if (!result.success) throw new Error(`invalid label selector: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  for (const expr of result.data.matchExpressions ?? []) {
    const needsValues = expr.operator === "In" || expr.operator === "NotIn";
    if (needsValues !== (expr.values !== undefined && expr.values.length > 0)) {
      throw new Error(`invalid label selector: values: ${needsValues ? "must be specified" : "must be empty"} when operator is ${expr.operator}`);
    }
  }
  return result.data;
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const value = labels[expr.key];
    switch (expr.operator) {
      case "In":
        if (!has || !expr.values!.includes(value!)) return false;
        break;
      case "NotIn":
        if (has && expr.values!.includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}
