#!/usr/bin/env bash
# Installs code-server (which carries VS Code 1.100.3's server and web workbench) from the npm
# registry into an ignored cache folder, once. No desktop VS Code can be downloaded on our
# machines, and code-server 4.100.x is the last line that runs on Node 20.
#
# Usage: bash test/vscode/install-server.sh        (idempotent; a second run returns at once)
# Env:   VIRTNET_CODE_SERVER_DIR  install somewhere else than <repo>/.cache/code-server
#        VIRTNET_CODE_SERVER_FORCE=1  reinstall even if the marker exists
set -euo pipefail

VERSION=4.100.3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DEST=${VIRTNET_CODE_SERVER_DIR:-$REPO/.cache/code-server}
MARKER=$DEST/.installed-$VERSION
VSCODE_REL=node_modules/code-server/lib/vscode

# Fast path first, before anything slow (apt, npm): the marker is only written after every step
# succeeded, so its presence plus the server entry means the install is complete.
if [[ -z ${VIRTNET_CODE_SERVER_FORCE:-} && -f $MARKER && -f $DEST/$VSCODE_REL/out/server-main.js ]]; then
  echo "code-server $VERSION already installed in $DEST"
  exit 0
fi

START=$(date +%s)
step() { echo "[install-server +$(( $(date +%s) - START ))s] $*"; }

# --- Debian packages -------------------------------------------------------------------------
# Headers for the native modules (kerberos: krb5; x11/xkbfile and libsecret: probed by gyp), pkg-config
# for their gyp files, a compiler toolchain for node-gyp, and ripgrep because @vscode/ripgrep's
# postinstall would otherwise download its binary from GitHub, which we cannot reach.
DEB_PKGS=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep python3 make g++)
missing=()
for p in "${DEB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  step "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Try without refreshing the package lists first: that is much faster when they are recent.
  if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi
RG=$(command -v rg) || { echo "rg not found after installing ripgrep" >&2; exit 1; }

# --- npm environment -------------------------------------------------------------------------
# node-pty's install script runs `npx node-gyp`; without yes=true npx waits for a prompt forever.
export npm_config_yes=true
# As root, npm would otherwise run install scripts as "nobody" in older npm, and code-server's own
# postinstall refuses to run as root without it (npm 11 warns it is unknown; harmless).
[[ $(id -u) -eq 0 ]] && export npm_config_unsafe_perm=true
# Machine-wide npm configs may set ignore-scripts; rebuild below must run the scripts.
export npm_config_ignore_scripts=false
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp would download Node's headers from nodejs.org (unreachable). Debian's and the official
# Node builds ship them under <prefix>/include/node, so point node-gyp there when they exist.
NODE_PREFIX=$(node -p 'require("path").resolve(process.execPath, "../..")')
if [[ -z ${npm_config_nodedir:-} && -f $NODE_PREFIX/include/node/node.h ]]; then
  export npm_config_nodedir=$NODE_PREFIX
fi

# --- install into a staging folder, then move it into place ------------------------------------
# A half-finished install must never look finished, so everything happens in $STAGE and only a
# complete tree is renamed to $DEST.
STAGE=$DEST.partial
rm -rf "$STAGE"
mkdir -p "$STAGE"
cd "$STAGE"
printf '{ "name": "virtnet-code-server-cache", "private": true }\n' > package.json

step "npm install code-server@$VERSION --ignore-scripts"
# --ignore-scripts: code-server's postinstall would run a plain `npm install` in lib/vscode, whose
# ripgrep postinstall downloads from GitHub; we do those steps ourselves below.
npm install --no-save --ignore-scripts "code-server@$VERSION"

CS=$STAGE/node_modules/code-server
VS=$CS/lib/vscode

step "npm install --omit=dev --ignore-scripts in lib/vscode"
(cd "$VS" && npm install --omit=dev --ignore-scripts)

step "ripgrep from Debian ($RG)"
# @vscode/ripgrep's postinstall skips its download when bin/ already exists.
mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
cp "$RG" "$VS/node_modules/@vscode/ripgrep/bin/rg"

step "npm rebuild (native modules) in lib/vscode"
(cd "$VS" && npm rebuild)

step "links code-server's postinstall would make"
# VS Code looks for some files under node_modules.asar (packed in desktop builds); the server
# ships them unpacked, so the name must point at node_modules.
ln -sfn node_modules "$VS/node_modules.asar"
ln -sfn code-linux.sh "$VS/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VS/bin/helpers/browser.sh"

step "built-in extensions' shared dependencies"
# Only `typescript` (for the built-in TS/JS language features); its postinstall trims it.
(cd "$VS/extensions" && npm install --omit=dev --ignore-scripts && node ./postinstall.mjs > /dev/null)

# Quick proof the native modules load in this Node before declaring success.
step "checking native modules"
(cd "$VS" && node -e '
  for (const m of ["node-pty", "@vscode/spdlog", "@parcel/watcher", "native-watchdog", "kerberos"]) {
    require(m);
  }
  console.log("native modules load");
')

rm -rf "$DEST"
mv "$STAGE" "$DEST"
echo "$VERSION installed $(date -u +%FT%TZ) in $(( $(date +%s) - START ))s" > "$MARKER"
step "done: $DEST ($(du -sh "$DEST" | cut -f1))"
