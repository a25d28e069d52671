/**
 * The webhook's TLS policy and connection limits. Anyone who reaches the Service can open
 * connections; the API server is the only legitimate client.
 * - Ciphers: TLS 1.3 suites plus the TLS 1.2 ECDHE AEAD suites (Mozilla's "intermediate" list without
 *   DHE). Node's default list also allows SHA-1/CBC suites under TLS 1.2. Go's crypto/tls (the API
 *   server's client) offers all of these by default.
 * - Timeouts: a connection that has not finished its TLS handshake after 10 s, or not sent a request's
 *   headers 10 s after it opened, is closed (Node's defaults hold them 120 s / 60 s). Idle keep-alive
 *   connections between requests keep the long KEEP_ALIVE_TIMEOUT_MS (the API server reuses them
 *   for ~90 s); Node counts the headers timeout only while a request is being received.
 * - At most MAX_CONNECTIONS connections; more are refused at accept.
 */
import type { Server } from "node:https";

export const TLS_CIPHERS = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

export const HANDSHAKE_TIMEOUT_MS = 10_000;
export const HEADERS_TIMEOUT_MS = 10_000;
export const MAX_CONNECTIONS = 1024;

/** Options for the https server fastify creates (the certificate comes from TlsMaterial). */
export const SERVER_TLS_OPTIONS = { handshakeTimeout: HANDSHAKE_TIMEOUT_MS } as const;

/** Limits set on the created server. */
export function limitConnections(server: Server): void {
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
}
