#!/usr/bin/env bash
# Builds the sample function images p2pfaas/fn-<name>:latest from docker/functions/<name>/, all
# with the one docker/functions/Dockerfile (context docker/functions, --build-arg FUNCTION=<name>)
# so each image also gets the shared runtime docker/functions/_watchdog. `npm run images` runs this.
#
# Usage: scripts/build-images.sh [--force] [--online] [NAME...]
#   --force    rebuild the offline base image (and re-run debootstrap) even if it exists
#   --online   base the images on the official node:22-bookworm-slim, letting docker pull it
#   NAME...    build only these functions (default: every folder in docker/functions with a
#              handler.mjs; folders starting with `_`, like _watchdog, are not functions)
#
# The base image (build-arg NODE_IMAGE) is chosen without touching the network:
#   1. $NODE_IMAGE if set;
#   2. node:22-bookworm-slim if it is already in the local image store (or --online is given);
#   3. otherwise p2pfaas/node-base:offline, built by docker/offline/build-base.sh (debootstrap +
#      the host's node) when missing. Sites without a registry need exactly this path.
# Function dependencies are installed on the host (`npm ci --omit=dev`, only when package-lock.json
# changed), so the Dockerfile copies node_modules and never needs the npm registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUNCTIONS_DIR="$ROOT/docker/functions"
OFFICIAL="node:22-bookworm-slim"
OFFLINE="p2pfaas/node-base:offline"

FORCE=0
ONLINE=0
ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --online) ONLINE=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
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
  names=("${ONLY[@]}")
else
  for dir in "$FUNCTIONS_DIR"/*/; do
    name="$(basename "$dir")"
    [[ "$name" != _* ]] && [ -f "$dir/handler.mjs" ] && names+=("$name")
  done
fi
[ "${#names[@]}" -gt 0 ] || { echo "build-images: no functions in $FUNCTIONS_DIR" >&2; exit 1; }

has_deps() {
  # true when package-lock.json lists at least one package to install
  node -e '
    const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const pkgs = Object.keys(lock.packages ?? {}).filter((k) => k !== "");
    process.exit(pkgs.length > 0 ? 0 : 1)' "$1"
}

built=()
for name in "${names[@]}"; do
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

# Earlier builds of these images (and an earlier offline base) are left untagged: remove only
# those, by our labels.
docker image prune -f --filter "label=p2pfaas.function" >/dev/null 2>&1 || true
docker image prune -f --filter "label=p2pfaas.offline-base=1" >/dev/null 2>&1 || true

echo
docker image ls --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}' | awk 'NR==1 || /^p2pfaas\//'
log "${#built[@]} image(s) on $BASE in $(since "$T0") s"
