#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian/Ubuntu host. Idempotent:
# packages already present are not reinstalled, and apt's index is refreshed only
# when something is missing. Run as root (or with sudo available).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-host: need root or sudo" >&2; exit 1; }
  SUDO="sudo"
fi

# Packages: the eBPF toolchain (clang/llvm/libbpf/bpftool), networking tools for the
# namespace testbed (iproute2, nftables, tcpdump, libpcap), fonts for the benchmark's PNG
# plots (headless AWT needs fontconfig and one font), tshark for the Wireshark dissector's test,
# and the Java build.
PKGS=(clang llvm libbpf-dev libbpf1 iproute2 nftables tcpdump libpcap-dev ethtool procps fontconfig fonts-dejavu-core tshark)

# bpftool is its own package on Debian 12; Ubuntu ships it in linux-tools.
bpftool_pkg() {
  if apt-cache show bpftool >/dev/null 2>&1; then echo bpftool
  else echo "linux-tools-common linux-tools-$(uname -r)"; fi
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v bpftool >/dev/null || missing+=("__bpftool__")
command -v javac >/dev/null || missing+=("openjdk-17-jdk-headless")
command -v mvn >/dev/null || missing+=("maven")

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-host: installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # wireshark-common asks whether non-root users may capture: no (and no prompt).
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -q
  resolved=()
  for p in "${missing[@]}"; do
    if [ "$p" = "__bpftool__" ]; then
      # shellcheck disable=SC2207
      resolved+=($(bpftool_pkg))
    else
      resolved+=("$p")
    fi
  done
  # linux-tools for a custom kernel may not exist; bpftool is optional for the build.
  $SUDO apt-get install -y -q --no-install-recommends "${resolved[@]}" || {
    echo "setup-host: retrying without kernel-specific linux-tools" >&2
    filtered=()
    for p in "${resolved[@]}"; do case "$p" in linux-tools-*) ;; *) filtered+=("$p");; esac; done
    $SUDO apt-get install -y -q --no-install-recommends "${filtered[@]}"
  }
fi

# bpffs is needed by later offload work; mounting it is harmless and idempotent.
if [ -d /sys/fs/bpf ] && ! mountpoint -q /sys/fs/bpf; then
  $SUDO mount -t bpf bpf /sys/fs/bpf 2>/dev/null || echo "setup-host: note: could not mount bpffs on /sys/fs/bpf" >&2
fi

# (no `| head` here: with pipefail, the writer's SIGPIPE would fail the script)
jv=$(java -version 2>&1); mv=$(mvn -v 2>/dev/null)
echo "setup-host: ok (${jv%%$'\n'*}; ${mv%%$'\n'*})"
