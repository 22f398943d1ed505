#!/usr/bin/env bash
# The HTTP rerank APIs with curl: vlrerank's own /_vlrerank/rerank (the library's input shape) and
# the Cohere/Jina/vLLM-compatible /v1/rerank, with text, image and video candidates.
#
#   VLRERANK_URL=http://127.0.0.1:9280 DATA_DIR=../shared/data examples/rerank-api/curl.sh
#
# Local paths must lie under the server's media roots (`npm start` uses the data folder); images
# can also be sent inline as data: URIs (or plain base64), or as https:// URLs.
set -euo pipefail
URL="${VLRERANK_URL:-http://127.0.0.1:9280}"
DATA="$(cd "${DATA_DIR:-$(dirname "$0")/../../../shared/data}" && pwd)"
ROCKET="$DATA/skimage-clip-smoke/images/rocket.jpg"
COFFEE_B64="$(base64 -w0 "$DATA/skimage-clip-smoke/images/coffee.png")"
CLIP="$DATA/intel-sample-videos/clips/car-detection.mp4"

echo "== POST /_vlrerank/rerank (text query; text, image path, inline image, video candidates)"
curl -sS --fail-with-body "$URL/_vlrerank/rerank" -H 'content-type: application/json' -d @- <<JSON
{
  "instruction": "Given a search query, retrieve relevant candidates.",
  "query": { "text": "a rocket launching into the sky" },
  "documents": [
    { "text": "A plate of pasta with tomato sauce." },
    { "image": "$ROCKET" },
    { "image": "data:image/png;base64,$COFFEE_B64" },
    { "video": "$CLIP", "fps": 1 }
  ],
  "max_frames": 8
}
JSON
echo

echo "== POST /v1/rerank (Cohere-style; documents as strings or OpenAI-style content parts)"
curl -sS --fail-with-body "$URL/v1/rerank" -H 'content-type: application/json' -d @- <<JSON
{
  "model": "vlrerank",
  "query": "a rocket launching into the sky",
  "documents": [
    "A plate of pasta with tomato sauce.",
    { "content": [ { "type": "image_url", "image_url": { "url": "$ROCKET" } } ] },
    { "content": [ { "type": "image_url", "image_url": { "url": "data:image/png;base64,$COFFEE_B64" } } ] },
    { "content": [ { "type": "video_url", "video_url": { "url": "$CLIP" } } ] }
  ],
  "top_n": 3,
  "return_documents": false
}
JSON
echo
