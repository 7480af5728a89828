#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock: installs docker.io from Debian
# if dockerd is missing, and starts dockerd by hand when none runs (CI runners and this VM
# have no systemd). Idempotent. Exits non-zero, naming the cause, if the engine cannot start.
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v dockerd >/dev/null; then
  echo "docker-engine: installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends docker.io >/dev/null
fi
if $SUDO docker version >/dev/null 2>&1; then echo "docker-engine: running"; exit 0; fi

log=/var/log/electrode-dockerd.log
echo "docker-engine: starting dockerd (log: $log)"
$SUDO sh -c "nohup dockerd >>$log 2>&1 &"
for _ in $(seq 1 60); do
  if $SUDO docker version >/dev/null 2>&1; then echo "docker-engine: running"; exit 0; fi
  sleep 0.5
done
echo "docker-engine: dockerd did not answer within 30 s; last lines of $log:" >&2
tail -20 "$log" >&2
exit 1
