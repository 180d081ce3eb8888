#!/usr/bin/env bash
# Builds p2pfaas/node-base:offline without any container registry:
#   debootstrap (minbase bookworm, cached as a tarball) + the host's `node` binary and the shared
#   libraries it needs that the rootfs lacks + a non-root user `app` (uid 10001), then `docker import`.
#
# Usage: docker/offline/build-base.sh [--force] [--tag NAME:TAG]
# Env:   P2PFAAS_CACHE_DIR   where the debootstrap tarball is kept (default /var/cache/p2pfaas)
#        DEBIAN_MIRROR       debootstrap mirror (default http://deb.debian.org/debian)
#        NODE_BIN            node binary to copy (default: $(command -v node))
set -euo pipefail

TAG="p2pfaas/node-base:offline"
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --tag) TAG="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-base: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[build-base] $*" >&2; }

if [ "$FORCE" = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG exists, skipping (use --force to rebuild)"
  exit 0
fi

CACHE_DIR="${P2PFAAS_CACHE_DIR:-/var/cache/p2pfaas}"
ROOTFS_TAR="$CACHE_DIR/bookworm-minbase.tar"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_BIN="${NODE_BIN:-$(command -v node)}"
NODE_BIN="$(readlink -f "$NODE_BIN")"

WORK="$(mktemp -d /tmp/p2pfaas-base.XXXXXX)"
cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Needs root for debootstrap and for the files' ownership in the tarball.
if [ "$(id -u)" != 0 ]; then
  echo "build-base: must run as root (debootstrap, chown)" >&2
  exit 1
fi

mkdir -p "$CACHE_DIR"
if [ "$FORCE" = 1 ] || [ ! -s "$ROOTFS_TAR" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get install -y --no-install-recommends debootstrap >/dev/null 2>&1 || {
      apt-get update >/dev/null && apt-get install -y --no-install-recommends debootstrap >/dev/null
    }
  fi
  log "debootstrap --variant=minbase bookworm (takes ~30 s)"
  debootstrap --variant=minbase bookworm "$WORK/bootstrap" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
  }
  # Trim what a function image never needs: apt lists, caches, docs, man pages, locales.
  rm -rf "$WORK/bootstrap"/var/lib/apt/lists/* "$WORK/bootstrap"/var/cache/apt/*.bin \
         "$WORK/bootstrap"/var/cache/apt/archives/*.deb "$WORK/bootstrap"/usr/share/doc/* \
         "$WORK/bootstrap"/usr/share/man/* "$WORK/bootstrap"/usr/share/info/* \
         "$WORK/bootstrap"/usr/share/locale/* "$WORK/bootstrap"/var/log/*.log \
         "$WORK/bootstrap"/debootstrap 2>/dev/null || true
  tar -C "$WORK/bootstrap" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf --one-file-system "$WORK/bootstrap"
  log "cached rootfs in $ROOTFS_TAR"
else
  log "using cached rootfs $ROOTFS_TAR"
fi

ROOT="$WORK/rootfs"
mkdir -p "$ROOT"
tar -C "$ROOT" --numeric-owner -xf "$ROOTFS_TAR"

# node: the host's binary, stripped of debug info when strip is available (about 100 MB -> 90 MB).
log "copying $NODE_BIN ($("$NODE_BIN" --version))"
mkdir -p "$ROOT/usr/local/bin"
if command -v strip >/dev/null 2>&1; then
  strip --strip-debug -o "$ROOT/usr/local/bin/node" "$NODE_BIN"
else
  cp "$NODE_BIN" "$ROOT/usr/local/bin/node"
fi
chmod 0755 "$ROOT/usr/local/bin/node"

# Shared libraries node links against that the rootfs does not have (libstdc++ on minbase, or
# anything else the host's node build needs). Copied to the same path; symlinks resolved.
while read -r lib; do
  [ -n "$lib" ] || continue
  if [ ! -e "$ROOT$lib" ]; then
    log "adding library $lib"
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  fi
done < <(ldd "$NODE_BIN" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}')

# Non-root user for functions: app, uid/gid 10001, home /home/app.
if ! grep -q '^app:' "$ROOT/etc/passwd"; then
  echo 'app:x:10001:' >>"$ROOT/etc/group"
  echo 'app:x:10001:10001:function runtime:/home/app:/usr/sbin/nologin' >>"$ROOT/etc/passwd"
  echo 'app:!:19000:0:99999:7:::' >>"$ROOT/etc/shadow"
fi
mkdir -p "$ROOT/home/app"
chown 10001:10001 "$ROOT/home/app"
chmod 0755 "$ROOT/home/app"

# Sanity check inside the rootfs before importing: the binary runs against the rootfs' libraries.
if CHROOT="$(command -v chroot)"; then
  env -i PATH=/usr/local/bin:/usr/bin:/bin "$CHROOT" "$ROOT" /usr/local/bin/node -e 'process.exit(0)' || {
    echo "build-base: node does not run inside the rootfs" >&2
    exit 1
  }
fi

log "docker import -> $TAG"
tar -C "$ROOT" --numeric-owner -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  -c 'WORKDIR /home/app' \
  -c 'CMD ["node"]' \
  -c 'LABEL p2pfaas.offline-base=1' \
  -m "p2pfaas offline node base: debootstrap bookworm minbase + host node $("$NODE_BIN" --version)" \
  - "$TAG" >/dev/null

out="$(docker run --rm --network none "$TAG" node -e 'console.log(1)')"
if [ "$out" != 1 ]; then
  echo "build-base: verification failed: node in $TAG printed '$out'" >&2
  exit 1
fi
# A --force rebuild leaves the previous base untagged: drop it (and only it) unless still in use.
docker image prune -f --filter label=p2pfaas.offline-base=1 >/dev/null 2>&1 || true
log "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
