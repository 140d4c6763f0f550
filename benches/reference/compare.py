#!/usr/bin/env python3
"""Compares two summary.csv files (boomsim's and the NumPy reference's, or two seeds) within
Monte Carlo error: mean_return by its standard error (mcse_mean of both), and the shares
prob_loss and prob_uplift by sqrt(p (1 - p) / N). Prints every entity's z-scores and the
largest |z|; exits 1 when one exceeds 4.

Usage: compare.py A.csv B.csv --paths N
"""

import argparse
import csv
import math
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--paths", type=int, required=True)
    args = ap.parse_args()
    a = {r["name"]: r for r in csv.DictReader(open(args.a))}
    b = {r["name"]: r for r in csv.DictReader(open(args.b))}
    n = args.paths
    worst = 0.0
    print(f"{'entity':26} {'z(mean)':>8} {'z(loss)':>8} {'z(uplift)':>9}")
    for name in a:
        x, y = a[name], b[name]
        se = math.hypot(float(x["mcse_mean"]), float(y["mcse_mean"]))
        zs = [(float(x["mean_return"]) - float(y["mean_return"])) / se]
        for col in ["prob_loss", "prob_uplift"]:
            if x.get(col, "") == "":
                zs.append(0.0)
                continue
            p = (float(x[col]) + float(y[col])) / 2
            se = math.sqrt(2 * p * (1 - p) / n) or 1.0
            zs.append((float(x[col]) - float(y[col])) / se)
        worst = max(worst, *(abs(z) for z in zs))
        print(f"{name:26} {zs[0]:8.2f} {zs[1]:8.2f} {zs[2]:9.2f}")
    print(f"largest |z| = {worst:.2f}")
    sys.exit(1 if worst > 4 else 0)


if __name__ == "__main__":
    main()
