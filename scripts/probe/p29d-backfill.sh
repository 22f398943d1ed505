#!/bin/bash
# Round 29d: `vlrerank index backfill` into an index under a block, then after it is lifted.
side=$1; E=$2; blk=$3; cfg=/tmp/p29d/cli-$side.yaml; I=p29d-bf
curl -s -XDELETE "$E/$I" >/dev/null
npx tsx src/cli/main.ts index setup $I -c $cfg >/dev/null 2>&1
npx tsx scripts/probe/p29d-seed.ts $E $I
bf() { local t0=$(date +%s); timeout 300 npx tsx src/cli/main.ts index backfill $I -c $cfg --no-ceiling --batch 4 > /tmp/p29d/bf.out 2>&1; echo "rc=$? $(( $(date +%s)-t0 ))s"; grep -v '^\s*$' /tmp/p29d/bf.out | tail -6; }
if [ "$blk" = close ]; then curl -s -XPOST "$E/$I/_close" >/dev/null; else curl -s -XPUT "$E/$I/_settings" -H 'content-type: application/json' -d "{\"index.blocks.$blk\":true}" >/dev/null; fi
echo "== $side $blk"; bf
if [ "$blk" = close ]; then curl -s -XPOST "$E/$I/_open?wait_for_active_shards=1" >/dev/null; else curl -s -XPUT "$E/$I/_settings" -H 'content-type: application/json' -d "{\"index.blocks.$blk\":null}" >/dev/null; fi
echo "== $side lifted"; bf
echo "== $side again"; bf
curl -s "$E/$I/_search?size=0&filter_path=hits.total" -H 'content-type: application/json' -d '{"query":{"exists":{"field":"image_vector"}}}'; echo
