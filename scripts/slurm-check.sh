#!/bin/bash
# The body of `make slurm-check`, run inside scripts/slurm-local.sh (SLURM_CONF set):
#
#   EQUISCAN=/abs/path/equiscan scripts/slurm-local.sh scripts/slurm-check.sh
#
# Submits deploy/slurm/equiscan-array.sbatch as a 3-task job array over a copy of
# samples/cells with pipelines/classify-cells.json, waits for it (squeue, at most
# SLURM_CHECK_TIMEOUT seconds, default 900), checks every task COMPLETED with exit code 0 and
# left its log beside its shard folder, merges the shards with `equiscan merge`, runs the same
# batch on this machine with the same --jobs, and compares the two with
# scripts/compare-shard-runs.py. Prints one line with the counts; exits non-zero on any
# difference. The work folder is removed on success and kept (its path printed) on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EQUISCAN="${EQUISCAN:?set EQUISCAN to the equiscan binary (make slurm-check does)}"
SHARDS=3
CPUS="${SLURM_CHECK_CPUS:-1}"       # --cpus-per-task, hence --jobs, of every run
TIMEOUT="${SLURM_CHECK_TIMEOUT:-900}"
PIPELINE="$ROOT/pipelines/classify-cells.json"

fail() { echo "slurm-check: $*" >&2; exit 1; }
[ -n "${SLURM_CONF:-}" ] || fail "no SLURM_CONF; run me through scripts/slurm-local.sh"
[ -x "$EQUISCAN" ] || fail "$EQUISCAN: not an executable"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slurm-check.XXXXXX")"
finish() {
    local status=$?
    if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "slurm-check: kept $WORK" >&2; fi
}
trap finish EXIT
cp -R "$ROOT/samples/cells" "$WORK/cells"
OUT="$WORK/out"

# The inputs travel as the sbatch file's variables, through sbatch's default --export=ALL.
export EQUISCAN EQUISCAN_PIPELINE="$PIPELINE" EQUISCAN_INPUT="$WORK/cells" \
    EQUISCAN_OUTPUT="$OUT"
started=$SECONDS
job="$(cd "$WORK" && sbatch --parsable --array=0-$((SHARDS - 1)) --cpus-per-task="$CPUS" \
    --mem=2G --time=00:15:00 --output="$WORK/slurm-%A_%a.out" \
    "$ROOT/deploy/slurm/equiscan-array.sbatch")"
job="${job%%;*}"

deadline=$((SECONDS + TIMEOUT))
while [ -n "$(squeue --noheader --jobs="$job" --format=%i)" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        scancel "$job" || true
        fail "array job $job still queued or running after ${TIMEOUT}s; cancelled"
    fi
    sleep 1
done
elapsed=$((SECONDS - started))

# Final state of every task. sacct needs an accounting database, which the local cluster has
# not; scontrol keeps finished jobs for MinJobAge.
states="$(scontrol --oneliner show job "$job" \
    | sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2 \3/p' \
    | sort -n)"
[ "$(echo "$states" | grep -c ' COMPLETED 0:0$')" -eq "$SHARDS" ] \
    || fail "array job $job: tasks did not all complete with exit code 0:"$'\n'"$states"
for ((index = 0; index < SHARDS; index++)); do
    [ -s "$OUT/shard-$index.log" ] || fail "$OUT/shard-$index.log: missing or empty"
done

"$EQUISCAN" merge "$OUT"/shard-{0..2} -o "$OUT/merged" >/dev/null
"$EQUISCAN" run -p "$PIPELINE" -i "$WORK/cells" -o "$WORK/single" --jobs "$CPUS" \
    --log-format json >"$WORK/single.log" 2>&1 || fail "single run failed; see $WORK/single.log"

set +e
line="$(python3 "$ROOT/scripts/compare-shard-runs.py" --single "$WORK/single" \
    --merged "$OUT/merged" "$OUT"/shard-{0..2})"
status=$?
set -e
verdict="ok"
[ "$status" -eq 0 ] || verdict="FAILED"
echo "slurm-check: $verdict: array job $job, $SHARDS tasks done in ${elapsed}s; $line"
exit "$status"
