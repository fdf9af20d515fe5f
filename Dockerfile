# One image for the API, the worker and migrate (the compose file picks the command), plus a `devchain`
# target for local runs. Build: docker build -t tollgate .   Devchain: docker build --target devchain .

# Build: every dependency (TypeScript, Nest CLI), then compile to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Production dependencies only: no demo, test, benchmark or compiler packages (x402 clients, anvil,
# playwright, solc, jest…). A fresh install from the lock, not a prune of the build tree, so nothing the
# build left behind comes along.
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Local chain for `docker compose up` (anvil is a dev dependency): the build stage has it and the built devchain.
FROM build AS devchain
RUN mkdir -p /devchain && chown node:node /devchain
USER node
CMD ["node", "dist/apps/devchain/apps/devchain/src/main.js"]

FROM node:20-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful shutdown drains jobs) and reaps zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
# dist holds the compiled migrations too (npm run migrate:prod = node dist/apps/api/libs/persistence/src/cli/migrate.js).
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4020 4021
# The API's liveness by default; the compose file checks the worker on its metrics port instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||4020)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/api/apps/api/src/main.js"]
