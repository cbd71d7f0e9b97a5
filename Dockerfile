# The controller image: migrations, seeding, data set loading, training, API and UI.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/scenarios ./scenarios
COPY --from=build --chown=node:node /app/controller/ui ./controller/ui
COPY --from=build --chown=node:node /app/package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/fogsim.js"]
CMD ["up", "--host", "0.0.0.0"]
