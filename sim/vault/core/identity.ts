/**
 * Identity entities: each (auth mount, alias name) pair maps to one stable entity ID, created at the
 * first login — so `entity_id` is set on Kubernetes logins and stays the same across re-logins.
 */
import { uuid } from "./identifiers.js";

export interface EntityAlias {
  readonly entityId: string;
  readonly mountAccessor: string;
  readonly name: string;
  metadata: Readonly<Record<string, string>>;
}

export class IdentityStore {
  private readonly aliases = new Map<string, EntityAlias>();

  /** The entity for an alias, creating entity and alias on first sight. */
  entityFor(mountAccessor: string, name: string, metadata: Readonly<Record<string, string>>): string {
    const key = `${mountAccessor}\0${name}`;
    let alias = this.aliases.get(key);
    if (alias === undefined) {
      alias = { entityId: uuid(), mountAccessor, name, metadata };
      this.aliases.set(key, alias);
    } else alias.metadata = metadata;
    return alias.entityId;
  }

  list(): EntityAlias[] {
    return [...this.aliases.values()];
  }
}
