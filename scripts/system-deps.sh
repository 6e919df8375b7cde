#!/usr/bin/env bash
# The Debian packages the whole test suite needs: Chromium (browser tests), Redis (queue and rate-limit tests),
# PostgreSQL 15 binaries (database tests), poppler-utils (PDF text checks). Installed when run as root, as on a
# fresh CI machine; otherwise the script fails with the exact command to run. It never lets the suite run with
# a part silently skipped.
set -euo pipefail
PACKAGES=(chromium redis-server poppler-utils postgresql)

missing=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing the Debian packages the tests need: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The test suite needs these Debian packages: ${missing[*]}." >&2
echo "Install them, then run make test again:" >&2
echo "    sudo apt-get install -y ${PACKAGES[*]}" >&2
exit 1
