#!/bin/sh
# Installs sleuth's build and test dependencies from Debian's packages.
# --check: exit 0 when everything is present, 1 otherwise (installs nothing).
set -e
PKGS="build-essential liblmdb-dev libssl-dev libcjson-dev libzstd-dev libsecp256k1-dev nettle-dev libcriterion-dev litecoind"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ "$1" = "--check" ]; then [ -z "$missing" ]; exit $?; fi
[ -z "$missing" ] && { echo "all dependencies present"; exit 0; }
echo "installing:$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
