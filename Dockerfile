# Production image: compiled JavaScript, production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall patches a bug of graphql-jit (scripts/patch-graphql-jit.mjs).
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
COPY gateway ./gateway
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The admin feed page (CUSTOMER_ADMIN_FEED_ENABLED), read at start by src/http/admin-feed.ts.
COPY static ./static
USER node
EXPOSE 8003
# A larger young generation: a page of customers with their addresses allocates a few MB of
# short-lived objects, and with the default semi-space V8 spent about a quarter of the
# service's CPU scavenging them (README, Performance).
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
