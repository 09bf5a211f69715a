#!/usr/bin/env bash
# Builds the small local image the Docker backends run (no registry needed): the host's node
# binary, dash as /bin/sh, a few coreutils, and exactly the shared libraries they link (ldd),
# imported with `docker import`. Idempotent: an image already built from the same node binary
# is kept. Usage: .ci/build-image.sh [tag]   (default $SANDBOX_PERF_DOCKER_IMAGE or sandbox-perf/node:local)
set -euo pipefail

tag="${1:-${SANDBOX_PERF_DOCKER_IMAGE:-sandbox-perf/node:local}}"
node_bin="$(readlink -f "$(type -P node)")"
# The label ties the image to the node binary and to this script, so changing either rebuilds it.
stamp="$(cat "$node_bin" "$0" | sha256sum | cut -c1-16)"

if [ "$(docker image inspect --format '{{ index .Config.Labels "sandbox-perf.node" }}' "$tag" 2>/dev/null || true)" = "$stamp" ]; then
  echo "build-image: $tag is up to date (node $("$node_bin" --version))"
  exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

copy() {
  local src="$1" dest="$2"
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$src" "$root$dest"
}

# Binaries the tests and typical commands need; `sleep` keeps the warm container alive; `grep` and
# `setsid` let the hostile-code tests count processes and escape into a new session as an attacker would;
# `sha256sum` and `wc` let compare hash the resolved program inside the sandbox (src/runners/resolveCommand.ts).
copy "$node_bin" /usr/local/bin/node
copy "$(readlink -f "$(type -P dash)")" /bin/sh
for tool in sleep cat env id ls touch true false grep setsid sha256sum wc; do
  copy "$(readlink -f "$(type -P "$tool")")" "/bin/$tool"
done

# Every shared library the copied binaries link, at the path the loader looks for it.
for bin in "$root"/usr/local/bin/* "$root"/bin/*; do
  ldd "$bin" | awk '/=> \// { print $3 } /^[ \t]*\/lib/ { print $1 }'
done | sort -u | while read -r lib; do
  copy "$lib" "$lib"
done

mkdir -p "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/work"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL sandbox-perf.node=$stamp" \
  --change 'CMD ["/bin/sh"]' \
  - "$tag" > /dev/null
docker image prune --force --filter label=sandbox-perf.node > /dev/null
echo "build-image: built $tag ($(docker image inspect --format '{{ .Size }}' "$tag") bytes, node $("$node_bin" --version))"
