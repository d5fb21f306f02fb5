#!/bin/bash
# Integration test of the Slurm workflow on a real one-node Slurm cluster on this machine.
#
#   make test-slurm            (or: examples/slurm/test-local-slurm.sh [path/to/hessrank])
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge when missing (apt-get, as root),
# starts munged, slurmctld and slurmd with a private configuration, state and sockets in a
# temporary directory (other ports than a system Slurm's), and then, as a user would:
#   1. submits a small sweep with a VIOLATED bound through submit.sh (3 shards, 1 CPU each,
#      and the afterany merge job);
#   2. kills one task with SIGKILL once it has written a row, and requeues it with
#      `scontrol requeue <job>_<i>`; the task resumes from its rows file;
#   3. waits for the merge job, and checks that every task COMPLETED (a VIOLATED bound does not
#      fail a task), that the merge succeeded and that its table equals a single-process
#      `hessrank table` run (Markdown, CSV without timings, LaTeX);
#   4. checks --shard slurm/N on a sparse rerun array (ids 0,2) and that merge refuses a
#      partial set of rows files (exit 2) but accepts it with --allow-partial;
# then stops every daemon it started and removes the temporary directory.
# Needs root (to install packages and start the daemons). Takes about a minute or two.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HESSRANK=$(realpath "${1:-$ROOT/.build/release/hessrank}")
[ -x "$HESSRANK" ] || { echo "test-local-slurm: no hessrank at $HESSRANK (run: swift build -c release)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-local-slurm: needs root (installs Slurm and starts its daemons)" >&2; exit 2; }

say() { echo "== $*"; }
need=""
for p in slurmctld slurmd slurm-client munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  say "installing:$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $need > /dev/null || { apt-get update > /dev/null && apt-get install -y --no-install-recommends $need > /dev/null; }
fi

T=$(mktemp -d /tmp/hessrank-slurm.XXXXXX)
PIDS=()
cleanup() {
  set +e
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet -u root > /dev/null 2>&1
  for f in "$T"/slurmd.pid "$T"/slurmctld.pid "$T"/munged.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2> /dev/null
  done
  sleep 1
  for f in "$T"/slurmd.pid "$T"/slurmctld.pid "$T"/munged.pid; do
    [ -s "$f" ] && kill -9 "$(cat "$f")" 2> /dev/null
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(free -m | awk '/^Mem:/ {print $2}') * 9 / 10 ))
mkdir -p "$T/state" "$T/spool" "$T/work" "$T/munge"

say "munge"
head -c 1024 /dev/urandom > "$T/munge/munge.key"
chmod 0400 "$T/munge/munge.key"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" --pid-file="$T/munged.pid" \
  --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed"
for _ in $(seq 50); do [ -S "$T/munge/munge.sock" ] && break; sleep 0.1; done
munge --socket="$T/munge/munge.sock" -n | unmunge --socket="$T/munge/munge.sock" > /dev/null

say "slurm.conf: one node $HOST with $CPUS CPUs"
cat > "$T/slurm.conf" <<CONF
ClusterName=hessrank-test
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.sock
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  sinfo -h -o %T 2> /dev/null | grep -Eq '^(idle|mixed|allocated)' && break
  sleep 0.2
done
sinfo

cd "$T/work"
cat > sweep.json <<'SWEEP'
{
  "name": "Slurm integration test: two conv layers of m channels",
  "architecture": "1x12 conv({m},k=3) conv({m},k=3) dense(2)",
  "samples": 12,
  "method": "modular",
  "axes": {"m": [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]},
  "bounds": ["outer-any"],
  "formulas": ["outer <= 3*m[1]"],
  "plot": {"x": "m"}
}
SWEEP
SUBMITTED=$(HESSRANK=$HESSRANK "$ROOT/examples/slurm/submit.sh" sweep.json 3 1)
echo "$SUBMITTED"
ARRAY=$(sed -n 's/^array job \([0-9]*\) .*/\1/p' <<< "$SUBMITTED")
MERGE=$(sed -n 's/.*merge job \([0-9]*\);.*/\1/p' <<< "$SUBMITTED")
[ -n "$ARRAY" ] && [ -n "$MERGE" ] || { echo "FAIL: could not read the job ids" >&2; exit 1; }

say "waiting for task ${ARRAY}_1 to write its first row, then killing it"
ROWS1=out/sweep/rows-1.jsonl
for _ in $(seq 600); do [ -s "$ROWS1" ] && break; sleep 0.1; done
[ -s "$ROWS1" ] || { echo "FAIL: task 1 wrote no row" >&2; squeue; exit 1; }
scancel --signal=KILL "${ARRAY}_1"
for _ in $(seq 100); do
  state=$(squeue -h -j "${ARRAY}_1" -o %T 2> /dev/null || true)
  [ -z "$state" ] || [ "$state" != RUNNING ] && break
  sleep 0.2
done
KEPT=$(wc -l < "$ROWS1")
say "task 1 killed with $KEPT row(s) in $ROWS1 (of 4); $(scontrol show job "${ARRAY}_1" | grep -o 'JobState=[A-Z]*')"
scontrol requeue "${ARRAY}_1"
say "requeued ${ARRAY}_1; waiting for the merge job $MERGE"
for _ in $(seq 1800); do
  state=$(scontrol show job "$MERGE" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
  sleep 0.2
done
scontrol show job "$ARRAY" | grep -E 'JobId=|JobState=|ExitCode=|Restarts=' | paste - - - - || true
say "merge job: $state"
cat out/sweep/slurm-merge-*.log
[ "$state" = COMPLETED ] || { echo "FAIL: the merge job ended $state" >&2; tail -20 "$T/slurmctld.log"; exit 1; }
for i in 0 1 2; do
  s=$(scontrol show job "${ARRAY}_$i" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  [ "$s" = COMPLETED ] || { echo "FAIL: task $i ended $s" >&2; cat out/sweep/slurm-*_"$i".log; exit 1; }
done
scontrol show job "${ARRAY}_1" | grep -q 'Restarts=1' || { echo "FAIL: task 1 was not restarted" >&2; exit 1; }
say "task 1 ran twice (Restarts=1); its log:"
cat out/sweep/slurm-"$ARRAY"_1.log
grep -q "from $ROWS1" out/sweep/slurm-"$ARRAY"_1.log || { echo "FAIL: the requeued task did not resume from its rows file" >&2; exit 1; }
[ "$(wc -l < "$ROWS1")" = 4 ] || { echo "FAIL: $ROWS1 should hold 4 rows, each once" >&2; exit 1; }

say "single-process run"
"$HESSRANK" table sweep.json --out single.md --out single.tex --out single.csv
strip() { python3 -c 'import csv,sys
rows=list(csv.reader(open(sys.argv[1],newline="")))
i=rows[0].index("seconds")
for r in rows: print(",".join(r[:i]+r[i+1:]))' "$1"; }
untimed() { sed 's/| [0-9.]* |$/| |/; s/& [0-9.]* \\\\$/\& \\\\/' "$1"; }
diff <(strip single.csv) <(strip out/sweep/table.csv) || { echo "FAIL: CSV differs" >&2; exit 1; }
diff <(untimed single.md | grep -v '^|.*time') <(untimed out/sweep/table.md | grep -v '^|.*time') > /dev/null \
  || { diff <(untimed single.md) <(untimed out/sweep/table.md); echo "FAIL: Markdown differs" >&2; exit 1; }
diff <(untimed single.tex) <(untimed out/sweep/table.tex) || { echo "FAIL: LaTeX differs" >&2; exit 1; }
grep -q VIOLATED out/sweep/table.md || { echo "FAIL: the table shows no VIOLATED verdict" >&2; exit 1; }
grep -q 'Slurm integration test' out/sweep/table.tex out/sweep/plot.svg || { echo "FAIL: merge lost the sweep's name" >&2; exit 1; }
say "merged table = single-process table (CSV, Markdown, LaTeX; timings aside); $(grep -c VIOLATED out/sweep/table.csv) row(s) with a VIOLATED bound"

say "a sparse rerun array (--array=0,2) with --shard slurm/3 recomputes nothing"
mkdir -p rerun
HESSRANK=$HESSRANK sbatch --parsable --wait --array=0,2 --output=rerun/slurm-%A_%a.log \
  "$ROOT/examples/slurm/table-array.sbatch" sweep.json 3 out/sweep > /dev/null
for i in 0 2; do
  f=$(ls rerun/slurm-*_$i.log)
  echo "task $i: $(grep "table:" "$f")"
  grep -q "table: 4 of 4 rows" "$f" || { echo "FAIL: $f" >&2; cat "$f"; exit 1; }
done

say "merge with a missing shard fails; --allow-partial accepts it"
set +e
"$HESSRANK" table merge out/sweep/rows-0.jsonl out/sweep/rows-2.jsonl --out partial.md 2> partial.err
rc=$?
set -e
cat partial.err
[ "$rc" = 2 ] && [ ! -e partial.md ] || { echo "FAIL: merge of a partial set exited $rc" >&2; exit 1; }
"$HESSRANK" table merge out/sweep/rows-0.jsonl out/sweep/rows-2.jsonl --out partial.md --allow-partial
say "PASS"
