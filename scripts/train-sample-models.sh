#!/usr/bin/env bash
# Trains the sample models of samples/models/ from the configs in samples/models/configs/ on the
# real data in $DATA, with a release build of equiscan. Reproducible: the same data, config and
# thread count give the same weights (and the same SHA-256 in each metadata.json).
#
#   DATA=../shared/data scripts/train-sample-models.sh [name ...]
#   SEED=12 scripts/train-sample-models.sh em-membranes   # the recipe with another seed
#
# Each model is trained into a hidden folder, its checkpoints are dropped, it is evaluated on
# its test cases (evaluation.json: metrics as given with 95 % bootstrap intervals over cases,
# C4/D4-averaged, orbit consistency; segmenters also HD95) or, for a recipe without a test
# part, on its validation cases with --allow-seen (they chose the epoch, so those figures are
# optimistic), and the folder then replaces samples/models/<name>. It says whether the new
# weights' SHA-256 matches the committed package's. metadata.json records what changes the
# bits (seed, threads, BLAS core type, oneDNN ISA, and the code revision:
# EQUISCAN_CODE_REVISION, `git describe` by default); training-log.csv also records
# wall-clock seconds.
set -euo pipefail

DATA=${DATA:-../shared/data}
BIN=${BIN:-.build/release/equiscan}
MODELS_DIR=samples/models
EQUISCAN_CODE_REVISION=${EQUISCAN_CODE_REVISION:-$(git describe --always --dirty 2>/dev/null \
    || echo unknown)}
export EQUISCAN_CODE_REVISION
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
# The orientation scans are extracted from installable packages when a folder the config
# trains on is missing (a data folder written before a source was added included) or the
# folder was written by another version of the extraction script.
FETCH_ORIENTATION="$(dirname "$0")/fetch-orientation-data.py"
for name in "${names[@]}"; do
    if [ "$name" = orientation-d4 ] && ! python3 - "$MODELS_DIR/configs/$name.json" "$DATA" \
            "$(python3 "$FETCH_ORIENTATION" --version)" <<'PY'
import json, os, sys
folders = json.load(open(sys.argv[1]))["data"]["train"]
version = os.path.join(sys.argv[2], "orientation", "VERSION")
current = os.path.isfile(version) and open(version).read().strip() == sys.argv[3]
sys.exit(0 if current and all(os.path.isdir(os.path.join(sys.argv[2], f))
                              for f in folders) else 1)
PY
    then
        DATA="$DATA" python3 "$FETCH_ORIENTATION"
    fi
done

# Held-out data to evaluate on when the package has no test part: a folder, or "split" for the
# seeded validation split listed in the package's validation-cases.txt. Listed cases are linked
# into a temporary images/ + labels/ or flat folder.
declare -A EVALUATE=(
    [bccd-cells]="classification/bccd-cells/val"
    [em-membranes]="split"
    [mni-tissue]="split"
    [orientation-d4]="split"
    # Continuous (EGNN) orientation: its held-out angular errors are measured while training
    # and stored in metadata.json (validationMetrics); there is no separate evaluate step.
    [orientation-egnn]=""
)

# Links the files listed in case list $1 (lines "<sha256>  <path>" or "<path>", relative to
# $DATA) into the folder $2, for the package whose metadata.json is $3: each file under its
# own folder's name (images/ and labels/, or the class) for segmenters and classifiers, all in
# one folder for orientation scans.
link_listed() {
    local list=$1 held=$2 paired=0 line path source sub dest link
    if grep -q '/labels/' "$list" || grep -q '"task" : "classification"' "$3"; then
        paired=1
    fi
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        if [[ "$line" =~ ^[0-9a-f]{64}\ \  ]]; then path=${line:66}; else path=$line; fi
        case "$path" in /*) source="$path" ;; *) source="$(cd "$DATA" && pwd)/$path" ;; esac
        sub=$(basename "$(dirname "$path")")
        dest="$held"
        if [ "$paired" = 1 ]; then mkdir -p "$held/$sub"; dest="$held/$sub"; fi
        # Distinct names for files from different folders (orientation sets).
        link="$dest/$(basename "$path")"
        [ -e "$link" ] && link="$dest/$(echo "$path" | tr '/' '_')"
        ln -s "$source" "$link"
    done < "$list"
}

# The SHA-256 of the committed package's weights (HEAD), or of the file in the working tree
# when git cannot say; empty when there is none.
committed_weights() {
    local file="$MODELS_DIR/$1/weights.safetensors"
    if git cat-file -e "HEAD:$file" 2>/dev/null; then
        git cat-file blob "HEAD:$file" | sha256sum | cut -d' ' -f1
    elif [ -f "$file" ]; then
        sha256sum "$file" | cut -d' ' -f1
    fi
}

summary=()
for name in "${names[@]}"; do
    config="$MODELS_DIR/configs/$name.json"
    [ -f "$config" ] || { echo "no config $config" >&2; exit 66; }
    if [ -n "${SEED:-}" ]; then
        # The recipe with another seed (a data.splitSeed in it keeps the parts): a copy.
        seeded=$(mktemp -d)/"$name.json"
        python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["seed"] = int(sys.argv[2]); json.dump(c, open(sys.argv[3], "w"), indent=2)' "$config" "$SEED" "$seeded"
        config=$seeded
    fi
    work="$MODELS_DIR/.$name.training"
    rm -rf "$work"
    echo "== training $name"
    start=$(date +%s)
    "$BIN" train "$config" --data-root "$DATA" --output "$work"
    seconds=$(( $(date +%s) - start ))
    rm -rf "$work/checkpoint"
    target="${EVALUATE[$name]:-}"
    held=""
    if [ -s "$work/test-cases.txt" ]; then
        held=$(mktemp -d)
        link_listed "$work/test-cases.txt" "$held" "$work/metadata.json"
        "$BIN" evaluate "$work" "$held" --json > "$work/evaluation.json.tmp"
    elif [ -n "$target" ]; then
        echo "$name: no test part in the recipe; evaluating on its validation cases" \
             "(--allow-seen: they chose the epoch, so the figures are optimistic)" >&2
        if [ "$target" = "split" ]; then
            held=$(mktemp -d)
            link_listed "$work/validation-cases.txt" "$held" "$work/metadata.json"
            target="$held"
        else
            target="$DATA/$target"
        fi
        "$BIN" evaluate "$work" "$target" --json --allow-seen > "$work/evaluation.json.tmp"
    fi
    [ -n "$held" ] && rm -rf "$held"
    [ -f "$work/evaluation.json.tmp" ] && mv "$work/evaluation.json.tmp" "$work/evaluation.json"
    new_sha=$(sha256sum "$work/weights.safetensors" | cut -d' ' -f1)
    old_sha=$(committed_weights "$name")
    if [ -z "$old_sha" ]; then
        match="no committed package to compare with"
    elif [ "$new_sha" = "$old_sha" ]; then
        match="weights SHA-256 matched the committed package ($new_sha)"
    else
        match="weights SHA-256 differs from the committed package (now $new_sha, committed"
        match="$match $old_sha): compare reproducibility in the two metadata.json files"
    fi
    echo "$name: $match"
    rm -rf "${MODELS_DIR:?}/$name"
    mv "$work" "$MODELS_DIR/$name"
    summary+=("$name: ${seconds} s; $match")
done

echo "== done"
printf '%s\n' "${summary[@]}"
