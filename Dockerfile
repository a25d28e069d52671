# One image for both the webhook (`avi webhook`) and the agent (`avi agent`).
# Build stage: install from the lockfile and bundle with esbuild (dist/avi.js + lazily loaded chunks).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && printf '#!/nodejs/bin/node\nimport("/app/dist/avi.js");\n' > /avi-launcher

# Runtime: distroless Node 24 (no shell, no package manager), non-root uid/gid 65532.
# The bundle needs no node_modules at run time.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/dist/ /app/dist/
# `avi` on PATH: a two-line launcher run by the image's node (distroless has no /usr/bin/env).
COPY --from=build --chmod=0755 /avi-launcher /usr/local/bin/avi
USER 65532:65532
ENV NODE_ENV=production
ENTRYPOINT ["avi"]
CMD ["--help"]
