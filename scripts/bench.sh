#!/usr/bin/env bash
# make bench: the three message-path benchmarks (each a ratio against a baseline measured in the same run),
# then the understanding benchmarks; a summary of the message path's figures last. RUNS=N repeats each N times.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
runs="${RUNS:-1}"
if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # the webhook's closed loop is measured with wrk where it can be installed (else an asyncio client)
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; } || true
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

step() {  # name, command…: run it, show its output, keep it for the summary
  local name=$1
  shift
  echo "== $name"
  "$@" 2>&1 | tee "$out/$name.log"
}

step webhook "$py" bench/webhook.py --requests 10000 --seconds 10 --runs "$runs"
step e2e "$py" bench/e2e.py --messages 1000 --noop-jobs 2000 --runs "$runs"
step fanout "$py" bench/fanout.py --messages 2000 --workers 1 2 --noop-jobs 2000 --runs "$runs"
step ask "$py" bench/ask.py
step nlu "$py" bench/nlu.py

echo
echo "== the message path ($(nproc) cores, $runs run(s) each; ratios against a baseline of the same run)"
grep -E '^webhook: ' "$out/webhook.log" || true
grep -E '^webhook (ratio|p99)' "$out/webhook.log" || true
grep -E '^e2e: ' "$out/e2e.log" || true
grep -E '^e2e ratio over' "$out/e2e.log" || true
grep -E '^fanout: ' "$out/fanout.log" || true
grep -E '^fanout (ratio|scaling)' "$out/fanout.log" || true
