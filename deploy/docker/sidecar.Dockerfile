# syntax=docker/dockerfile:1.7
# topology-sidecar image: the gRPC sidecar next to each member app container.
#
#   docker build -f deploy/docker/sidecar.Dockerfile -t topology-sidecar:0.1.0 .
#
# Runtime: distroless Node.js 22, user nonroot (65532), no shell, no package manager; nothing is
# written to the root filesystem (the token arrives as a mounted Secret file).

# --- build: compile TypeScript with the dev dependencies --------------------------------------
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.json && rm -rf dist/bench

# --- deps: production dependencies only ---------------------------------------------------------
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs22-debian12:nonroot
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY proto ./proto
COPY --from=build /src/dist ./dist
USER 65532:65532
EXPOSE 7070 9464
# The distroless image's entrypoint is node; args (--peer-port, ...) come from the pod spec.
# Node flags: SIDECAR_NODE_FLAGS in src/sidecar/node-flags.ts (a unit test keeps them equal).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "/app/dist/src/sidecar/main.js"]
