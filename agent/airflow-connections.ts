/**
 * `airflow/connections.json`: Airflow's LocalFilesystemBackend format (`airflow/secrets/local_filesystem.py`,
 * Airflow 3.x; read by the amazon provider's `AwsConnectionWrapper`), one
 * `conn_type: aws` connection per credential that has an `airflowConnId`. The backend re-reads the
 * file on every lookup, so a rotation reaches the next `get_connection()`; a hook that already built
 * its boto3 session keeps the keys it read (prefer the endpoint for long tasks).
 */
import type { PublishedCredential } from "./published-credential.js";

export interface AirflowConnection {
  readonly conn_type: "aws";
  readonly login: string;
  readonly password: string;
  readonly extra: Readonly<Record<string, string>>;
}

export function renderAirflowConnections(published: readonly PublishedCredential[]): string {
  const connections: Record<string, AirflowConnection> = {};
  for (const { spec, credential } of published) {
    if (spec.airflowConnId === undefined) continue;
    const extra: Record<string, string> = {};
    if (spec.endpoint !== undefined) extra["endpoint_url"] = spec.endpoint;
    if (spec.region !== undefined) extra["region_name"] = spec.region;
    if (credential.sessionToken !== "") extra["aws_session_token"] = credential.sessionToken;
    connections[spec.airflowConnId] = { conn_type: "aws", login: credential.accessKeyId, password: credential.secretAccessKey, extra };
  }
  return `${JSON.stringify(connections, null, 2)}\n`;
}
