#!/usr/bin/env bash
# Mounts tracefs (predict's counter) and installs what the end-to-end tests drive (Debian packages): Prometheus with promtool for the
# exporter tests, Chromium for the dashboard test, hyperfine and python3 for the compare export
# tests (--export-hyperfine is checked against real hyperfine output), crun for runc-pool (its
# containers start with crun when it is installed, at about a third of runc's CPU; runc, from
# .ci/docker-up.sh, is the fallback). Does nothing when all are present.
set -euo pipefail
# predict counts a command's calls with the kernel's syscall tracepoints (and clock reads with a
# uprobe); without tracefs it falls back to strace, blind to both, and their tests cannot run. A
# fresh VM of this kind has tracefs in its kernel but not mounted: mount it where it can be.
if [ "$(id -u)" -eq 0 ] && grep -qw tracefs /proc/filesystems && [ -d /sys/kernel/tracing ] &&
  [ ! -e /sys/kernel/tracing/events/raw_syscalls ]; then
  mount -t tracefs nodev /sys/kernel/tracing && echo "e2e-deps: mounted tracefs at /sys/kernel/tracing"
fi
need=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v python3 >/dev/null || need+=(python3)
command -v crun >/dev/null || need+=(crun)
# A C compiler for the launcher timer and the socket guard (native/launcher.c, native/guard.c, built by
# `npm ci` through the install script).
command -v cc >/dev/null || need+=(gcc libc6-dev)
if [ ${#need[@]} -eq 0 ]; then
  echo "e2e-deps: prometheus, promtool, chromium, hyperfine, python3 and crun are present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "e2e-deps: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
# The Debian package starts a Prometheus service where systemd runs; the tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  $sudo systemctl stop prometheus || true
fi
# Built after the compiler arrived (npm ci ran the install script before it was there).
[ -x native/bin/sandbox-perf-launcher ] && [ -x native/bin/sandbox-perf-guard ] && [ -x native/bin/sandbox-perf-crunv1 ] || node native/build.js
