#!/usr/bin/env bash
# Fills the balena project's build contexts from the repository, so that `balena push` (or
# `balena deploy --build`) run in fleet/ uploads everything the images need: balena accepts build
# contexts only inside the project folder, and the node and the functions live elsewhere in the
# repository. Run it again after changing the code or stack.yml.
#
#   fleet/node/        docker/node/ (Dockerfile, entrypoint), package.json, package-lock.json,
#                      tsconfig.json, src/, stack.yml, .dockerignore: the node, built from source
#                      by the Dockerfile's default stage on balena's builders, for the fleet's CPU
#   fleet/functions/   docker/functions/ with each function's production dependencies (those npm run
#                      images installed, else npm ci --omit=dev; pure JavaScript, valid on any CPU)
#
# Usage: fleet/prepare.sh   (needs node and npm; nothing else)
set -euo pipefail

FLEET="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FLEET/.." && pwd)"
log() { echo "[fleet] $*" >&2; }

# Empty a staged context but keep its .gitignore (it keeps the folder, and compose needs it).
reset() {
  mkdir -p "$1"
  find "$1" -mindepth 1 -maxdepth 1 ! -name .gitignore -exec rm -rf {} +
}

reset "$FLEET/node"
mkdir -p "$FLEET/node/docker/node"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT/tsconfig.json" "$ROOT/stack.yml" \
   "$ROOT/.dockerignore" "$FLEET/node/"
cp -R "$ROOT/src" "$FLEET/node/src"
cp "$ROOT/docker/node/Dockerfile" "$ROOT/docker/node/"*.mjs "$FLEET/node/docker/node/"
log "node: $(du -sh "$FLEET/node" | cut -f1) in fleet/node"

reset "$FLEET/functions"
cp "$ROOT/docker/functions/Dockerfile" "$ROOT/docker/functions/.dockerignore" "$FLEET/functions/"
for dir in "$ROOT/docker/functions"/*/; do
  name="$(basename "$dir")"
  if [[ "$name" == _* ]]; then
    mkdir -p "$FLEET/functions/$name"
    cp "$dir"/*.mjs "$FLEET/functions/$name/"
    continue
  fi
  [ -f "$dir/handler.mjs" ] || continue
  mkdir -p "$FLEET/functions/$name"
  # What the functions' .dockerignore lets into an image, and nothing else.
  for f in handler.mjs server.mjs classic.mjs package.json package-lock.json; do
    if [ -f "$dir/$f" ]; then cp "$dir/$f" "$FLEET/functions/$name/"; fi
  done
  if [ -f "$dir/package-lock.json" ]; then
    if [ -d "$dir/node_modules" ]; then
      cp -R "$dir/node_modules" "$FLEET/functions/$name/node_modules"     # as npm run images left them
    else
      (cd "$FLEET/functions/$name" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    fi
  fi
done
log "functions: $(du -sh "$FLEET/functions" | cut -f1) in fleet/functions"
log "ready: cd fleet && balena push <fleet>   (see fleet/README.md)"
