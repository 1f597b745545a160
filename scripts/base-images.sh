#!/usr/bin/env bash
# Base images for examples and tests, made from Debian's busybox-static packages (no public registry
# needed) and pushed to the local registry:
#   base/busybox:amd64, base/busybox:arm64   one image per architecture (FROM scratch + busybox rootfs)
#   base/busybox:latest                      an OCI image index of both
# Idempotent: exits at once when the registry already has all three (pass --force to rebuild).
# Needs the stack (scripts/stack.sh up); the first run needs root for dpkg/apt, later runs reuse the
# cached .debs under $SLIPWAY_DATA_DIR/base-images.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${SLIPWAY_DATA_DIR:-$ROOT/.data}
REGISTRY=${SLIPWAY_REGISTRY:-127.0.0.1:5000}
REPO=base/busybox
ARCHES=(amd64 arm64)
CACHE=$DATA/base-images
INDEX_TYPE=application/vnd.oci.image.index.v1+json
MANIFEST_TYPES=application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json
# Used when `busybox --list-full` cannot run (e.g. arm64 without binfmt): applets linked into /bin.
FALLBACK_APPLETS=(sh echo cat ls uname sleep true false env mkdir rm cp mv wc head tail grep sed
  sha256sum date id test '[')

log() { printf 'base-images: %s\n' "$*" >&2; }
die() { printf 'base-images: error: %s\n' "$*" >&2; exit 1; }

FORCE=0
case "${1:-}" in
  '') ;;
  --force) FORCE=1 ;;
  *) die "usage: scripts/base-images.sh [--force]" ;;
esac

url() { printf 'http://%s/v2/%s/%s\n' "$REGISTRY" "$REPO" "$1"; }

# The index lists both platforms and each per-architecture tag resolves.
already_done() {
  local index arch
  index=$(curl -sf -H "Accept: $INDEX_TYPE" "$(url manifests/latest)") || return 1
  for arch in "${ARCHES[@]}"; do
    grep -q "\"architecture\": *\"$arch\"" <<<"$index" || return 1
    curl -sf -o /dev/null -I -H "Accept: $MANIFEST_TYPES" "$(url "manifests/$arch")" || return 1
  done
}

preflight() {
  command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
  command -v docker >/dev/null || die "docker CLI is missing; run scripts/stack.sh up"
  curl -sf "http://$REGISTRY/v2/" >/dev/null || die "no registry answers on http://$REGISTRY; run scripts/stack.sh up"
  docker info >/dev/null 2>&1 || die "Docker Engine does not answer; run scripts/stack.sh up"
}

deb_for() { # arch -> newest cached .deb path, or nothing
  find "$CACHE/debs" -maxdepth 1 -name "busybox-static_*_$1.deb" 2>/dev/null | sort -V | tail -n 1
}

fetch_debs() {
  local arch missing=()
  for arch in "${ARCHES[@]}"; do [ -n "$(deb_for "$arch")" ] || missing+=("$arch"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "downloading busybox-static for ${missing[*]} needs root (dpkg --add-architecture, apt-get)"
  command -v apt-get >/dev/null || die "apt-get is missing; this script needs Debian (or put busybox-static_*_<arch>.deb files into $CACHE/debs)"
  local native pkgs=()
  native=$(dpkg --print-architecture)
  for arch in "${missing[@]}"; do
    if [ "$arch" != "$native" ] && ! grep -qx "$arch" <<<"$(dpkg --print-foreign-architectures)"; then
      log "dpkg --add-architecture $arch"
      dpkg --add-architecture "$arch"
    fi
    pkgs+=("busybox-static:$arch")
  done
  local need_update=0 p
  for p in "${pkgs[@]}"; do
    grep -q 'Candidate: [^(]' <<<"$(apt-cache policy "$p" 2>/dev/null)" || need_update=1
  done
  if [ $need_update = 1 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
  fi
  mkdir -p "$CACHE/debs"
  log "downloading ${pkgs[*]}"
  # Run as root: the _apt sandbox user cannot write into the cache directory.
  (cd "$CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]}") ||
    die "apt-get download ${pkgs[*]} failed"
}

make_rootfs() { # arch -> $CACHE/<arch>/ with rootfs.tar and Dockerfile
  local arch=$1 deb dir rootfs applets path
  deb=$(deb_for "$arch")
  dir=$CACHE/$arch
  rootfs=$dir/rootfs
  rm -rf "$dir"
  mkdir -p "$dir"
  dpkg-deb -x "$deb" "$dir/pkg"
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp}
  chmod 1777 "$rootfs/tmp"
  chmod 700 "$rootfs/root"
  cp "$dir/pkg/bin/busybox" "$rootfs/bin/busybox"
  # --list-full gives each applet's install path (bin/sh, usr/bin/env, sbin/ifconfig, ...). The arm64
  # binary runs here through QEMU binfmt; without it, fall back to a fixed list in /bin.
  if applets=$("$rootfs/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
    while IFS= read -r path; do
      case "$path" in */*) ;; *) continue ;; esac # skip top-level entries such as linuxrc
      [ -e "$rootfs/$path" ] || ln -s /bin/busybox "$rootfs/$path"
    done <<<"$applets"
  else
    log "$arch: cannot run busybox --list-full here; linking a fixed applet list"
    for path in "${FALLBACK_APPLETS[@]}"; do ln -s busybox "$rootfs/bin/$path"; done
    ln -s /bin/busybox "$rootfs/usr/bin/env"
  fi
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$dir/rootfs.tar" .
  printf 'FROM scratch\nADD rootfs.tar /\nCMD ["sh"]\n' >"$dir/Dockerfile"
  rm -rf "$dir/pkg" "$rootfs"
}

build_and_push() { # arch
  local arch=$1 ref=$REGISTRY/$REPO:$1 version got
  version=$(dpkg-deb -f "$(deb_for "$arch")" Version)
  log "$arch: building $ref (busybox-static $version)"
  # The plain builder needs no buildx plugin (Debian's docker.io has none); FROM scratch + ADD is all it does.
  DOCKER_BUILDKIT=0 docker build -q --platform "linux/$arch" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.description=busybox-static from Debian for Slipway tests" \
    -t "$ref" "$CACHE/$arch" >"$CACHE/$arch/build.log" 2>&1 ||
    { cat "$CACHE/$arch/build.log" >&2; die "$arch: docker build failed"; }
  got=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$ref")
  [ "$got" = "linux/$arch" ] || die "$arch: built image is $got, not linux/$arch"
  log "$arch: pushing $ref"
  docker push "$ref" >"$CACHE/$arch/push.log" 2>&1 ||
    { cat "$CACHE/$arch/push.log" >&2; die "$arch: docker push failed"; }
}

push_index() {
  local arch body headers type digest size entries=() variant
  for arch in "${ARCHES[@]}"; do
    body=$CACHE/$arch/manifest.json
    headers=$CACHE/$arch/manifest.headers
    curl -sf -H "Accept: $MANIFEST_TYPES" -D "$headers" -o "$body" "$(url "manifests/$arch")" ||
      die "$arch: cannot read back manifest $REPO:$arch"
    type=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^;[:space:]]*\).*/\1/p' "$headers" | tail -n 1)
    digest=sha256:$(sha256sum "$body" | cut -d' ' -f1)
    size=$(wc -c <"$body" | tr -d ' ')
    variant=''
    [ "$arch" = arm64 ] && variant=',"variant":"v8"'
    entries+=("{\"mediaType\":\"$type\",\"digest\":\"$digest\",\"size\":$size,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"$variant}}")
  done
  local joined
  joined=$(IFS=,; printf '%s' "${entries[*]}")
  printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$INDEX_TYPE" "$joined" >"$CACHE/index.json"
  log "pushing index $REGISTRY/$REPO:latest (${ARCHES[*]})"
  curl -sf -X PUT -H "Content-Type: $INDEX_TYPE" --data-binary "@$CACHE/index.json" \
    "$(url manifests/latest)" >/dev/null || die "registry refused the image index"
  already_done || die "registry does not list both platforms under $REPO:latest after the push"
}

check_arm64_runs() {
  local out
  if out=$(docker run --rm --platform linux/arm64 "$REGISTRY/$REPO:arm64" uname -m 2>&1) && [ "$out" = aarch64 ]; then
    log "arm64 image runs under emulation (uname -m: aarch64)"
  else
    log "warning: arm64 image did not run as aarch64 (got: ${out:-nothing}); check the QEMU binfmt handlers (scripts/stack.sh status)"
  fi
}

if [ $FORCE = 0 ] && already_done; then
  log "$REGISTRY/$REPO:latest, :amd64, :arm64 already present"
  exit 0
fi
preflight
fetch_debs
for arch in "${ARCHES[@]}"; do
  make_rootfs "$arch"
  build_and_push "$arch"
done
push_index
check_arm64_runs
log "done: $REGISTRY/$REPO:latest, :amd64, :arm64"
