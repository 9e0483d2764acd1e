#!/usr/bin/env bash
# test_node_client: install the node client's locked npm packages into the
# build tree (scripts/node-deps: offline-safe, npm cache first), then run
# the node client's test against the real daemon.
# Usage: test_node_client.sh CASELINKD BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! "$here/../scripts/node-deps" "$2/node"; then
    echo "FAIL cannot install clients/node's packages (npm registry or cache)"
    exit 1
fi
NODE_PATH="$2/node/node_modules" exec node "$here/test_node_client.js" "$1"
