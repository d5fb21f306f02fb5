#!/bin/bash
# The same sweep split into N shards with GNU parallel (one machine or several with -S),
# then merged. Rerunning the command after a crash or kill continues every shard where it
# stopped (each shard's rows file is its journal).
#
#   examples/slurm/parallel.sh examples/sweeps/cnn-channels.json 8
set -euo pipefail
SWEEP=${1:?usage: parallel.sh SWEEP.json [N]}
N=${2:-4}
HESSRANK=${HESSRANK:-hessrank}
OUT=out/$(basename "$SWEEP" .json)
mkdir -p "$OUT"

# The one-liner: N shards, one row at a time each (--jobs 1), in parallel.
seq 0 $((N - 1)) | parallel --halt now,fail=1 "$HESSRANK" table "$SWEEP" --shard {}/"$N" --resume "$OUT"/rows-{}.jsonl --jobs 1 --format csv ">" /dev/null

"$HESSRANK" table merge "$OUT"/rows-*.jsonl --out "$OUT/table.md" --out "$OUT/table.tex" --out "$OUT/table.csv" \
  --plot "$OUT/plot.svg"
