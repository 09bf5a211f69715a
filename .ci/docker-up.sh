#!/usr/bin/env bash
# Makes every sandbox backend available for the end-to-end tests: installs bubblewrap,
# docker.io and runc (runc-pool calls it directly; docker.io depends on it anyway), and runsc when Debian has it, if missing, starts dockerd in the background unless an
# engine already answers, waits for it, and builds the local image. Idempotent.
# Writes the PID of a dockerd it started to $SANDBOX_PERF_DOCKERD_PID (default /tmp/sandbox-perf-dockerd.pid),
# which .ci/docker-down.sh reads; an engine that was already running is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

pid_file="${SANDBOX_PERF_DOCKERD_PID:-/tmp/sandbox-perf-dockerd.pid}"
log_file="${SANDBOX_PERF_DOCKERD_LOG:-/tmp/sandbox-perf-dockerd.log}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
command -v bwrap > /dev/null || missing+=(bubblewrap)
command -v dockerd > /dev/null || missing+=(docker.io)
command -v runc > /dev/null || missing+=(runc)
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if ! command -v runsc > /dev/null; then
  # gVisor is optional: its tests skip, saying why, where it cannot be installed.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc || echo "docker-up: runsc not installed; the gvisor backend will be skipped"
fi

if docker version --format '{{.Server.Version}}' > /dev/null 2>&1; then
  echo "docker-up: an engine already answers; leaving it alone"
else
  $sudo sh -c "dockerd > '$log_file' 2>&1 & echo \$! > '$pid_file'"
  for _ in $(seq 1 60); do
    docker version --format '{{.Server.Version}}' > /dev/null 2>&1 && break
    if ! kill -0 "$(cat "$pid_file")" 2> /dev/null; then
      echo "docker-up: dockerd exited; last lines of $log_file:" >&2
      tail -20 "$log_file" >&2
      exit 1
    fi
    sleep 0.5
  done
  docker version --format '{{.Server.Version}}' > /dev/null || { echo "docker-up: dockerd did not answer within 30 s (see $log_file)" >&2; exit 1; }
  echo "docker-up: dockerd $(docker version --format '{{.Server.Version}}') started (PID $(cat "$pid_file"), log $log_file)"
fi

# gVisor as a Docker runtime (the gvisor-pool backend): merge `runsc` into daemon.json, keeping
# whatever else it holds, and make the engine re-read it (SIGHUP reloads runtimes without a restart).
if command -v runsc > /dev/null; then
  daemon_json=/etc/docker/daemon.json
  if $sudo node -e '
    const fs = require("node:fs");
    const file = process.argv[1];
    const config = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8") || "{}") : {};
    const want = { path: "/usr/bin/runsc", runtimeArgs: ["--ignore-cgroups", "--network=none"] };
    if (JSON.stringify(config.runtimes?.runsc) === JSON.stringify(want)) process.exit(1);
    config.runtimes = { ...config.runtimes, runsc: want };
    fs.mkdirSync(require("node:path").dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
  ' "$daemon_json"; then
    # dockerd writes its PID to /var/run/docker.pid (its default --pidfile).
    $sudo kill -HUP "$(cat /var/run/docker.pid 2> /dev/null || cat "$pid_file")"
    for _ in $(seq 1 20); do
      docker info --format '{{json .Runtimes}}' 2> /dev/null | grep -q '"runsc"' && break
      sleep 0.25
    done
    echo "docker-up: registered runsc as a Docker runtime in $daemon_json"
  fi
fi

.ci/build-image.sh
# The real builds' toolchain (gcc, make, binutils, npm) for the large-builds tests and docs/large-projects.md.
.ci/build-toolchain-image.sh
