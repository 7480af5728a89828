#!/usr/bin/env bash
# Builds the base image the container testbed runs replicas in, once per machine, without a
# registry: a Debian 12 minbase root (debootstrap) with a JRE and libbpf, imported with
# `docker import`. The tag carries a hash of this script, so a changed recipe builds anew and
# an unchanged one is reused. Prints the tag. Needs a running engine (ci/docker-engine.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=openjdk-17-jre-headless,libbpf1,iproute2,procps
MIRROR=${ELECTRODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tag="electrode-base:bookworm-$(sha256sum "$0" | cut -c1-12)"

if $SUDO docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi
command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }

root=$(mktemp -d /tmp/electrode-image.XXXXXX)
trap '$SUDO rm -rf "$root"' EXIT
start=$(date +%s)
echo "container-image: debootstrap bookworm with $PACKAGES (a few minutes, once per machine)" >&2
if ! $SUDO debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$MIRROR" > "$root.log" 2>&1; then
  echo "container-image: debootstrap failed; last lines of $root.log:" >&2; tail -20 "$root.log" >&2; exit 1
fi
# Smaller image: no apt lists, docs or caches.
$SUDO rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man
$SUDO tar -C "$root" -c . | $SUDO docker import -c 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
rm -f "$root.log"
echo "container-image: built $tag in $(( $(date +%s) - start )) s" >&2
echo "$tag"
