# syntax=docker/dockerfile:1
# The homeostat image: `homeostat serve` on Node.js 20 (Debian bookworm), with git and
# ansible-core for the policy repository, the audit repository and the ansible actions.
# Built by CI elsewhere (docker build .); test/integration/dockerfile.test.ts runs these steps
# in temporary directories so that this file cannot drift from what works.

# --- build: compile the TypeScript ---------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY engine/ engine/
RUN npm run build

# --- runtime: production dependencies, the build, the bundled policies ----------------------
FROM node:20-bookworm-slim
# git: policy sync and the audit repository; ansible-core (with ssh) runs the ansible actions;
# tini reaps what a killed action's processes leave behind and forwards SIGTERM.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ansible-core git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 homeostat \
 && useradd --uid 10001 --gid 10001 --home-dir /home/homeostat --create-home --shell /usr/sbin/nologin homeostat \
 && mkdir -p /var/lib/homeostat \
 && chown homeostat:homeostat /var/lib/homeostat
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /src/dist/ dist/
COPY schemas/ schemas/
COPY rules/ rules/
COPY playbooks/ playbooks/
COPY inventory/ inventory/
COPY templates/ templates/
COPY homeostat.yaml ./
# The captured Alertmanager payloads the bundled policies' tests (rules/*.test.yaml) run on.
COPY test/fixtures/alertmanager/ test/fixtures/alertmanager/
RUN chmod 0755 /app/dist/engine/cli/main.js \
 && ln -s /app/dist/engine/cli/main.js /usr/local/bin/homeostat
ENV NODE_ENV=production \
    HOMEOSTAT_DATA_DIR=/var/lib/homeostat
VOLUME ["/var/lib/homeostat"]
USER 10001:10001
EXPOSE 9595
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9595/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Without flags it serves the bundled rules/ from /app on 127.0.0.1:9595; give --policies
# (a git URL), and --listen 0.0.0.0:9595 with a webhook token (deploy/deployment.yaml).
ENTRYPOINT ["/usr/bin/tini", "--", "homeostat", "serve"]
