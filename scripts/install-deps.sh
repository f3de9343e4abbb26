#!/bin/sh
# Installs sleuth's build and test dependencies from Debian's packages, then ganache (the live
# Ethereum node of the eth tests) from npm into tests/node/node_modules. node and npm also
# build the web UI (`make web`: its own npm packages into web/node_modules); a node that came
# with its own npm (NodeSource's) is kept, since Debian's npm package would clash with it.
# Debian's chromium (the browser tests) is left to .ci/run: without it those tests skip.
# --check: exit 0 when everything is present, 1 otherwise (installs nothing).
set -e
PKGS="build-essential liblmdb-dev libssl-dev libcjson-dev libzstd-dev libsecp256k1-dev nettle-dev libcriterion-dev litecoind libcurl4-openssl-dev libxml2-utils libsqlite3-dev libyaml-dev libxml2-dev libbz2-dev libmicrohttpd-dev wrk python3-yaml python3-jsonschema"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
node_missing=""
[ -x tests/node/node_modules/.bin/ganache ] || node_missing=1
if [ "$1" = "--check" ]; then [ -z "$missing" ] && [ -z "$node_missing" ]; exit $?; fi
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi
if [ -n "$node_missing" ]; then
  (cd tests/node && npm install --no-audit --no-fund --loglevel=error) || echo "npm install of ganache failed; the live eth test will be skipped"
fi
echo "all dependencies present"
