#!/usr/bin/env bash
# Runs the kernel-facing tests inside another kernel: the one the Vagrant VM runs (Debian 12's
# linux-image-amd64, 6.1), booted under QEMU the way libbpf's vmtest does, with a Debian root
# (debootstrap, with a JRE) as its initramfs. Inside: the bpf module's tests (BPF_PROG_TEST_RUN,
# veths, attach/detach) and an Electrode scenario on veths in namespaces (n = 3, all offloads).
# Needs root and a built project (mvn install). Usage: ci/kernel-tests.sh [KERNEL_PACKAGE]
# KERNEL_TESTS_TIMEOUT (seconds, default 2400) bounds the VM; KEEP_WORK=1 keeps its directory;
# KERNEL_TESTS_ONLY="bpf" or "electrode" runs one of the two.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-linux-image-amd64}
start=$(date +%s)
work=$(mktemp -d /tmp/electrode-kernel-tests.XXXXXX)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

need=()
for p in qemu-system-x86 debootstrap debian-archive-keyring cpio; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
[ -f bpf/target/classes/bpf/electrode.bpf.o ] && [ -d testbed/target/test-classes ] \
  || { echo "kernel-tests: build first (mvn -B -DskipTests install)" >&2; exit 1; }

# The guest's root: Debian 12 with a JRE and what the tests call (ip, tc, ethtool, nft, libpcap,
# libbpf, modprobe). Built once per machine and cached as a tarball named by its recipe.
PACKAGES=openjdk-17-jre-headless,libbpf1,libpcap0.8,iproute2,ethtool,nftables,kmod,procps
cache=/var/cache/electrode
rootball="$cache/vm-root-$(echo "bookworm|$PACKAGES" | sha256sum | cut -c1-12).tar"
mkdir -p "$cache"
if [ ! -f "$rootball" ]; then
  echo "kernel-tests: debootstrap bookworm with $PACKAGES (once per machine)"
  debootstrap --keyring=/usr/share/keyrings/debian-archive-keyring.gpg --variant=minbase --include="$PACKAGES" bookworm "$work/base" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work"/base/var/cache/apt/archives/*.deb "$work"/base/var/lib/apt/lists/* "$work"/base/usr/share/{doc,man,locale}
  tar -C "$work/base" -cf "$rootball.tmp" . && mv "$rootball.tmp" "$rootball"
  rm -rf "$work/base"
  find "$cache" -name 'vm-root-*.tar' ! -name "$(basename "$rootball")" -delete
fi
root="$work/root"
mkdir -p "$root"
tar -C "$root" -xf "$rootball"

# The kernel, and its modules in the root (depmod runs in the root: the host may lack kmod).
# shellcheck source=ci/lib/debian-kernel.sh
. ci/lib/debian-kernel.sh
fetch_debian_kernel "$work" "$pkg"
# Only the modules the tests load, with what they depend on (all of them would double the initramfs).
MODULES="veth bridge sch_ingress cls_bpf sch_htb sch_tbf ifb nf_tables"
mkdir -p "$root/lib/modules"
cp -a "$kmods" "$root/lib/modules/"
chroot "$root" depmod "$kver"
# shellcheck disable=SC2086
keep=$(chroot "$root" modprobe -a -S "$kver" --show-depends $MODULES | awk '$1 == "insmod" {print $2}' | sort -u)
find "$root/lib/modules/$kver" -name '*.ko*' | while read -r f; do
  grep -qxF "${f#"$root"}" <<<"$keep" || rm -f "$f"
done
chroot "$root" depmod "$kver"

# The tests: the project's sources and classes at their own paths, and the test class paths'
# jars at theirs, so the class paths Maven prints work unchanged inside.
repo=$(pwd)
junit=$(sed -n 's:.*<junit.version>5\.\(.*\)</junit.version>.*:\1:p' pom.xml) # Jupiter 5.x.y goes with Platform 1.x.y
mvn -B -ntp -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:1.$junit" -DoutputDirectory="$work/launcher"
for m in bpf testbed; do
  mvn -B -ntp -q -pl "$m" dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/$m.cp"
done
{ tr ':' '\n' < "$work/bpf.cp"; echo; tr ':' '\n' < "$work/testbed.cp"; echo; } > "$work/jars"
sort -u "$work/jars" | while read -r j; do [ -n "$j" ] && mkdir -p "$root$(dirname "$j")" && cp "$j" "$root$j"; done
for m in replica netns bpf testbed; do
  mkdir -p "$root$repo/$m/target"
  cp -a "$m/src" "$m/pom.xml" "$root$repo/$m/"
  cp -a "$m/target/classes" "$m/target/test-classes" "$root$repo/$m/target/"
done
cp "$work"/launcher/*.jar "$root/junit-console.jar"
echo "$repo/bpf/target/test-classes:$repo/bpf/target/classes:$(cat "$work/bpf.cp")" > "$root/bpf.cp"
echo "$repo/testbed/target/test-classes:$repo/testbed/target/classes:$(cat "$work/testbed.cp")" > "$root/testbed.cp"

cat > "$root/init" <<INIT
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mkdir -p /dev/pts /dev/shm
# /tmp is not replaced: the initramfs is in memory already, and the project may live under /tmp.
mount -t tmpfs run /run
mount -t bpf bpf /sys/fs/bpf; mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
echo "KERNEL \$(cat /proc/version)"
for m in $MODULES; do modprobe \$m || echo "MODPROBE FAILED \$m"; done
run() { # name, module dir, class path file, selector...
  name=\$1 dir=\$2 cp=\$3; shift 3
  t0=\$(date +%s)
  # The tests' classes on the JVM's own class path: tests that start a child JVM pass theirs on.
  cd "\$dir" && java -XX:+UseSerialGC -XX:ErrorFile=/tmp/hs_err_%p.log -Djunit.jupiter.execution.timeout.mode=disabled -Delectrode.testbed.patience=6 \\
    -cp "\$(cat \$cp):/junit-console.jar" org.junit.platform.console.ConsoleLauncher execute --disable-banner \\
    --details=summary --fail-if-no-tests "\$@" > /tmp/\$name.log 2>&1
  status=\$?
  echo "RESULT \$name exit \$status in \$((\$(date +%s) - t0)) s"
  grep -E "tests (successful|failed|aborted|skipped|found)|containers failed|MethodSource|=> |evidence " /tmp/\$name.log | head -60 | sed "s/^/[\$name] /"
  if [ \$status -ne 0 ]; then
    grep -E -A12 "=> |Caused by" /tmp/\$name.log | head -80 | sed "s/^/[\$name] /"
    grep -A14 "^captures:" /tmp/\$name.log | head -30 | sed "s/^/[\$name] /"
    # The frames of the failed test's captures, decoded with the project's own codec.
    for f in \$(find "\$dir/target/testbed" -name 'switch-p*.pcap' 2>/dev/null | sort); do
      java -cp "\$(cat \$cp)" dev.electrode.cli.ElectrodeMain pcap "\$f" 2>&1 | tail -\${KERNEL_TESTS_PCAP_LINES:-40} | sed "s/^/[\$name] \$(basename \$f): /"
    done
    tail -30 /tmp/\$name.log | sed "s/^/[\$name] /"
    for f in /tmp/hs_err_*.log /tmp/junit-*/err; do [ -f "\$f" ] && head -30 "\$f" | sed "s/^/[\$name] \$(basename \$f): /" && rm -f "\$f"; done
  fi
}
case " ${KERNEL_TESTS_ONLY:-bpf electrode} " in *" bpf "*) run bpf $repo/bpf /bpf.cp --select-package dev.electrode.bpf;; esac
case " ${KERNEL_TESTS_ONLY:-bpf electrode} " in *" electrode "*) run electrode $repo/testbed /testbed.cp --select-class dev.electrode.testbed.Electrode3AllOffloadsTest;; esac
echo "TESTS DONE"; sync; echo o > /proc/sysrq-trigger; sleep 5
INIT
chmod +x "$root/init"
echo "kernel-tests: root ready ($(du -sh "$root" | cut -f1)), kernel $kver; booting under QEMU ($(( $(date +%s) - start )) s so far)"
(cd "$root" && find . | cpio -o -H newc --quiet > "$work/initrd.cpio")
rm -rf "$root"

# Software emulation (no /dev/kvm here; nested KVM often hangs guests early), on both cores.
if [ "${KERNEL_TESTS_ACCEL:-tcg}" = kvm ]; then accel=(-accel kvm -cpu host); else accel=(-accel "tcg,thread=${KERNEL_TESTS_TCG_THREADS:-single}" -cpu "${KERNEL_TESTS_CPU:-qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16}"); fi
boot=$(date +%s)
timeout "${KERNEL_TESTS_TIMEOUT:-2400}" qemu-system-x86_64 "${accel[@]}" -smp 2 -m 6144 -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$work/initrd.cpio" -append "console=ttyS0 panic=-1 quiet rdinit=/init" > "$work/console" 2>&1 || true
grep -E "^(KERNEL|MODPROBE|RESULT|TESTS DONE|\[bpf\]|\[electrode\])" "$work/console" | sed "s/^/[$kver] /"
echo "kernel-tests: VM ran $(( $(date +%s) - boot )) s; $(( $(date +%s) - start )) s in all"
grep -q "TESTS DONE" "$work/console" || { echo "kernel-tests: the VM did not finish; console:" >&2; tail -40 "$work/console" >&2; exit 1; }
! grep -q "^RESULT .* exit [1-9]" "$work/console"
