#!/bin/bash
# Round 29d: `vlrerank index setup` against indices that refuse the mapping it adds.
side=$1; E=$2; cfg=/tmp/p29d/cli-$side.yaml
run() { echo "== $side $1"; timeout 120 npx tsx src/cli/main.ts index setup $2 -c $cfg 2>&1 | grep -v '^ \|^{\|^}' | head -8; echo "rc=${PIPESTATUS[0]}"; }
j() { local b="$2"; if [ "$side" = os ] && [ "${1%%/*}" = "$1" ]; then b=$(echo "$b" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.setdefault("settings",{})["index.knn"]=True; print(json.dumps(d))'); fi; curl -s -XPUT "$E/$1" -H 'content-type: application/json' -d "$b" >/dev/null; }
curl -s -XPUT "$E/p29d-s*/_settings?expand_wildcards=all" -H "content-type: application/json" -d "{\"index.blocks.read_only\":null,\"index.blocks.write\":null,\"index.blocks.read_only_allow_delete\":null}" >/dev/null; curl -s -XDELETE "$E/p29d-s*?expand_wildcards=all" >/dev/null
j p29d-s1 '{}'; j p29d-s1/_settings '{"index.blocks.read_only":true}'; run read_only p29d-s1
j p29d-s2 '{}'; curl -s -XPOST "$E/p29d-s2/_close" >/dev/null; run closed p29d-s2
j p29d-s3 '{"settings":{"index.mapping.total_fields.limit":4},"mappings":{"properties":{"title":{"type":"text"},"description":{"type":"text"}}}}'; run total_fields p29d-s3
j p29d-s4 '{"mappings":{"dynamic":"strict","properties":{"title":{"type":"text"},"description":{"type":"text"},"image":{"type":"keyword"}}}}'; run strict p29d-s4
j p29d-s5 '{"mappings":{"properties":{"image_vector":{"type":"float"}}}}'; run other_type p29d-s5
j p29d-s6 '{}'; j p29d-s6/_settings '{"index.blocks.write":true}'; run write_block p29d-s6
j p29d-s7 '{}'; j p29d-s7/_settings '{"index.blocks.read_only_allow_delete":true}'; run allow_delete p29d-s7
run new_under_block p29d-s8
