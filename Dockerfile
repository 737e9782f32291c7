# syntax=docker/dockerfile:1
# `hearth serve` in a container (see docs/deploy.md). Build and run:
#   docker build -t hearth .
#   docker run -p 18181:18181 -v hearth-home:/data -v /srv/models:/models:ro hearth /models/model.gguf
# Models named after the image are served (paths under the read-only /models volume, store names or
# aliases in HEARTH_HOME=/data); without a model, requests load what they name on first use.
# ONNX Runtime (OCR, object detection) is added by the ONNXRUNTIME build argument: "skip" (default:
# its CPU build, nothing downloaded), "cuda12" (its install step also downloads the CUDA provider from
# NuGet at build time) or "none".

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# dependencies' install steps are not needed to compile (and ONNX Runtime's would download)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
ARG ONNXRUNTIME=skip
ENV NODE_ENV=production HEARTH_HOME=/data
WORKDIR /app
COPY package.json package-lock.json ./
# runtime dependencies only; their native code comes as prebuilt platform packages, no install step needed
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# ONNX Runtime, an optional peer of hearth, in a folder of its own (it is a devDependency of the
# repository, which --omit=dev leaves out), linked where hearth's import finds it
RUN if [ "$ONNXRUNTIME" != none ]; then \
      ORT="$(node -p 'require("./package.json").peerDependencies["onnxruntime-node"].replace(/^[\^~]/, "")')" \
      && mkdir -p /opt/onnxruntime && cd /opt/onnxruntime && echo '{"private":true}' > package.json \
      && ONNXRUNTIME_NODE_INSTALL="$ONNXRUNTIME" npm install --no-audit --no-fund "onnxruntime-node@$ORT" \
      && ln -s /opt/onnxruntime/node_modules/onnxruntime-node /app/node_modules/onnxruntime-node \
      && npm cache clean --force; \
    fi
COPY --from=build /src/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 18181
# 0.0.0.0 inside the container only: publish the port (-p) to choose who reaches it
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:18181/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/hearth.js", "serve", "--host", "0.0.0.0", "--port", "18181"]
CMD []
