#!/usr/bin/env bash
# Runs the whole test suite on this machine, installing what is missing first (a Docker engine
# and the containers' base image among it), then checks that no network namespace, container,
# network or image of the project survived the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-host.sh
# The container backend's tests need a Docker engine and the base image (built once per machine).
if [ "$(id -u)" -eq 0 ]; then
  bash ci/docker-engine.sh
  bash ci/container-image.sh
  images_before=$(docker images -q --no-trunc | sort -u)
fi
# install, not only verify: the kernel tests below take the modules' class paths from the local
# repository, which must hold this checkout's artifacts (on a fresh machine it holds none).
mvn -B -ntp install "$@"
if command -v ip >/dev/null && [ "$(id -u)" -eq 0 ]; then
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep '^elx' || true)
  if [ -n "$left" ]; then
    echo "test suite left network namespaces behind: $left" >&2
    exit 1
  fi
  echo "no network namespaces left behind"
  if docker version >/dev/null 2>&1; then
    left=$(docker ps -aq --filter label=dev.electrode.owner-pid; docker network ls -q --filter label=dev.electrode.owner-pid)
    if [ -n "$left" ]; then
      echo "test suite left containers or networks behind: $left" >&2
      exit 1
    fi
    images=$(comm -13 <(echo "${images_before:-}") <(docker images -q --no-trunc | sort -u))
    if [ -n "$images" ]; then
      echo "test suite left images behind: $images" >&2
      exit 1
    fi
    echo "no containers, networks or images left behind (base image: $(docker images -q electrode-base:latest))"
  fi
fi
# The kernel-facing tests must also pass on the Vagrant VM's kernel (Debian 12, 6.1), under QEMU:
# the bpf module's tests and an Electrode scenario (about 6 minutes; the first run on a machine
# also builds the guest's root, about 2 more).
if [ "$(id -u)" -eq 0 ] && [ "${SKIP_KERNEL_TESTS:-0}" != 1 ]; then
  bash ci/kernel-tests.sh
fi
