# The Slipway API and worker image used by docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /slipway
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json && npm prune --omit=dev
