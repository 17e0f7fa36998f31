#!/usr/bin/env python3
"""Per-family accuracy of `Workbench eval` results files, side by side (the model card's table).

usage: scripts/by-family.py NAME=RESULTS.jsonl [NAME=RESULTS.jsonl ...]
Each results file needs greedy answers (eval without --no-greedy) and the dataset's "family" field.
Prints, per family and file: greedy / maj@N / pass@N as counts of n, then the totals (with one sample: the mean
share of right candidates).
"""
import json
import sys
from collections import defaultdict

files = [arg.split("=", 1) for arg in sys.argv[1:]]
table = defaultdict(dict)
totals = {}
for name, path in files:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    per = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        f = r.get("fields", {}).get("family", "?")
        c = per[f]
        c[0] += r.get("greedyCorrect") is True
        c[1] += r["majorityCorrect"] is True
        c[2] += any(k["correct"] for k in r["candidates"])
        c[3] += 1
    for f, c in per.items():
        table[f][name] = c
    n = len(rows)
    one = sum(sum(k["correct"] for k in r["candidates"]) / max(1, len(r["candidates"])) for r in rows) / n
    totals[name] = [sum(c[i] for c in per.values()) / n for i in range(3)] + [one, n]

names = [n for n, _ in files]
print("| family | " + " | ".join(f"{n}: greedy / maj / pass of n" for n in names) + " |")
print("|---|" + "---|" * len(names))
for f in sorted(table):
    cells = [("{} / {} / {} of {}".format(*table[f][n]) if n in table[f] else "–") for n in names]
    print(f"| {f} | " + " | ".join(cells) + " |")
print("| **all** | " + " | ".join("{:.3f} / **{:.3f}** / {:.3f} of {}".format(*totals[n][:3], totals[n][4]) for n in names) + " |")
for n in names:
    g, m, p, one, count = totals[n]
    print(f"{n}: greedy {g:.3f}, one sample {one:.3f}, maj {m:.3f}, pass {p:.3f} (n = {count})")
