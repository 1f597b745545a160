#!/usr/bin/env bash
# Base images for examples and tests, made from Debian's busybox-static packages (no public registry
# needed) and pushed to the local registry:
#   base/busybox:amd64, :arm64, :armv7   one image per platform (FROM scratch + busybox rootfs):
#                                        linux/amd64, linux/arm64, linux/arm/v7 (Debian's armhf)
#   base/busybox:latest                  an OCI image index of the three
# Idempotent: exits at once when the registry already has them all; builds only the images that are
# missing (pass --force to rebuild every one), then pushes the index.
# Needs the stack (scripts/stack.sh up); the first run needs root for dpkg/apt, later runs reuse the
# cached .debs under $SLIPWAY_DATA_DIR/base-images.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${SLIPWAY_DATA_DIR:-$ROOT/.data}
REGISTRY=${SLIPWAY_REGISTRY:-127.0.0.1:5000}
REPO=base/busybox
# Debian architectures; each gives one image, tagged and built for the platform below.
ARCHES=(amd64 arm64 armhf)
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

tag_of() { case $1 in armhf) echo armv7 ;; *) echo "$1" ;; esac; }             # Debian arch -> tag
platform_of() { case $1 in armhf) echo linux/arm/v7 ;; *) echo "linux/$1" ;; esac; } # -> os/arch[/variant]
# The index entry's platform fields; arm64 names its only variant, as buildx's indexes do.
index_platform_of() {
  case $1 in
    armhf) printf '"architecture":"arm","os":"linux","variant":"v7"' ;;
    arm64) printf '"architecture":"arm64","os":"linux","variant":"v8"' ;;
    *) printf '"architecture":"%s","os":"linux"' "$1" ;;
  esac
}

tag_present() { curl -sf -o /dev/null -I -H "Accept: $MANIFEST_TYPES" "$(url "manifests/$(tag_of "$1")")"; }

# The index lists every platform and each per-platform tag resolves.
already_done() {
  local index arch
  index=$(curl -sf -H "Accept: $INDEX_TYPE" "$(url manifests/latest)") || return 1
  for arch in "${ARCHES[@]}"; do
    grep -qF "$(index_platform_of "$arch")" <<<"$index" || return 1
    tag_present "$arch" || return 1
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

has_candidates() { # package...
  local p
  for p in "$@"; do grep -q 'Candidate: [^(]' <<<"$(apt-cache policy "$p" 2>/dev/null)" || return 1; done
}

fetch_debs() { # arch...
  local arch missing=()
  for arch in "$@"; do [ -n "$(deb_for "$arch")" ] || missing+=("$arch"); done
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
  local p
  if ! has_candidates "${pkgs[@]}"; then
    log "apt-get update"
    # One mirror failing (e.g. the security suite mid-sync) is no matter while the packages are found.
    apt-get update -qq >/dev/null || has_candidates "${pkgs[@]}" || die "apt-get update failed"
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
  # --list-full gives each applet's install path (bin/sh, usr/bin/env, sbin/ifconfig, ...). The arm
  # binaries run here through QEMU binfmt; without it, fall back to a fixed list in /bin.
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
  local arch=$1 ref version got platform
  ref=$REGISTRY/$REPO:$(tag_of "$arch")
  platform=$(platform_of "$arch")
  version=$(dpkg-deb -f "$(deb_for "$arch")" Version)
  log "$arch: building $ref for $platform (busybox-static $version)"
  # The plain builder needs no buildx plugin (Debian's docker.io has none); FROM scratch + ADD is all it does.
  DOCKER_BUILDKIT=0 docker build -q --platform "$platform" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.description=busybox-static from Debian for Slipway tests" \
    -t "$ref" "$CACHE/$arch" >"$CACHE/$arch/build.log" 2>&1 ||
    { cat "$CACHE/$arch/build.log" >&2; die "$arch: docker build failed"; }
  got=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$ref")
  [ "$got" = "${platform%/v*}" ] || die "$arch: built image is $got, not $platform"
  log "$arch: pushing $ref"
  docker push "$ref" >"$CACHE/$arch/push.log" 2>&1 ||
    { cat "$CACHE/$arch/push.log" >&2; die "$arch: docker push failed"; }
}

push_index() {
  local arch tag body headers type digest size entries=()
  mkdir -p "$CACHE/index"
  for arch in "${ARCHES[@]}"; do
    tag=$(tag_of "$arch")
    body=$CACHE/index/$tag.json
    headers=$CACHE/index/$tag.headers
    curl -sf -H "Accept: $MANIFEST_TYPES" -D "$headers" -o "$body" "$(url "manifests/$tag")" ||
      die "$arch: cannot read back manifest $REPO:$tag"
    type=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^;[:space:]]*\).*/\1/p' "$headers" | tail -n 1)
    digest=sha256:$(sha256sum "$body" | cut -d' ' -f1)
    size=$(wc -c <"$body" | tr -d ' ')
    entries+=("{\"mediaType\":\"$type\",\"digest\":\"$digest\",\"size\":$size,\"platform\":{$(index_platform_of "$arch")}}")
  done
  local joined
  joined=$(IFS=,; printf '%s' "${entries[*]}")
  printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$INDEX_TYPE" "$joined" >"$CACHE/index.json"
  log "pushing index $REGISTRY/$REPO:latest (${ARCHES[*]})"
  curl -sf -X PUT -H "Content-Type: $INDEX_TYPE" --data-binary "@$CACHE/index.json" \
    "$(url manifests/latest)" >/dev/null || die "registry refused the image index"
  already_done || die "registry does not list every platform under $REPO:latest after the push"
}

check_emulated_runs() {
  local arch want out
  for arch in arm64 armhf; do
    case $arch in arm64) want=aarch64 ;; armhf) want=armv7l ;; esac
    if out=$(docker run --rm --platform "$(platform_of "$arch")" "$REGISTRY/$REPO:$(tag_of "$arch")" uname -m 2>&1) && [ "$out" = "$want" ]; then
      log "$arch image runs under emulation (uname -m: $want)"
    else
      log "warning: $arch image did not run as $want (got: ${out:-nothing}); check the QEMU binfmt handlers (scripts/stack.sh status)"
    fi
  done
}

TAGS=$(for arch in "${ARCHES[@]}"; do printf ':%s ' "$(tag_of "$arch")"; done)
if [ $FORCE = 0 ] && already_done; then
  log "$REGISTRY/$REPO:latest, $TAGS already present"
  exit 0
fi
preflight
# Images already pushed are kept: a rebuild gets a new digest (the image's creation time), which would
# look like a base-image update to everything built on it.
BUILD=()
for arch in "${ARCHES[@]}"; do
  if [ $FORCE = 1 ] || ! tag_present "$arch"; then BUILD+=("$arch"); fi
done
fetch_debs "${BUILD[@]}"
for arch in "${BUILD[@]}"; do
  make_rootfs "$arch"
  build_and_push "$arch"
done
push_index
check_emulated_runs
log "done: $REGISTRY/$REPO:latest, $TAGS"
