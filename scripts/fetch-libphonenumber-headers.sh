#!/usr/bin/env bash
# Makes libphonenumber usable without libphonenumber-dev, which cannot be installed next to
# Boost 1.81 on Debian 12 (it depends on libboost-thread-dev, i.e. Boost 1.74 dev packages).
#
#  1. installs the runtime library and what its headers include: libphonenumber8 (the .so),
#     libprotobuf-dev (phonenumber.pb.h) and libabsl-dev (phonenumberutil.h uses absl hash
#     containers); libicu-dev for completeness. None of them pulls in Boost.
#  2. downloads libphonenumber-dev without installing it and extracts only its headers into
#     build-deps/libphonenumber/include (gitignored). The headers use Boost only under
#     I18N_PHONENUMBERS_USE_BOOST, which we never define: Debian builds the library with POSIX
#     threads (it imports pthread_once, not boost::call_once), so the default path matches.
#
# Idempotent: does nothing when the headers and packages are already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/build-deps/libphonenumber"
HEADER="$DEST/include/phonenumbers/phonenumberutil.h"
RUNTIME_PACKAGES=(libphonenumber8 libprotobuf-dev libabsl-dev libicu-dev)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for pkg in "${RUNTIME_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "fetch-libphonenumber-headers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -f "$HEADER" ]; then
  exit 0
fi

# The headers must match the installed runtime exactly.
VERSION="$(dpkg-query -W -f='${Version}' libphonenumber8)"
WORK="$(mktemp -d)"
chmod 755 "$WORK"  # apt downloads as the _apt user when it can
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && apt-get download "libphonenumber-dev=$VERSION" >/dev/null)
dpkg -x "$WORK"/libphonenumber-dev_*.deb "$WORK/extract"
mkdir -p "$DEST"
rm -rf "$DEST/include.tmp"
cp -r "$WORK/extract/usr/include" "$DEST/include.tmp"
rm -rf "$DEST/include"
mv "$DEST/include.tmp" "$DEST/include"
echo "$VERSION" >"$DEST/VERSION"
echo "fetch-libphonenumber-headers: headers for libphonenumber $VERSION in $DEST/include"
