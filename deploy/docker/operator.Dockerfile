# syntax=docker/dockerfile:1.7
# topology-operator image: the reconciler (ENTRYPOINT) and the kubectl-topology plugin
# (/usr/local/bin/kubectl-topology, used by the chart's `helm test`).
#
#   docker build -f deploy/docker/operator.Dockerfile -t topology-operator:0.1.0 .
#
# Runtime: node:22-slim (not distroless) because the plugin is started by name through its
# `#!/usr/bin/env node` line, which needs /usr/bin/env. Runs as 65532 (the chart's runAsUser) and
# writes nothing to its root filesystem (readOnlyRootFilesystem in the chart).

# --- build: compile TypeScript with the dev dependencies --------------------------------------
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.json

# --- deps: production dependencies only ---------------------------------------------------------
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------------
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY proto ./proto
COPY --from=build /src/dist ./dist
RUN chmod 0755 dist/src/cli/main.js dist/src/operator/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/kubectl-topology \
 && ln -s /app/dist/src/operator/main.js /usr/local/bin/topology-operator
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "/app/dist/src/operator/main.js"]
