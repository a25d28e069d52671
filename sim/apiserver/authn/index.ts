/**
 * The authentication side of the kube-apiserver simulator: a service-account token issuer and a
 * TokenReview server (see docs/vault-simulator.md, "Kubernetes side").
 */
export { ClusterRegistry } from "./cluster-registry.js";
export type { NamespaceObject, PodObject, ServiceAccountObject, TokenSecretObject } from "./cluster-registry.js";
export { createServiceAccountIssuer, LEGACY_ISSUER } from "./service-account-issuer.js";
export type { LegacyTokenRequest, NowSource, ProjectedTokenRequest, ServiceAccountIssuer, ServiceAccountIssuerOptions } from "./service-account-issuer.js";
export { reviewToken } from "./token-review.js";
export type { ReviewStatus, ReviewUser } from "./token-review.js";
export { startTokenReviewServer } from "./token-review-server.js";
export type { OutageMode, TokenReviewControls, TokenReviewRecord, TokenReviewServer, TokenReviewServerOptions } from "./token-review-server.js";
