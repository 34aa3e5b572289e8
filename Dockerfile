# EdgeFleet control plane: one image for every server-side role. The command picks the role:
#
#   npm run start:web                      dashboard and API on $PORT (3000)
#   npm run start:gateway                  device HTTPS on 8443 (+ the rollout engine leader election)
#   npm run db:migrate                     apply prisma/migrations to DATABASE_URL, then exit
#   npm run broker-config -- --out DIR …   write a Mosquitto 2 config dir from the fleet PKI, then exit
#
# Without a command it prints this usage. Deployment guide: docs/deploy.md (compose: infra/compose.yaml,
# Kubernetes: infra/k8s/).
#
#   docker build -t edgefleet .

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    NEXT_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# The same npm as package.json's packageManager.
RUN npm install -g npm@11.19.1

# Dependencies first (cached while only sources change). The postinstall step generates the
# Prisma client, so it needs the schema and its script; .npmrc skips onnxruntime-node's CUDA download.
COPY package.json package-lock.json .npmrc ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma/schema.prisma prisma/
COPY apps/web/package.json apps/web/
COPY apps/gateway/package.json apps/gateway/
COPY packages/agent/package.json packages/agent/
COPY packages/api/package.json packages/api/
COPY packages/cli/package.json packages/cli/
COPY packages/config/package.json packages/config/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/onnx/package.json packages/onnx/
COPY packages/protocol/package.json packages/protocol/
# Dev dependencies stay: the processes run TypeScript through tsx (a root devDependency).
RUN npm ci

COPY . .
# The dashboard's production build, as `npm start` makes it (scripts/start.ts). Its cache is
# only for the next build.
RUN node node_modules/next/dist/bin/next build apps/web && rm -rf apps/web/.next/cache

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    EDGEFLEET_DATA_DIR=/var/lib/edgefleet \
    EDGEFLEET_BIND=0.0.0.0
RUN npm install -g npm@11.19.1 && npm cache clean --force \
    && groupadd --system --gid 10001 edgefleet \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/edgefleet --create-home --shell /usr/sbin/nologin edgefleet \
    && install -d -o edgefleet -g edgefleet -m 0750 /var/lib/edgefleet /var/lib/edgefleet/broker
WORKDIR /app
# Code and dependencies are root's and read-only to the service; only Next's runtime cache and
# the data dir are the service user's. The broker dir is where compose mounts the Mosquitto
# config volume (a fresh named volume takes this directory's owner, so the user can write it).
COPY --from=build /app /app
RUN install -d -o edgefleet -g edgefleet /app/apps/web/.next/cache
USER 10001:10001
EXPOSE 3000 8443 9464
CMD ["cat", "infra/docker/usage.txt"]
