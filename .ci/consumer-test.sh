#!/usr/bin/env bash
# The package as a user gets it: `npm pack`, install the tarball into a fresh project, then use it
# from CommonJS, ESM, TypeScript (both declaration entries, strict, skipLibCheck off; and in a second
# project without the optional peers, under four module resolutions) and the command line. Also checks that the tarball holds only what runs: no tests, benches or TypeScript sources.
#
# better-sqlite3 compiles from source on install (about a minute here). By default the compiled
# addon of this checkout's node_modules is reused when its version matches what the tarball's install
# resolves to; SANDBOX_PERF_CONSUMER_BUILD=source runs better-sqlite3's own install script instead,
# allowed through `allowScripts` in the temp project's package.json as a user would (npm 11).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/sandbox-perf-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n--- consumer: %s\n' "$1"; }
fail() {
  printf 'consumer test FAILED: %s\n' "$1" >&2
  exit 1
}

step "npm pack"
npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "npm pack"; }
tarball=$(ls "$work"/sandbox-perf-*.tgz)
tar -tzf "$tarball" | sort >"$work/contents.txt"
printf '%s: %s files, %s bytes\n' "$(basename "$tarball")" "$(wc -l <"$work/contents.txt")" "$(wc -c <"$tarball")"

step "tarball contents"
unwanted=$(grep -E '(^|/)__tests__/|^package/(src|bench|test|coverage|scripts|\.ci)/|\.map$|\.tsbuildinfo$|(\.ts|\.mts|\.cts)$' "$work/contents.txt" |
  grep -vE '\.d\.(ts|mts|cts)$' || true)
[ -z "$unwanted" ] || fail "the tarball holds files a user does not need:"$'\n'"$unwanted"
for needed in package/package.json package/README.md package/LICENSE package/dist/index.js package/dist/index.mjs \
  package/dist/index.d.ts package/dist/index.d.mts package/dist/cli/main.js package/dist/state/write/writerThread.js \
  package/workload/build.js package/docs/database-schema.md; do
  grep -qxF "$needed" "$work/contents.txt" || fail "the tarball lacks $needed"
done
echo "no tests, benches, sources or source maps; entry points, docs and the demo workload present"

step "install the tarball into a fresh project"
project="$work/project"
mkdir -p "$project"
cp .ci/consumer/consumer.cjs .ci/consumer/consumer.mjs .ci/consumer/consumer.ts .ci/consumer/consumer.mts .ci/consumer/tsconfig.json "$project/"
cat >"$project/package.json" <<JSON
{
  "name": "sandbox-perf-consumer",
  "private": true,
  "allowScripts": { "better-sqlite3": true, "cpu-features": false, "protobufjs": false, "ssh2": false }
}
JSON
ts_version=$(node -p "require('./node_modules/typescript/package.json').version")
types_node=$(node -p "require('./node_modules/@types/node/package.json').version")
# prom-client is an optional peer: the consumer uses the Prometheus exporter, so it installs it. Step (d)
# compiles the declarations in a project with neither optional peer.
prom_client=$(node -p "require('./node_modules/prom-client/package.json').version")
built_sqlite=node_modules/better-sqlite3/build/Release/better_sqlite3.node
sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
cd "$project"
install_args=(--no-audit --no-fund --save "$tarball" "typescript@$ts_version" "@types/node@$types_node" "prom-client@$prom_client")
if [ "${SANDBOX_PERF_CONSUMER_BUILD:-reuse}" = source ] || [ ! -f "$repo/$built_sqlite" ]; then
  echo "better-sqlite3 builds from source (its install script, allowed in package.json)"
  npm install "${install_args[@]}"
else
  # Scripts off for this install only; the addon is the one this checkout built for this Node.
  npm install --ignore-scripts "${install_args[@]}"
  installed=$(node -p "require('better-sqlite3/package.json').version")
  if [ "$installed" = "$sqlite_version" ]; then
    echo "better-sqlite3 $installed: reusing the addon compiled in $repo"
    mkdir -p node_modules/better-sqlite3/build/Release
    cp "$repo/$built_sqlite" node_modules/better-sqlite3/build/Release/
  else
    echo "better-sqlite3 $installed differs from the checkout's $sqlite_version: running its install script"
    npm rebuild better-sqlite3
  fi
fi
[ "$(node -p "require('sandbox-perf/package.json').version")" = "$(node -p "require('$repo/package.json').version")" ] ||
  fail "node_modules/sandbox-perf is not the packed version"
[ ! -e node_modules/sandbox-perf/src ] || fail "node_modules/sandbox-perf has sources"
export SANDBOX_PERF_DB="$work/history/state.db"

step "(a) CommonJS: require('sandbox-perf')"
node consumer.cjs

step "(b) ESM: import { SandboxPerfMonitor } from 'sandbox-perf'"
node consumer.mjs

step "(c) TypeScript: tsc against the installed declarations (nodenext, strict, skipLibCheck off)"
npx --no-install tsc -p tsconfig.json
node out/consumer.js
node out/consumer.mjs
# The classic resolution (no exports map, the "types" field) that older projects still use, with
# esModuleInterop as tsc --init sets it; step (d) checks it without esModuleInterop.
npx --no-install tsc --module commonjs --moduleResolution node10 --ignoreDeprecations 5.0 --strict --esModuleInterop --types node \
  --outDir out-node10 consumer.ts
node out-node10/consumer.js

step "(d) types with no optional peer: only the tarball and typescript; node10 (no esModuleInterop), node16, nodenext, bundler"
# prom-client and @opentelemetry/api are optional peers: the declarations must compile without them
# (strict, skipLibCheck off), as they do for a user who installs neither. Types only: no install scripts.
bare="$work/no-peers"
mkdir -p "$bare"
cp "$repo"/.ci/consumer/no-peers/* "$bare/"
printf '{ "name": "sandbox-perf-no-peers", "private": true }\n' >"$bare/package.json"
(cd "$bare" && npm install --ignore-scripts --no-audit --no-fund --save "$tarball" "typescript@$ts_version" >"$work/no-peers.log" 2>&1) ||
  { cat "$work/no-peers.log"; fail "npm install of the tarball and typescript alone"; }
for peer in prom-client @opentelemetry/api; do
  [ ! -e "$bare/node_modules/$peer" ] || fail "$peer was installed, so this step would not check its absence"
done
for config in tsconfig.node10.json tsconfig.node16.json tsconfig.json tsconfig.bundler.json; do
  echo "tsc -p $config"
  (cd "$bare" && npx --no-install tsc -p "$config") || fail "the declarations do not compile without the optional peers ($config)"
done

step "(e) the command: npx sandbox-perf"
npx --no-install sandbox-perf --help | tee "$work/help.txt"
grep -q '^Usage: sandbox-perf <command>' "$work/help.txt" || fail "sandbox-perf --help printed no usage"
[ "$(npx --no-install sandbox-perf --version)" = "$(node -p "require('sandbox-perf/package.json').version")" ] ||
  fail "sandbox-perf --version is not the package version"
npx --no-install sandbox-perf run --sandbox none -- node -e "console.log('hello from the sandbox')"
npx --no-install sandbox-perf report

step "(e) the README: every runnable block, every output block against a real run"
# The launcher (native/launcher.c) is built by the package's install script, which the reuse mode skipped.
npm rebuild sandbox-perf >/dev/null
# Each native program is built from the tarball's own sources: one missing from package.json's
# "files" (a header included by another) leaves its program unbuilt, and the install still succeeds.
for program in launcher guard agent crunv1 spawner calib; do
  [ -x "$project/node_modules/sandbox-perf/native/bin/sandbox-perf-$program" ] ||
    fail "native/bin/sandbox-perf-$program was not built from the tarball (a source missing from package.json's files?)"
done
node "$repo/scripts/readme-check.mjs" "$repo/README.md" "$project"

echo
echo "consumer test passed: CommonJS, ESM, TypeScript and the command all work from the installed tarball"
