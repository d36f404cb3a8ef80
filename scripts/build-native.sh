#!/bin/sh
# Builds the worker's spawn helper (src-native/spawn-helper.c) into dist/native/kestrel-spawn, on
# Linux; `npm ci` runs this (package.json `prepare`), and so does `npm run package` for the app.
# Without a C compiler the worker starts its tasks directly, more slowly, and says so: a missing
# compiler is a warning here, not a failed install.
set -eu
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Linux ] || exit 0
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "build-native: no C compiler ($cc): workers will start tasks directly, more slowly" >&2
  exit 0
fi
mkdir -p dist/native
"$cc" -O2 -Wall -Wextra -o dist/native/kestrel-spawn.tmp src-native/spawn-helper.c
mv dist/native/kestrel-spawn.tmp dist/native/kestrel-spawn
