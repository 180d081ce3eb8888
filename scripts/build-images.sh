#!/usr/bin/env bash
# Builds the P2PFaaS images: the node, p2pfaas/node:latest (docker/node/Dockerfile, context the
# repository root), and the sample functions p2pfaas/fn-<name>:latest from docker/functions/<name>/,
# all with the one docker/functions/Dockerfile (context docker/functions, --build-arg FUNCTION=<name>)
# so each image also gets the shared runtime docker/functions/_watchdog. `npm run images` runs this;
# afterwards `docker-compose up -d` needs no network.
#
# Usage: scripts/build-images.sh [--force] [--online] [--no-node] [NAME...]
#   --force    rebuild the offline base image (and re-run debootstrap) even if it exists
#   --online   base the images on the official node:22-bookworm-slim, letting docker pull it, and
#              build the node from source inside Docker (npm ci there: needs the npm registry)
#   --no-node  only the functions
#   NAME...    build only these: function names (default: every folder in docker/functions with a
#              handler.mjs; folders starting with `_`, like _watchdog, are not functions) and/or
#              `node` for the node image
#
# The base image (build-arg NODE_IMAGE) is chosen without touching the network:
#   1. $NODE_IMAGE if set;
#   2. node:22-bookworm-slim if it is already in the local image store (or --online is given);
#   3. otherwise p2pfaas/node-base:offline, built by docker/offline/build-base.sh (debootstrap +
#      the host's node) when missing. Sites without a registry need exactly this path.
# Function dependencies are installed on the host (`npm ci --omit=dev`, only when package-lock.json
# changed), so the Dockerfile copies node_modules and never needs the npm registry.
# The node, unless --online: compiled on the host (tsc, when src/ changed) and staged with a
# production copy of node_modules (made from the host's, offline, when package-lock.json changed)
# in dist/node-image/, then `docker build --target prebuilt`: no registry inside the build either.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUNCTIONS_DIR="$ROOT/docker/functions"
OFFICIAL="node:22-bookworm-slim"
OFFLINE="p2pfaas/node-base:offline"

FORCE=0
ONLINE=0
NODE=1
ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --online) ONLINE=1 ;;
    --no-node) NODE=0 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    -*) echo "build-images: unknown option $1" >&2; exit 2 ;;
    *) ONLY+=("$1") ;;
  esac
  shift
done

log() { echo "[images] $*" >&2; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(date +%s.%N)

if ! docker info >/dev/null 2>&1; then
  echo "build-images: the Docker engine does not answer (is dockerd running?)" >&2
  exit 1
fi
# Docker CLI >= 23 wants buildx for BuildKit; without the plugin use the classic builder quietly.
if [ -z "${DOCKER_BUILDKIT:-}" ] && ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

# 1. The base image.
if [ -n "${NODE_IMAGE:-}" ]; then
  BASE="$NODE_IMAGE"
  log "base: $BASE (from \$NODE_IMAGE)"
elif [ "$ONLINE" = 1 ] || docker image inspect "$OFFICIAL" >/dev/null 2>&1; then
  BASE="$OFFICIAL"
  log "base: $BASE"
else
  BASE="$OFFLINE"
  log "base: $BASE ($OFFICIAL is not available locally; building offline)"
  base_args=()
  [ "$FORCE" = 1 ] && base_args+=(--force)
  bash "$ROOT/docker/offline/build-base.sh" "${base_args[@]}"
fi
if [ "$FORCE" = 1 ] && [ "$BASE" != "$OFFLINE" ]; then
  log "--force rebuilds only the offline base; $BASE is used as it is"
fi

# 2. The functions.
names=()
if [ "${#ONLY[@]}" -gt 0 ]; then
  NODE=0
  for name in "${ONLY[@]}"; do
    if [ "$name" = node ]; then NODE=1; else names+=("$name"); fi
  done
else
  for dir in "$FUNCTIONS_DIR"/*/; do
    name="$(basename "$dir")"
    [[ "$name" != _* ]] && [ -f "$dir/handler.mjs" ] && names+=("$name")
  done
fi
[ "${#names[@]}" -gt 0 ] || [ "${#ONLY[@]}" -gt 0 ] || { echo "build-images: no functions in $FUNCTIONS_DIR" >&2; exit 1; }

has_deps() {
  # true when package-lock.json lists at least one package to install
  node -e '
    const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const pkgs = Object.keys(lock.packages ?? {}).filter((k) => k !== "");
    process.exit(pkgs.length > 0 ? 0 : 1)' "$1"
}

built=()
for name in ${names[@]+"${names[@]}"}; do
  dir="$FUNCTIONS_DIR/$name"
  if [[ "$name" == _* || "$name" == */* ]] || [ ! -f "$dir/handler.mjs" ]; then
    echo "build-images: $name is not a function (want a folder docker/functions/NAME with a handler.mjs, NAME not starting with _)" >&2
    exit 1
  fi
  if [ -f "$dir/package-lock.json" ] && has_deps "$dir/package-lock.json"; then
    stamp="$dir/node_modules/.p2pfaas-lock.sha256"
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      log "$name: node_modules up to date"
    else
      log "$name: npm ci --omit=dev"
      (cd "$dir" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
      echo "$want" >"$stamp"
    fi
  fi
  tag="p2pfaas/fn-$name:latest"
  log "$name: docker build -> $tag"
  t=$(date +%s.%N)
  if ! out="$(docker build --build-arg "NODE_IMAGE=$BASE" --build-arg "FUNCTION=$name" \
      --label "p2pfaas.base=$BASE" -t "$tag" -f "$FUNCTIONS_DIR/Dockerfile" "$FUNCTIONS_DIR" 2>&1)"; then
    echo "$out" >&2
    echo "build-images: docker build of $name failed" >&2
    exit 1
  fi
  log "$name: built in $(since "$t") s"
  built+=("$tag")
done

# 3. The node.
if [ "$NODE" = 1 ]; then
  tag="p2pfaas/node:latest"
  t=$(date +%s.%N)
  if [ "$ONLINE" = 1 ]; then
    log "node: docker build from source (npm ci inside the build) -> $tag"
    target=()
  else
    # One staging at a time (parallel test runs share the checkout).
    STAGE="$ROOT/dist/node-image"
    mkdir -p "$STAGE"
    exec 9>"$ROOT/dist/.node-image.lock"
    flock 9
    main="$ROOT/dist/src/bin/main.js"
    if [ ! -f "$main" ] || [ -n "$(find "$ROOT/src" "$ROOT/tsconfig.json" "$ROOT/package-lock.json" "$ROOT/scripts/bundle.mjs" -newer "$main" -print -quit)" ]; then
      log "node: tsc and bundle (src changed)"
      [ -x "$ROOT/node_modules/.bin/tsc" ] || { echo "build-images: no node_modules/.bin/tsc; run npm ci first" >&2; exit 1; }
      # tsc emits even with type errors; whether the result runs is checked on the image below.
      (cd "$ROOT" && ./node_modules/.bin/tsc -p tsconfig.json >&2) || log "node: tsc reported errors (above); building from its output anyway"
      (cd "$ROOT" && node scripts/bundle.mjs >&2)
    fi
    # Production dependencies: a copy of the host's node_modules, pruned (offline) and trimmed of
    # what a running node never reads. Redone only when the lockfile (or the host's node) changes.
    want="$(cat "$ROOT/package-lock.json" <(node --version) | sha256sum | cut -d' ' -f1)"
    stamp="$STAGE/node_modules/.p2pfaas-lock.sha256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      log "node: production node_modules up to date"
    else
      log "node: production node_modules (copy, npm prune --omit=dev, trim)"
      [ -d "$ROOT/node_modules" ] || { echo "build-images: no node_modules; run npm ci first" >&2; exit 1; }
      work="$STAGE/.work"
      rm -rf "$work" "$STAGE/node_modules"
      mkdir -p "$work"
      cp "$ROOT/package.json" "$ROOT/package-lock.json" "$work/"
      cp -a "$ROOT/node_modules" "$work/node_modules"
      (cd "$work" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
      find "$work/node_modules" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) -delete
      echo "$want" >"$work/node_modules/.p2pfaas-lock.sha256"
      mv "$work/node_modules" "$STAGE/node_modules"
      rm -rf "$work"
    fi
    rm -rf "$STAGE/dist"
    mkdir -p "$STAGE/dist"
    cp -a "$ROOT/dist/src" "$STAGE/dist/src"
    find "$STAGE/dist" -type f -name '*.map' -delete
    log "node: docker build --target prebuilt -> $tag"
    target=(--target prebuilt)
  fi
  if ! out="$(docker build --force-rm ${target[@]+"${target[@]}"} --build-arg "NODE_IMAGE=$BASE" \
      --label "p2pfaas.base=$BASE" -t "$tag" -f "$ROOT/docker/node/Dockerfile" "$ROOT" 2>&1)"; then
    echo "$out" >&2
    echo "build-images: docker build of the node failed" >&2
    exit 1
  fi
  [ "$ONLINE" = 1 ] || flock -u 9
  # The whole CLI loads in the image (every module imported, node_modules complete).
  if ! v="$(docker run --rm --network none "$tag" --version 2>&1)" || [[ ! "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "$v" >&2
    echo "build-images: the node image does not run: 'docker run --rm $tag --version' failed" >&2
    exit 1
  fi
  log "node: built in $(since "$t") s"
  built+=("$tag")
fi

# Earlier builds of these images (and an earlier offline base) are left untagged: remove only
# those, by our labels.
docker image prune -f --filter "label=p2pfaas.function" >/dev/null 2>&1 || true
docker image prune -f --filter "label=p2pfaas.image=node" >/dev/null 2>&1 || true
docker image prune -f --filter "label=p2pfaas.offline-base=1" >/dev/null 2>&1 || true

echo
docker image ls --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}' | awk 'NR==1 || /^p2pfaas\//'
log "${#built[@]} image(s) on $BASE in $(since "$T0") s"
