#!/usr/bin/env bash
# Builds the base image the container testbed runs replicas in, once per machine, without a
# registry: a Debian 12 minbase root (debootstrap) with a JRE and libbpf, imported with
# `docker import`. The tag carries a hash of the recipe (release, packages, cleanup), so a changed
# recipe builds anew (and replaces the older build) and an unchanged one is reused; electrode-base:latest (what the tests use) points at it. Prints the
# tag. Needs a running engine (ci/docker-engine.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=openjdk-17-jre-headless,libbpf1,iproute2,procps
MIRROR=${ELECTRODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
RELEASE=bookworm
CLEANUP="var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc usr/share/man"
tag="electrode-base:$RELEASE-$(echo "$RELEASE|$PACKAGES|$CLEANUP|LANG=C.UTF-8" | sha256sum | cut -c1-12)"
latest=electrode-base:latest

if $SUDO docker image inspect "$tag" >/dev/null 2>&1; then $SUDO docker tag "$tag" "$latest"; echo "$tag"; exit 0; fi
# debootstrap, and Debian's archive key to check what it downloads (Ubuntu hosts lack it).
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if ! command -v debootstrap >/dev/null || [ ! -f "$keyring" ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends debootstrap debian-archive-keyring >/dev/null
fi

root=$(mktemp -d /tmp/electrode-image.XXXXXX)
trap '$SUDO rm -rf "$root"' EXIT
start=$(date +%s)
echo "container-image: debootstrap bookworm with $PACKAGES (a few minutes, once per machine)" >&2
if ! $SUDO debootstrap --keyring="$keyring" --variant=minbase --include="$PACKAGES" "$RELEASE" "$root" "$MIRROR" > "$root.log" 2>&1; then
  echo "container-image: debootstrap failed; last lines of $root.log:" >&2; tail -20 "$root.log" >&2; exit 1
fi
# Smaller image: no apt lists, docs or caches.
for p in $CLEANUP; do $SUDO sh -c "rm -rf $root/$p"; done
$SUDO tar -C "$root" -c . | $SUDO docker import -c 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
rm -f "$root.log"
$SUDO docker tag "$tag" "$latest"
# Older builds of the recipe are not kept.
for old in $($SUDO docker images electrode-base --format '{{.Repository}}:{{.Tag}}' | grep -v -e ":latest$" -e "^$tag$" || true); do
  $SUDO docker rmi "$old" >/dev/null || true
done
echo "container-image: built $tag in $(( $(date +%s) - start )) s" >&2
echo "$tag"
