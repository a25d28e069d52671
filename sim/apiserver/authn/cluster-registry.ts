/**
 * The few API objects authentication depends on — service accounts, pods, secret-based token Secrets,
 * namespaces — so tests can delete or recreate them and watch tokens stop working ("SA deleted",
 * "pod gone"), as kube-apiserver's service-account token validators see them.
 */
import { randomUUID } from "node:crypto";

export interface ServiceAccountObject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface PodObject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceAccount: string;
}

export interface TokenSecretObject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceAccount: string;
  /** The legacy token stored in the Secret (`data.token`); validation compares against it. */
  token: string;
}

export interface NamespaceObject {
  readonly name: string;
  readonly uid: string;
  labels: Record<string, string>;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export class ClusterRegistry {
  private readonly serviceAccounts = new Map<string, ServiceAccountObject>();
  private readonly pods = new Map<string, PodObject>();
  private readonly secrets = new Map<string, TokenSecretObject>();
  private readonly namespaces = new Map<string, NamespaceObject>();

  /** The service account, created (with `uid` or a fresh one) if absent. A conflicting `uid` is an error. */
  ensureServiceAccount(namespace: string, name: string, uid?: string): ServiceAccountObject {
    this.ensureNamespace(namespace);
    const existing = this.serviceAccounts.get(key(namespace, name));
    if (existing !== undefined) {
      if (uid !== undefined && uid !== existing.uid) {
        throw new Error(`serviceaccount ${namespace}/${name} exists with uid ${existing.uid}, not ${uid}; delete or recreate it first`);
      }
      return existing;
    }
    const sa = { namespace, name, uid: uid ?? randomUUID() };
    this.serviceAccounts.set(key(namespace, name), sa);
    return sa;
  }

  serviceAccount(namespace: string, name: string): ServiceAccountObject | undefined {
    return this.serviceAccounts.get(key(namespace, name));
  }

  deleteServiceAccount(namespace: string, name: string): boolean {
    return this.serviceAccounts.delete(key(namespace, name));
  }

  /** Delete and create again under the same name: a new UID, so old tokens no longer match. */
  recreateServiceAccount(namespace: string, name: string): ServiceAccountObject {
    this.serviceAccounts.delete(key(namespace, name));
    return this.ensureServiceAccount(namespace, name);
  }

  ensurePod(namespace: string, name: string, serviceAccount: string, uid?: string): PodObject {
    const existing = this.pods.get(key(namespace, name));
    if (existing !== undefined) {
      if ((uid !== undefined && uid !== existing.uid) || existing.serviceAccount !== serviceAccount) {
        throw new Error(
          `pod ${namespace}/${name} exists (uid ${existing.uid}, serviceAccount ${existing.serviceAccount}); the UID in the bound object reference does not match the record`,
        );
      }
      return existing;
    }
    const pod = { namespace, name, uid: uid ?? randomUUID(), serviceAccount };
    this.pods.set(key(namespace, name), pod);
    return pod;
  }

  pod(namespace: string, name: string): PodObject | undefined {
    return this.pods.get(key(namespace, name));
  }

  deletePod(namespace: string, name: string): boolean {
    return this.pods.delete(key(namespace, name));
  }

  putTokenSecret(secret: TokenSecretObject): void {
    this.secrets.set(key(secret.namespace, secret.name), secret);
  }

  tokenSecret(namespace: string, name: string): TokenSecretObject | undefined {
    return this.secrets.get(key(namespace, name));
  }

  deleteTokenSecret(namespace: string, name: string): boolean {
    return this.secrets.delete(key(namespace, name));
  }

  /** The namespace (with the automatic `kubernetes.io/metadata.name` label), created if absent. */
  ensureNamespace(name: string, labels: Record<string, string> = {}): NamespaceObject {
    let ns = this.namespaces.get(name);
    if (ns === undefined) {
      ns = { name, uid: randomUUID(), labels: { "kubernetes.io/metadata.name": name } };
      this.namespaces.set(name, ns);
    }
    Object.assign(ns.labels, labels);
    return ns;
  }

  namespace(name: string): NamespaceObject | undefined {
    return this.namespaces.get(name);
  }
}
