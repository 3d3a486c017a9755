#!/usr/bin/env python3
"""Does key sampling hold?  Compares a full run with a --sample-keys run.

usage: bench/sampling_accuracy.py FULL_DIR SAMPLED_DIR [--ratio-tol 0.03] [--rss-tol 0.05]

Both are `fragsim run` results directories of the same trace (the sampled
one with --sample-keys R; R is read from its summary.json).  Their samples
fall at the same virtual times (sampling keeps the clock's origin and end),
so rows are matched by virtual_time.  Only the samples where the full run's
used_memory is at least 10% of its peak count (the same floor as the peak
ratios of summary.json: a ratio over a nearly empty heap says nothing).

Printed, each as the worst deviation over those samples and where it is:
  allocator_frag_ratio     active / allocated, as measured in both runs
  mem_fragmentation_ratio  used_memory_rss / (used_memory + used_memory_startup),
                           as measured: the server's start-up memory does not
                           shrink with R, so at small R this one drifts up
  mem_frag_no_engine       (process_rss - engine_rss) / used_memory: the
                           process's RSS, fragsim's own memory taken out
  mem_frag_heap            heap_rss / used_memory: engine memory and the
                           start-up baseline taken out (what the heap costs)
  mem_frag_est             used_memory_rss_est / used_memory_est: the sampled
                           run's full-size estimate of mem_fragmentation_ratio
                           (baseline counted once), against the full run's
  used_memory_rss_est      startup + (used_memory_rss - startup) / R, the
                           summary's estimate, against the full run's RSS
  heap_rss_est             heap_rss / R against the full run's heap_rss
Ratios are compared as absolute differences (tolerance --ratio-tol), RSS
estimates as relative ones (--rss-tol).  "holds from" is the lowest share of
the peak used_memory above which every compared sample is within tolerance
(10%: everywhere; never: not even at the peak; the deviations grow as the heap empties: an allocator's fixed costs, its
metadata and thread caches, do not shrink with R).  Exit status 0 when every line
marked [check] holds, 1 when one does not, 2 on bad input.
"""
import csv
import json
import math
import os
import sys


def load(d):
    try:
        with open(os.path.join(d, "summary.json")) as f:
            summary = json.load(f)
        with open(os.path.join(d, "series.csv")) as f:
            rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    except (OSError, ValueError) as e:
        sys.exit(f"sampling_accuracy: {d}: {e}")
    if not rows:
        sys.exit(f"sampling_accuracy: {d}/series.csv: no samples")
    return summary, rows


def num(row, col):
    v = row.get(col, "")
    return float(v) if v not in ("", None) else math.nan


def raw_rss(row):
    """The process's RSS: process_rss, or used_memory_rss before that column."""
    return num(row, "process_rss") if row.get("process_rss") else num(row, "used_memory_rss")


def startup_used(row):
    """The server's start-up used_memory (0 before that column)."""
    return num(row, "used_memory_startup") if row.get("used_memory_startup") else 0.0


def div(a, b):
    return a / b if b else math.nan


def main(argv):
    args, ratio_tol, rss_tol = [], 0.03, 0.05
    i = 1
    while i < len(argv):
        if argv[i] in ("--ratio-tol", "--rss-tol") and i + 1 < len(argv):
            try:
                v = float(argv[i + 1])
            except ValueError:
                sys.exit(f"sampling_accuracy: {argv[i]} '{argv[i + 1]}': expected a number")
            if argv[i] == "--ratio-tol":
                ratio_tol = v
            else:
                rss_tol = v
            i += 2
        elif argv[i] in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    fs, frows = load(args[0])
    ss, srows = load(args[1])
    r = float(ss.get("config", {}).get("sample_keys", 1))
    # The server's start-up RSS, counted once (results before it was kept:
    # the process's start-up baseline, in used_memory_rss then).
    base = float(ss.get("server_startup", {}).get("used_memory_rss",
                                                  ss.get("engine", {}).get("baseline_rss", 0)))
    if not 0 < r <= 1:
        sys.exit(f"sampling_accuracy: {args[1]}: sample_keys {r} out of range")
    if fs.get("config", {}).get("sample_keys", 1) != 1:
        sys.exit(f"sampling_accuracy: {args[0]}: not a full run (sample_keys "
                 f"{fs['config']['sample_keys']})")
    by_t = {round(num(s, "virtual_time"), 3): s for s in srows}
    peak = max(num(f, "used_memory") for f in frows)

    ratio_cols = {
        "allocator_frag_ratio": lambda x: num(x, "allocator_frag_ratio"),
        "mem_fragmentation_ratio": lambda x: num(x, "mem_fragmentation_ratio"),
        "mem_frag_no_engine": lambda x: div(raw_rss(x) - num(x, "engine_rss"),
                                            num(x, "used_memory")),
        "mem_frag_heap": lambda x: div(num(x, "heap_rss"), num(x, "used_memory")),
    }
    # The full run's raw ratio against the sampled run's estimate of it.
    est_cols = {
        "mem_frag_est": (lambda f: num(f, "mem_fragmentation_ratio"),
                         lambda s: div(base + (num(s, "used_memory_rss") - base) / r,
                                       num(s, "used_memory") / r + startup_used(s))),
    }
    rss_cols = {
        "used_memory_rss_est": (lambda f: num(f, "used_memory_rss"),
                                lambda s: base + (num(s, "used_memory_rss") - base) / r),
        "heap_rss_est": (lambda f: num(f, "heap_rss"), lambda s: num(s, "heap_rss") / r),
    }
    worst = {k: (0.0, None, None, None) for k in list(ratio_cols) + list(est_cols) + list(rss_cols)}
    # per figure: the highest used_memory share at which it failed
    fail_at = {k: 0.0 for k in worst}
    n = missing = 0
    for f in frows:
        if num(f, "used_memory") < 0.10 * peak:
            continue
        s = by_t.get(round(num(f, "virtual_time"), 3))
        if s is None:
            missing += 1
            continue
        n += 1
        t = num(f, "virtual_time")
        share = num(f, "used_memory") / peak
        pairs = [(k, fn(f), fn(s), ratio_tol, False) for k, fn in ratio_cols.items()]
        pairs += [(k, ff(f), sf(s), ratio_tol, False) for k, (ff, sf) in est_cols.items()]
        pairs += [(k, ff(f), sf(s), rss_tol, True) for k, (ff, sf) in rss_cols.items()]
        for k, a, b, tol, relative in pairs:
            d = (abs(b - a) / a if a else math.nan) if relative else abs(b - a)
            if math.isnan(d):
                continue
            if d >= worst[k][0]:
                worst[k] = (d, t, a, b)
            if d > tol:
                fail_at[k] = max(fail_at[k], share)
    print(f"full {args[0]}  sampled {args[1]}  sample_keys {r:g}")
    print(f"samples compared: {n} (full run's used_memory >= 10% of its peak "
          f"{peak / 2**20:.1f} MiB){f'; {missing} without a matching sample' if missing else ''}")
    if n == 0:
        print("nothing to compare", file=sys.stderr)
        return 2
    ok = True
    checked = ("allocator_frag_ratio", "mem_frag_heap", "heap_rss_est")
    print(f"{'figure':26} {'worst':>9} {'at_s':>8} {'full':>12} {'sampled':>12}  "
          f"{'holds_from':>10}  verdict")
    for k, (d, t, a, b) in worst.items():
        is_ratio = k not in rss_cols
        tol = ratio_tol if is_ratio else rss_tol
        held = d <= tol
        if k in checked:
            ok &= held
        verdict = ("holds" if held else "FAILS") + (" [check]" if k in checked else "")
        fmt = (lambda v: f"{v:12.4f}") if is_ratio else (lambda v: f"{v / 2**20:10.1f}Mi")
        dev = f"{d:9.4f}" if is_ratio else f"{100 * d:8.2f}%"
        holds_from = ("never" if fail_at[k] >= 1 else f"{100 * fail_at[k]:9.0f}%" if fail_at[k] > 0
                      else f"{10:9.0f}%")
        print(f"{k:26} {dev} {t if t is not None else math.nan:8.1f} "
              f"{fmt(a) if a is not None else '':>12} {fmt(b) if b is not None else '':>12}  "
              f"{holds_from:>10}  {verdict}")
    print(f"worst: {'all checks hold' if ok else 'a check fails'} "
          f"(ratios within {ratio_tol}, RSS estimates within {100 * rss_tol:g}%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
