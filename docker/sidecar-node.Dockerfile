#   docker run -e STEPHOST_CONNECT=host:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app stephost-sidecar-node
FROM node:20-slim
WORKDIR /opt/stephost/sidecars/node
COPY sidecars/node/package.json sidecars/node/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY sidecars/node ./
CMD ["node", "src/main.js", "/app"]
