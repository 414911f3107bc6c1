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
# V8's young generation at 8 MB per semi-space instead of up to 16 (2 MB cost the API a third of its
# CPU per ingested trace in collections), the old generation capped at 512 MB, above what the API's
# bounds let it hold at once, and `gc` for the collection that returns memory once the process is at
# rest (src/bootstrap/idle-gc.ts; docs/performance.md). The worker: compose's command, or
# `node --max-semi-space-size=2 --expose-gc dist/src/worker.js` (no old-generation cap: its load
# budget, EVAL_WORKER_LOAD_BYTES, bounds what it holds, and a cap would cost CPU per evaluation).
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=512", "--expose-gc", "dist/src/main.js"]
