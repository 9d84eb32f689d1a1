# syntax=docker/dockerfile:1
# One image for the gateway (default command) and, in the self-contained compose stack only,
# the simulated IdP (`command: node dist/apps/idp-sim/src/main.js`).

# --- build: full dependencies, compile, then drop the dev dependencies ---------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV CI=true NPM_CONFIG_AUDIT=false NPM_CONFIG_FUND=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev && npm cache clean --force

# --- runtime: compiled code and production dependencies only, as a non-root user -----------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The node image's unprivileged user (uid 1000); the code and dependencies stay root-owned,
# read-only for it.
USER node
EXPOSE 4001
# No curl in the slim image: Node's own fetch asks the gateway's /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEWAY_PORT||4001)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/gateway/src/main.js"]
