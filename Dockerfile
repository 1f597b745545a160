# The Slipway image: one image for both services of docker-compose.yml (the API and the worker).
# NODE_BASE is any image with Node >= 20.15 and npm: the public node image where it can be pulled, or one made
# from Debian packages where it cannot (scripts/deploy-images.sh makes `slipway-deploy/node` that way).
ARG NODE_BASE=node:20-bookworm-slim

FROM ${NODE_BASE} AS build
WORKDIR /slipway
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --loglevel=error

FROM ${NODE_BASE}
# The worker checks out task sources with git; the public node image has none.
RUN command -v git >/dev/null || (apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*)
WORKDIR /slipway
COPY --from=build /slipway/package.json ./
COPY --from=build /slipway/node_modules ./node_modules
COPY --from=build /slipway/dist ./dist
# The API needs no privilege; the worker runs as root only because the Engine's socket is root's (compose
# gives it that user).
RUN (useradd --system --uid 10001 --home-dir /slipway slipway 2>/dev/null || adduser -S -u 10001 slipway) \
  && mkdir -p /slipway/data && chown 10001 /slipway/data
USER 10001
CMD ["node", "dist/server/api.js"]
