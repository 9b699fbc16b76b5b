# The headless Subpixel CLI: `subpixel worker` for the Redis pool, or `subpixel upscale --shard auto` in a batch
# scheduler. Build from the repository root:
#   docker build -f deploy/worker.Dockerfile -t subpixel-worker .
# Electron and the app's build tools are devDependencies: `npm ci --omit=dev` leaves them out.
FROM node:20-slim
WORKDIR /opt/subpixel
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY src-common ./src-common
COPY src-main ./src-main
# The shipped models (pilots and training checkpoints are left out by worker.Dockerfile.dockerignore).
COPY models ./models
USER node
ENV SUBPIXEL_HOME=/tmp/subpixel
ENTRYPOINT ["node", "/opt/subpixel/bin/subpixel.js"]
# The pool's Redis comes from SUBPIXEL_REDIS_URL (a secret), jobs may use /data only.
CMD ["worker", "--redis", "--allow", "/data"]
