#!/bin/bash
# Submits one sweep to Slurm as a job array of N shards plus a merge job, so that it works as
# written on any cluster:
#   * the log directory exists before sbatch opens the logs (Slurm opens --output before the
#     script runs; a missing directory makes every task fail with no log at all);
#   * CPUs per task is a parameter (default 1, which every node has; a value larger than any
#     node's CPU count leaves the array pending forever with reason PartitionConfig);
#   * task ids are shard numbers 0…N−1 and N is passed to the tasks, so a task computes shard
#     SLURM_ARRAY_TASK_ID/N whatever the array looks like — also when a few shards are rerun
#     later as a stepped or sparse array (sbatch --array=3,5,9 table-array.sbatch SWEEP N);
#   * the merge job runs when every task has ended, however it ended (afterany), and fails
#     (exit 2, listing the missing rows) unless all rows are there. A VIOLATED or SHORT verdict
#     is not a failure of a task: `hessrank table` exits 0 whatever the verdicts.
#
#   examples/slurm/submit.sh SWEEP.json [N] [CPUS_PER_TASK]
#   HESSRANK=/path/to/hessrank SBATCH_EXTRA="--partition=short --time=02:00:00" examples/slurm/submit.sh …
#
# Rerun one task (a time limit, a node failure, a kill): scontrol requeue <jobid>_<i>; it
# resumes from its rows file out/NAME/rows-<i>.jsonl. If the merge job already ran and failed,
# submit it again when the task is done:  sbatch examples/slurm/table-merge.sbatch out/NAME
set -euo pipefail
SWEEP=${1:?usage: submit.sh SWEEP.json [N shards, default 4] [CPUS_PER_TASK, default 1]}
N=${2:-4}
CPUS=${3:-1}
HESSRANK=${HESSRANK:-hessrank}
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=$(basename "$SWEEP" .json)
OUT=${OUT:-out/$NAME}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive integer, got '$N'" >&2; exit 2; }
[[ $CPUS =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: CPUS_PER_TASK must be a positive integer, got '$CPUS'" >&2; exit 2; }
# Check the sweep before submitting anything (a bad sweep is one error line, exit 2).
"$HESSRANK" table "$SWEEP" --list > /dev/null
mkdir -p "$OUT"
export HESSRANK
# shellcheck disable=SC2086
ARRAY=$(sbatch --parsable ${SBATCH_EXTRA:-} --array=0-$((N - 1)) --cpus-per-task="$CPUS" \
  --output="$OUT/slurm-%A_%a.log" "$HERE/table-array.sbatch" "$SWEEP" "$N" "$OUT")
ARRAY=${ARRAY%%;*}
# shellcheck disable=SC2086
MERGE=$(sbatch --parsable ${SBATCH_EXTRA:-} --dependency=afterany:"$ARRAY" --output="$OUT/slurm-merge-%j.log" \
  "$HERE/table-merge.sbatch" "$OUT")
MERGE=${MERGE%%;*}
echo "array job $ARRAY (shards 0-$((N - 1)) of $SWEEP, $CPUS CPU(s) each), merge job $MERGE; output in $OUT/"
echo "rerun one task: scontrol requeue ${ARRAY}_<i>   (then, if the merge job failed: sbatch $HERE/table-merge.sbatch $OUT)"
