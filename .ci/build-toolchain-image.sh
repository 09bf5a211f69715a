#!/usr/bin/env bash
# Builds the image the Docker backends need to run real builds (docs/large-projects.md): the local
# node image (.ci/build-image.sh) plus the host's own C toolchain (gcc, cpp, binutils, make, the C
# library's headers and start files, as Debian packages them: the files `dpkg -L` lists), npm, and
# every shared library those programs link (ldd), imported with `docker import` (no registry is
# reachable). Idempotent: an image built from the same packages, npm and this script is kept.
# Usage: .ci/build-toolchain-image.sh [tag]   (default sandbox-perf/toolchain:local)
set -euo pipefail
cd "$(dirname "$0")/.."

tag="${1:-sandbox-perf/toolchain:local}"
base="${SANDBOX_PERF_DOCKER_IMAGE:-sandbox-perf/node:local}"
packages=(gcc gcc-12 cpp cpp-12 libgcc-12-dev binutils binutils-x86-64-linux-gnu libbinutils libc6-dev linux-libc-dev libcrypt-dev make)
npm_dir="$(dirname "$(dirname "$(readlink -f "$(type -P npm)")")")"

bash .ci/build-image.sh "$base" > /dev/null
base_id="$(docker image inspect --format '{{ .Id }}' "$base")"
stamp="$( (echo "$base_id"; dpkg-query -W "${packages[@]}"; cat "$npm_dir/package.json" "$0") | sha256sum | cut -c1-16)"
if [ "$(docker image inspect --format '{{ index .Config.Labels "sandbox-perf.toolchain" }}' "$tag" 2> /dev/null || true)" = "$stamp" ]; then
  echo "build-toolchain-image: $tag is up to date"
  exit 0
fi

root="$(mktemp -d)"
container=""
cleanup() {
  [ -z "$container" ] || docker rm -f "$container" > /dev/null 2>&1 || true
  rm -rf "$root"
}
trap cleanup EXIT

# The node image's files first, so the toolchain image stays a superset of what the tests expect there.
container="$(docker create "$base")"
docker export "$container" | tar -C "$root" -x

# Each package's files as installed (symlinks kept as links: gcc -> gcc-12), directories skipped,
# and links to directories too (merged /usr: the node image's /lib is a directory already).
for pkg in "${packages[@]}"; do dpkg -L "$pkg"; done | sort -u | while read -r f; do
  if [ -d "$f" ]; then continue; fi
  if [ -L "$f" ] || [ -f "$f" ]; then mkdir -p "$root$(dirname "$f")" && cp -a "$f" "$root$f"; fi
done

# npm is a Node program: its package and a launcher on PATH.
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/bin"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
printf '#!/bin/sh\nexec node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n' > "$root/usr/local/bin/npm"
chmod 755 "$root/usr/local/bin/npm"
# A few tools the build scripts use (make's recipes run through /bin/sh).
for tool in rm mkdir cp mv cc sed cmp expr uname; do
  p="$(type -P "$tool" || true)"
  if [ -n "$p" ] && [ ! -e "$root/bin/$tool" ] && [ ! -e "$root$p" ]; then cp -L "$p" "$root/bin/$tool"; fi
done

# Every shared library the ELF programs and libraries in the image link, at the path the loader looks for it.
find "$root" -type f -perm -u+x -print0 | xargs -0 file -N --mime-type | awk -F': ' '/application\/x-(pie-)?(executable|sharedlib)/ { print $1 }' |
  while read -r elf; do ldd "$elf" 2> /dev/null || true; done |
  awk '/=> \// { print $3 } /^[ \t]*\/lib/ { print $1 }' | sort -u | while read -r lib; do
  [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"; }
done

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL sandbox-perf.toolchain=$stamp" \
  --change 'CMD ["/bin/sh"]' \
  - "$tag" > /dev/null
docker image prune --force --filter label=sandbox-perf.toolchain > /dev/null
echo "build-toolchain-image: built $tag ($(docker image inspect --format '{{ .Size }}' "$tag") bytes: gcc $(gcc -dumpversion), make, binutils, npm $(node -p "require('$npm_dir/package.json').version"))"
