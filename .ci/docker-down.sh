#!/usr/bin/env bash
# Stops the dockerd that .ci/docker-up.sh started (by the PID it wrote), and nothing else.
set -euo pipefail

pid_file="${SANDBOX_PERF_DOCKERD_PID:-/tmp/sandbox-perf-dockerd.pid}"
[ -f "$pid_file" ] || { echo "docker-down: no $pid_file; nothing to stop"; exit 0; }
pid="$(cat "$pid_file")"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if $sudo kill -TERM "$pid" 2> /dev/null; then
  # dockerd stops its containers first; give it up to 20 s before forcing.
  for _ in $(seq 1 40); do
    $sudo kill -0 "$pid" 2> /dev/null || break
    sleep 0.5
  done
  $sudo kill -0 "$pid" 2> /dev/null && $sudo kill -KILL "$pid"
  echo "docker-down: stopped dockerd (PID $pid)"
fi
rm -f "$pid_file"
