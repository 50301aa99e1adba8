#!/usr/bin/env python3
"""Compares a sharded EquiScan run, merged, with a single-machine run of the same batch.

    compare-shard-runs.py --single DIR --merged DIR SHARD_DIR...

SHARD_DIR i (in the order given) must be shard i of n = the number of shard folders. Checked:

- each shard's run.json names that shard and counts its records;
- every case of the single run is in exactly one shard, and the shards hold no other case;
- the merged folder holds exactly the single run's cases, and its run.json counts them;
- every merged record equals the single run's record in everything but the timings
  (stageSeconds, orbit.seconds): same status, same label, and probabilities equal as float64 values, that
  is bit for bit (JSON numbers are written shortest-round-trip, so equal values are equal
  bits);
- reports/predictions.csv is the same in both, but for its `seconds` column.

Prints one line with the counts. Exit status 0 when everything agrees; 1 otherwise, with one
line per difference on stderr.
"""

import argparse
import csv
import json
import os
import sys


def records(folder):
    """Case id -> record, for every results/ID.json under `folder` (temporary files skipped)."""
    base = os.path.join(folder, "results")
    found = {}
    for directory, _, files in os.walk(base):
        for name in files:
            if not name.endswith(".json") or name.startswith("."):
                continue
            path = os.path.join(directory, name)
            case = os.path.relpath(path, base)[: -len(".json")]
            with open(path, encoding="utf-8") as handle:
                found[case] = json.load(handle)
    return found


def manifest(folder):
    with open(os.path.join(folder, "run.json"), encoding="utf-8") as handle:
        return json.load(handle)


def without_timings(record):
    kept = {key: value for key, value in record.items() if key != "stageSeconds"}
    if isinstance(kept.get("orbit"), dict):
        kept["orbit"] = {key: value for key, value in kept["orbit"].items() if key != "seconds"}
    return kept


def predictions_without_seconds(path):
    """The rows of a predictions.csv, each without its `seconds` field."""
    with open(path, newline="", encoding="utf-8") as table:
        rows = list(csv.reader(table))
    column = rows[0].index("seconds") if rows else -1
    return [[field for index, field in enumerate(row) if index != column] for row in rows]


def probability_differences(case, merged, single):
    """Lines naming each probability that differs, in hexadecimal float notation."""
    got = (merged.get("classification") or {}).get("probabilities") or {}
    want = (single.get("classification") or {}).get("probabilities") or {}
    lines = []
    for name in sorted(set(got) | set(want)):
        a, b = got.get(name), want.get(name)
        if a is None or b is None or float(a) != float(b):
            show = lambda v: "missing" if v is None else float(v).hex()
            lines.append(f"{case}: probability of {name}: merged {show(a)}, single {show(b)}")
    return lines


def compare(single_folder, merged_folder, shard_folders):
    problems = []
    single = records(single_folder)
    merged = records(merged_folder)

    owner = {}
    sizes = []
    for index, folder in enumerate(shard_folders):
        shard = records(folder)
        sizes.append(len(shard))
        info = manifest(folder)
        if info.get("shard") != {"index": index, "count": len(shard_folders)}:
            problems.append(f"{folder}/run.json: shard is {info.get('shard')}, expected "
                            f"{index}/{len(shard_folders)}")
        if (info.get("counts") or {}).get("cases") != len(shard):
            problems.append(f"{folder}/run.json: counts {info.get('counts')} but "
                            f"{len(shard)} records")
        for case in shard:
            if case in owner:
                problems.append(f"{case}: in {owner[case]} and in {folder}")
            else:
                owner[case] = folder
    for case in sorted(set(single) - set(owner)):
        problems.append(f"{case}: in the single run but in no shard")
    for case in sorted(set(owner) - set(single)):
        problems.append(f"{case}: in {owner[case]} but not in the single run")

    for case in sorted(set(single) - set(merged)):
        problems.append(f"{case}: missing from the merged folder")
    for case in sorted(set(merged) - set(single)):
        problems.append(f"{case}: in the merged folder but not in the single run")
    merged_counts = manifest(merged_folder).get("counts") or {}
    if merged_counts.get("cases") != len(single):
        problems.append(f"{merged_folder}/run.json: {merged_counts.get('cases')} cases, "
                        f"the single run has {len(single)}")

    same_labels = 0
    identical_probabilities = 0
    for case in sorted(set(single) & set(merged)):
        a, b = merged[case], single[case]
        label_a = (a.get("classification") or {}).get("label")
        label_b = (b.get("classification") or {}).get("label")
        if label_a == label_b:
            same_labels += 1
        else:
            problems.append(f"{case}: label {label_a!r} merged, {label_b!r} single")
        differences = probability_differences(case, a, b)
        if differences:
            problems.extend(differences)
        else:
            identical_probabilities += 1
        if without_timings(a) != without_timings(b):
            a_kept, b_kept = without_timings(a), without_timings(b)
            keys = sorted(k for k in set(a_kept) | set(b_kept) if a_kept.get(k) != b_kept.get(k))
            problems.append(f"{case}: records differ in {', '.join(keys)}")

    tables = [os.path.join(folder, "reports", "predictions.csv")
              for folder in (merged_folder, single_folder)]
    csv_note = "no predictions.csv"
    if all(os.path.exists(path) for path in tables):
        if predictions_without_seconds(tables[0]) == predictions_without_seconds(tables[1]):
            csv_note = "predictions.csv the same (seconds aside)"
        else:
            csv_note = "predictions.csv differs"
            problems.append(f"{tables[0]} and {tables[1]} differ beyond their seconds")

    line = (f"{len(single)} cases, shards {'+'.join(map(str, sizes))} = {sum(sizes)} "
            f"({len(owner)} distinct, {len(set(single) - set(owner))} missing); merged "
            f"{len(merged)} vs single {len(single)}: {same_labels} same labels, "
            f"{identical_probabilities} bit-identical probabilities, {csv_note}; "
            f"{len(problems)} differences")
    return line, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", required=True, help="output folder of the single run")
    parser.add_argument("--merged", required=True, help="output folder of equiscan merge")
    parser.add_argument("shards", nargs="+", help="shard output folders, shard 0 first")
    arguments = parser.parse_args()
    try:
        line, problems = compare(arguments.single, arguments.merged, arguments.shards)
    except (OSError, ValueError) as error:
        print(f"compare-shard-runs: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
