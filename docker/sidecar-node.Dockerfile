# syntax=docker/dockerfile:1
# The Node sidecar (JavaScript and TypeScript steps): the files the host's wheel ships as
# stephost_host/runtimes/node, with their packages. Runs as the image's unprivileged `node`
# user; tsx keeps its cache in /tmp, so the project at /app stays read-only.
#   docker build -f docker/sidecar-node.Dockerfile -t stephost-sidecar-node .
#   docker run -e STEPHOST_CONNECT=host:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app:ro stephost-sidecar-node
FROM node:20-slim
WORKDIR /opt/stephost/node
COPY sidecars/node/package.json sidecars/node/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY sidecars/node/src src
COPY sidecars/node/proto proto
COPY docker/sidecar-health.sh /usr/local/bin/stephost-sidecar-health
ENV NODE_ENV=production STEPHOST_CONNECT=host:7070
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD ["stephost-sidecar-health"]
CMD ["node", "src/main.js", "/app"]
