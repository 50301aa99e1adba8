#!/usr/bin/env bash
# Trains the sample models of samples/models/ from the configs in samples/models/configs/ on the
# real data in $DATA, with a release build of equiscan. Reproducible: the same data, config and
# thread count give the same weights (and the same SHA-256 in each metadata.json).
#
#   DATA=../shared/data scripts/train-sample-models.sh [name ...]
#
# Each model is trained into a hidden folder, its checkpoints are dropped, classifiers are
# evaluated on their validation folder (evaluation.json, with the C4/D4-averaged figures), and
# the folder then replaces samples/models/<name>. Timings go to stdout only, so that the
# committed files do not change from run to run.
set -euo pipefail

DATA=${DATA:-../shared/data}
BIN=${BIN:-.build/release/equiscan}
MODELS_DIR=samples/models
if [ "$#" -gt 0 ]; then
    names=("$@")
else
    names=()
    for config in "$MODELS_DIR"/configs/*.json; do
        names+=("$(basename "$config" .json)")
    done
fi

[ -x "$BIN" ] || { echo "missing $BIN: run 'swift build -c release' first" >&2; exit 66; }
[ -d "$DATA" ] || { echo "missing data folder $DATA (set DATA=...)" >&2; exit 66; }

# Validation folders to evaluate on (classifiers only: the segmentation sets are split at
# random inside one folder, so evaluating on the folder would mix in training cases).
declare -A EVALUATE=(
    [bccd-cells]="classification/bccd-cells/val"
)

summary=()
for name in "${names[@]}"; do
    config="$MODELS_DIR/configs/$name.json"
    [ -f "$config" ] || { echo "no config $config" >&2; exit 66; }
    work="$MODELS_DIR/.$name.training"
    rm -rf "$work"
    echo "== training $name"
    start=$(date +%s)
    "$BIN" train "$config" --data-root "$DATA" --output "$work"
    seconds=$(( $(date +%s) - start ))
    rm -rf "$work/checkpoint"
    if [ -n "${EVALUATE[$name]:-}" ]; then
        "$BIN" evaluate "$work" "$DATA/${EVALUATE[$name]}" --json > "$work/evaluation.json.tmp"
        mv "$work/evaluation.json.tmp" "$work/evaluation.json"
    fi
    rm -rf "${MODELS_DIR:?}/$name"
    mv "$work" "$MODELS_DIR/$name"
    summary+=("$name: ${seconds} s")
done

echo "== done"
printf '%s\n' "${summary[@]}"
