#!/usr/bin/env bash
# Compiles the eBPF programs (called by the Maven build): build-bpf.sh SRC_DIR OUT_DIR
set -euo pipefail
src=$1 out=$2
if ! command -v clang >/dev/null; then
  echo "build-bpf: clang not found: the eBPF programs need clang and libbpf-dev (run ci/setup-host.sh)" >&2
  exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "build-bpf: /usr/include/bpf/bpf_helpers.h missing: install libbpf-dev (run ci/setup-host.sh)" >&2
  exit 1
fi
mkdir -p "$out"
arch_inc=/usr/include/$(uname -m)-linux-gnu
for c in "$src"/*.bpf.c; do
  o="$out/$(basename "${c%.c}").o"
  # -g keeps BTF (map definitions, and the struct layouts the Java mirror is checked against);
  # -mcpu=v3 gives 32-bit jumps and atomics with fetch (compare-and-swap, fetch-or).
  clang -O2 -g -Wall -Werror -Wno-unused-function -Wno-pass-failed -target bpf -mcpu=v3 \
        -I"$arch_inc" -I"$src" -c "$c" -o "$o"
done
