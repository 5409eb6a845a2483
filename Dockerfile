# One image for every app. Default: all apps in one process; docker-compose.yml runs one app per container, and
# its `migrate` service runs `node dist/apps/cli/src/main.js db migrate` before them.
# Node 22 (an LTS); bookworm-slim has what `npm ci` needs here: every dependency is JavaScript or ships prebuilt
# binaries (msgpackr-extract), so no compiler or Python is installed.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY config config
COPY scripts/healthcheck.js scripts/healthcheck.js
# The storage dir must exist, owned by the app user, before a named volume is mounted on it: Docker copies this
# ownership into a new empty volume, so the non-root apps can write there.
RUN mkdir -p var/store && chown -R node:node var
USER node
EXPOSE 11112 8080
# The all-in-one process serves the portal's readiness; docker-compose.yml sets each app's own.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "scripts/healthcheck.js", "http://127.0.0.1:8080/api/health/ready"]
# SIGTERM reaches node directly (exec form, PID 1): the receiver stops accepting, workers finish their jobs.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/hub/src/main.js"]
