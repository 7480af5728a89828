#!/usr/bin/env bash
# Loads every eBPF program of the project into another kernel: the one the Vagrant VM runs
# (Debian 12's linux-image-amd64), booted with KVM (or TCG without it) on a minimal initramfs
# (busybox, bpftool and the compiled objects). Prints one line per object and exits non-zero
# if any program fails the verifier there. Usage: ci/kernel-check.sh [KERNEL_PACKAGE]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-linux-image-amd64}
work=$(mktemp -d /tmp/electrode-kernel-check.XXXXXX)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

need=()
for p in qemu-system-x86 busybox-static cpio bpftool; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
objs=(bpf/target/classes/bpf/*.bpf.o)
[ -f "${objs[0]}" ] || { echo "kernel-check: build first (mvn -pl bpf package)" >&2; exit 1; }

# The kernel image, without installing it on this machine.
# shellcheck source=ci/lib/debian-kernel.sh
. ci/lib/debian-kernel.sh
fetch_debian_kernel "$work" "$pkg"

# initramfs: busybox, bpftool with its libraries, the objects, and an init that loads them.
root="$work/root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,obj,lib64,usr/lib}
cp /bin/busybox "$root/bin/busybox"
for a in sh mount mkdir echo poweroff cat ls grep sync; do ln -s busybox "$root/bin/$a"; done
cp "$(command -v bpftool)" "$root/bin/bpftool"
for lib in $(ldd "$(command -v bpftool)" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"
done
cp "${objs[@]}" "$root/obj/"
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t bpf bpf /sys/fs/bpf 2>/dev/null || { mkdir -p /sys/fs/bpf; mount -t bpf bpf /sys/fs/bpf; }
echo "KERNEL $(cat /proc/version)"
[ -f /sys/kernel/btf/vmlinux ] && echo "BTF yes" || echo "BTF no"
for o in /obj/*.o; do
  n=$(basename "$o" .bpf.o); mkdir -p /sys/fs/bpf/$n
  if bpftool prog loadall "$o" /sys/fs/bpf/$n > /tmp/log 2>&1; then
    echo "LOAD OK $n: $(ls /sys/fs/bpf/$n | tr '\n' ' ')"
  else
    echo "LOAD FAILED $n"; grep -v '^;' /tmp/log | tail -20
  fi
done
echo "CHECK DONE"; sync; poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip > "$work/initrd.gz")

# Software emulation by default: nested KVM (a VM inside a VM, as on CI runners) often hangs a
# guest kernel early. KERNEL_CHECK_ACCEL=kvm uses KVM where it works.
if [ "${KERNEL_CHECK_ACCEL:-tcg}" = kvm ]; then accel=(-machine accel=kvm -cpu host,-arch-capabilities); else accel=(-machine accel=tcg -cpu max); fi
timeout "${KERNEL_CHECK_TIMEOUT:-600}" qemu-system-x86_64 "${accel[@]}" -m 1024 -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "console=ttyS0 panic=-1 edd=off quiet" > "$work/console" 2>&1 || true
grep -E "^(KERNEL|BTF|LOAD|CHECK)" "$work/console" | sed "s/^/[$kver] /"
grep -q "CHECK DONE" "$work/console" || { echo "kernel-check: the VM did not finish; console:" >&2; tail -30 "$work/console" >&2; exit 1; }
! grep -q "LOAD FAILED" "$work/console"
