#!/usr/bin/env bash
# Trains the sample models of samples/models/ from the configs in samples/models/configs/ on the
# real data in $DATA, with a release build of equiscan. Reproducible: the same data, config and
# thread count give the same weights (and the same SHA-256 in each metadata.json).
#
#   DATA=../shared/data scripts/train-sample-models.sh [name ...]
#
# Each model is trained into a hidden folder, its checkpoints are dropped, it is evaluated on
# its held-out validation cases (evaluation.json: metrics as given, C4/D4-averaged, orbit
# consistency; segmenters also HD95), and the folder then replaces samples/models/<name>.
# Weights and metadata.json are reproducible; training-log.csv also records wall-clock seconds.
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

# Held-out data to evaluate on: a folder, or "split" for the seeded validation split listed in
# the package's validation-cases.txt (linked into a temporary images/ + labels/ or flat folder).
declare -A EVALUATE=(
    [bccd-cells]="classification/bccd-cells/val"
    [em-membranes]="split"
    [mni-tissue]="split"
    [orientation-d4]="split"
    # Continuous (EGNN) orientation: its held-out angular errors are measured while training
    # and stored in metadata.json (validationMetrics); there is no separate evaluate step.
    [orientation-egnn]=""
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
    target="${EVALUATE[$name]:-}"
    if [ "$target" = "split" ]; then
        held=$(mktemp -d)
        paired=0
        grep -q '/labels/' "$work/validation-cases.txt" && paired=1
        while IFS= read -r path; do
            [ -n "$path" ] || continue
            case "$path" in /*) source="$path" ;; *) source="$(cd "$DATA" && pwd)/$path" ;; esac
            sub=$(basename "$(dirname "$path")")
            dest="$held"
            if [ "$paired" = 1 ]; then mkdir -p "$held/$sub"; dest="$held/$sub"; fi
            # Distinct names for files from different folders (orientation sets).
            link="$dest/$(basename "$path")"
            [ -e "$link" ] && link="$dest/$(echo "$path" | tr '/' '_')"
            ln -s "$source" "$link"
        done < "$work/validation-cases.txt"
        "$BIN" evaluate "$work" "$held" --json > "$work/evaluation.json.tmp"
        rm -rf "$held"
        mv "$work/evaluation.json.tmp" "$work/evaluation.json"
    elif [ -n "$target" ]; then
        "$BIN" evaluate "$work" "$DATA/$target" --json > "$work/evaluation.json.tmp"
        mv "$work/evaluation.json.tmp" "$work/evaluation.json"
    fi
    rm -rf "${MODELS_DIR:?}/$name"
    mv "$work" "$MODELS_DIR/$name"
    summary+=("$name: ${seconds} s")
done

echo "== done"
printf '%s\n' "${summary[@]}"
