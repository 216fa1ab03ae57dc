# syntax=docker/dockerfile:1.7
# topology-demo image: the demo app (src/demo/main.ts) that talks to its sidecar's Overlay API.
#
#   docker build -f deploy/docker/demo.Dockerfile -t topology-demo:0.1.0 .
#
# Runtime: distroless Node.js 22, user nonroot (65532), read-only root filesystem friendly.

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
EXPOSE 8090
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/demo/main.js"]
