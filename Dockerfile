# One image for both roles: `node dist/bin/api.js` (the default) or `node dist/bin/worker.js`; the `webhooks` CLI is
# `node dist/bin/webhooks.js`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY config ./config
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY server ./server
COPY signing ./signing
COPY gateway ./gateway
COPY temporal ./temporal
COPY worker ./worker
COPY host ./host
COPY node ./node
COPY cli ./cli
COPY errors.ts index.ts workflow.ts ./
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY examples ./examples
USER node
EXPOSE 3000
CMD ["node", "dist/bin/api.js"]
