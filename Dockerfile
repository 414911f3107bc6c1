# One image for both processes: `node dist/src/main.js` (API) or `node dist/src/worker.js` (worker).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 8000
# V8's young generation at 2 MB per semi-space instead of up to 16, and the old generation capped at
# 512 MB, above what the API's bounds let it hold at once (docs/performance.md). The worker: compose's
# command, or `node --max-semi-space-size=2 --max-old-space-size=256 dist/src/worker.js` (capped above
# what its load budget, EVAL_WORKER_LOAD_BYTES, lets it hold at once).
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=512", "dist/src/main.js"]
