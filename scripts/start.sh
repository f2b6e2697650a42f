#!/usr/bin/env bash
# `npm start`: build VirtNet and run it in a VS Code.
# - A desktop `code` on PATH: an Extension Development Host window with this repo's extension.
# - Otherwise: the local VS Code server (installed once into .cache/code-server) on
#   127.0.0.1:${VIRTNET_PORT:-8780} with VirtNet loaded; prints the URL to open and runs until
#   Ctrl-C. VIRTNET_START=server forces the server even when `code` exists.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node esbuild.js

if [[ ${VIRTNET_START:-} != server ]] && command -v code >/dev/null 2>&1; then
  exec code --extensionDevelopmentPath="$PWD" "$PWD"
fi

bash test/vscode/install-server.sh
# exec: Ctrl-C and kill reach start.ts directly, which stops the server by pid.
exec node --import tsx scripts/start.ts
