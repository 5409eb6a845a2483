# One image for every app. Default: all apps in one process; docker-compose.yml runs one app per container.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY config config
# The storage dir must exist, owned by the app user, before a named volume is mounted on it: Docker copies this
# ownership into a new empty volume, so the non-root apps can write there.
RUN mkdir -p var/store && chown -R node:node var
USER node
EXPOSE 11112 8080
CMD ["node", "dist/apps/hub/src/main.js"]
