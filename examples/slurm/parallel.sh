#!/bin/bash
# The same sweep split into N shards with GNU parallel (one machine, or several with -S and a
# shared file system), then merged. A VIOLATED or SHORT verdict does not stop anything:
# `hessrank table` exits 0 whatever the verdicts, so every shard runs to its end. A shard
# that fails (exit 2) does not stop the others either (no --halt). Rerunning the command
# after a crash or kill continues every shard where it stopped (each shard's rows file is its
# journal) and merges again; the merge fails, listing the missing rows, until all are there.
#
#   examples/slurm/parallel.sh examples/sweeps/cnn-channels.json 8
set -uo pipefail
SWEEP=${1:?usage: parallel.sh SWEEP.json [N]}
N=${2:-4}
HESSRANK=${HESSRANK:-hessrank}
OUT=${OUT:-out/$(basename "$SWEEP" .json)}
"$HESSRANK" table "$SWEEP" --list > /dev/null || exit 2
mkdir -p "$OUT"

# The one-liner: N shards, one row at a time each (--jobs 1), in parallel.
seq 0 $((N - 1)) | parallel "$HESSRANK" table "$SWEEP" --shard {}/"$N" --resume "$OUT"/rows-{}.jsonl --jobs 1 --format csv ">" /dev/null
failed=$?
[ "$failed" -eq 0 ] || echo "parallel.sh: $failed shard(s) failed (see above); rerun this command to finish them" >&2

"$HESSRANK" table merge "$OUT"/rows-*.jsonl --out "$OUT/table.md" --out "$OUT/table.tex" --out "$OUT/table.csv" \
  --plot "$OUT/plot.svg"
