# Sourced by ci/kernel-check.sh and ci/kernel-tests.sh: downloads a Debian kernel package (by
# default the meta package linux-image-amd64, the Vagrant VM's Debian 12 kernel, 6.1) without
# installing it, and unpacks it into "$1/k". Sets vmlinuz (the image), kver (its version) and
# kmods (its /lib/modules/<kver> directory).
fetch_debian_kernel() {
  local work=$1 pkg=${2:-linux-image-amd64} real dl="$1/apt"
  # apt downloads as its own user (_apt) where it exists: give it the directory.
  chmod o+x "$work"; mkdir -p "$dl"; chown _apt "$dl" 2>/dev/null || true
  (cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>&1)
  # The meta package only depends on the real image: resolve and fetch that.
  real=$(dpkg-deb -f "$dl"/*.deb Depends | tr ',' '\n' | grep -o 'linux-image-[0-9][^ ]*' | head -1 || true)
  if [ -n "$real" ]; then rm -f "$dl"/*.deb; (cd "$dl" && apt-get download -q "$real" >/dev/null); fi
  dpkg-deb -x "$dl"/linux-image-*.deb "$work/k"
  vmlinuz=$(ls "$work"/k/boot/vmlinuz-*)
  kver=${vmlinuz##*/vmlinuz-}
  kmods="$work/k/lib/modules/$kver"
}
