/**
 * Which credentials a pod gets: the profiles it lists (checked against each profile's namespace and
 * service-account policy) plus ad-hoc credentials when the settings allow them.
 */
import type { CredentialSpec } from "../agent/config.js";
import { ANNOTATION, adHocAnnotation, type InjectionAnnotations } from "./annotations.js";
import { forbidden, invalid } from "./denial.js";
import { matchesAny, type Profile, type Settings } from "./settings.js";
import { didYouMean } from "./suggest.js";

export interface Workload {
  namespace: string;
  serviceAccount: string;
}

export interface ResolvedCredentials {
  credentials: CredentialSpec[];
  defaultCredential: string;
}

export function resolveCredentials(annotations: InjectionAnnotations, settings: Settings, who: Workload): ResolvedCredentials {
  if (annotations.profiles.length === 0 && annotations.adHoc.length === 0) {
    throw invalid(`${ANNOTATION.credentials} is required: name one or more credential profiles (${availableText(settings, who)})`);
  }
  const credentials = annotations.profiles.map((name) => profileCredential(name, settings, who));

  if (annotations.adHoc.length > 0 && !settings.injection.allowAdHocCredentials) {
    const first = annotations.adHoc[0]?.name ?? "";
    throw forbidden(
      `${adHocAnnotation(first, "path")}: ad-hoc credentials are disabled (settings injection.allowAdHocCredentials); ` +
        `list a profile in ${ANNOTATION.credentials} instead (${availableText(settings, who)})`,
    );
  }
  credentials.push(...annotations.adHoc);

  const names = credentials.map((c) => c.name);
  const defaultCredential = annotations.defaultCredential ?? names[0] ?? "";
  if (!names.includes(defaultCredential)) {
    throw invalid(`${ANNOTATION.defaultCredential}: "${defaultCredential}" is not one of this pod's credentials (${names.join(", ")})${didYouMean(defaultCredential, names)}`);
  }
  return { credentials, defaultCredential };
}

function profileCredential(name: string, settings: Settings, who: Workload): CredentialSpec {
  // Own properties only: `constructor` or `toString` must not find Object.prototype's members.
  const profile = Object.hasOwn(settings.profiles, name) ? settings.profiles[name] : undefined;
  if (profile === undefined) {
    throw invalid(`${ANNOTATION.credentials}: no credential profile "${name}"${didYouMean(name, Object.keys(settings.profiles))}; ${availableText(settings, who)}`);
  }
  const policy = policyViolation(profile, who);
  if (policy !== undefined) {
    throw forbidden(`${ANNOTATION.credentials}: profile "${name}" ${policy}; ask the platform team to allow it, or use another profile (${availableText(settings, who)})`);
  }
  const { allowedNamespaces: _ns, allowedServiceAccounts: _sa, ...spec } = profile;
  return { name, ...spec };
}

function policyViolation(profile: Profile, who: Workload): string | undefined {
  if (profile.allowedNamespaces !== undefined && !matchesAny(who.namespace, profile.allowedNamespaces)) {
    return `is not allowed in namespace "${who.namespace}" (allowedNamespaces: ${profile.allowedNamespaces.join(", ")})`;
  }
  if (profile.allowedServiceAccounts !== undefined && !matchesAny(who.serviceAccount, profile.allowedServiceAccounts)) {
    return `is not allowed for service account "${who.serviceAccount}" in namespace "${who.namespace}" (allowedServiceAccounts: ${profile.allowedServiceAccounts.join(", ")})`;
  }
  return undefined;
}

/** Profiles this pod may use, for error messages. */
export function availableProfiles(settings: Settings, who: Workload): string[] {
  return Object.entries(settings.profiles)
    .filter(([, profile]) => policyViolation(profile, who) === undefined)
    .map(([name]) => name);
}

function availableText(settings: Settings, who: Workload): string {
  const names = availableProfiles(settings, who);
  return names.length > 0
    ? `profiles available to service account "${who.serviceAccount}" in namespace "${who.namespace}": ${names.join(", ")}`
    : `no profile is available to service account "${who.serviceAccount}" in namespace "${who.namespace}"`;
}
