#!/bin/sh
# Held-out probe round 31g: the round's indices on one engine, made by `vlrerank index setup` with the
# serve script's pipelines folder (VLRERANK_PIPELINES_DIR). Usage: p31g-setup.sh UPSTREAM TMP
set -e
U=$1; T=$2
cd "$(dirname "$0")/../.."
for i in p31g-a1 p31g-aref p31g-abf p31g-w1; do
  curl -s -XDELETE "$U/$i" >/dev/null || true
  VLRERANK_PIPELINES_DIR="$T/pipes" npx tsx src/cli/main.ts index setup "$i" --upstream "$U" --models-dir "$PWD/../shared/models" 2>&1 | tail -1
done
