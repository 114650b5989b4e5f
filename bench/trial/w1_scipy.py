#!/usr/bin/env python3
"""Workload W1 as a scipy user would write it: the Perez-Ruixo 2021 esketamine model
(IV route: central, two peripheral, hepato-portal, noresketamine central and peripheral,
and an effect site) for each patient of a ketsim --patients file (individual Vc and kel),
six 0.5 mg/kg 40-min infusions (Mon/Wed/Fri x 2 weeks from Monday 09:00), a 15-minute
grid over 28 days, percentiles of three outputs. odeint (LSODA) integrates piecewise
between infusion starts and ends, as the rate is discontinuous there.

Typical values from models/esketamine/perez-ruixo-2021.json (Perez-Ruixo 2021, via
nlmixr2lib); age 45 y (the model's default), so the age effect on Qh is 0.

usage: w1_scipy.py PATIENTS.csv OUT.csv
prints: "scipy N_PATIENTS SECONDS" on standard output."""
import csv
import math
import sys
import time

import numpy as np
from scipy.integrate import odeint

Q1, VP1, Q2, VP2, QH, VH, KMET = 84.3, 143.0, 37.6, 417.0, 151.0, 101.0, 2.77
VCN, CLN, Q3, VPN = 70.0, 38.0, 26.1, 115.0
KE0 = math.log(2) / (6.1 / 60)
DOSE_DAYS = [0, 2, 4, 7, 9, 11]  # Mon, Wed, Fri x 2 weeks
INF_H = 40 / 60


def rhs(a, t, vc, kel, rate):
    c, p1, p2, h, nc, np_, ce = a
    return [
        rate - (Q1 + Q2 + QH) / vc * c + Q1 / VP1 * p1 + Q2 / VP2 * p2 + QH / VH * h,
        Q1 / vc * c - Q1 / VP1 * p1,
        Q2 / vc * c - Q2 / VP2 * p2,
        QH / vc * c - (QH / VH + kel + KMET) * h,
        KMET * h - (CLN + Q3) / VCN * nc + Q3 / VPN * np_,
        Q3 / VCN * nc - Q3 / VPN * np_,
        KE0 * (c / vc - ce),
    ]


def patient(vc, kel, weight, grid):
    rate = 0.5 * weight / INF_H  # mg/h
    events = sorted({24.0 * d for d in DOSE_DAYS} | {24.0 * d + INF_H for d in DOSE_DAYS})
    bounds = [0.0] + [e for e in events if 0 < e < grid[-1]] + [grid[-1]]
    out = np.zeros((len(grid), 3))
    a = np.zeros(7)
    gi = 0
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        on = any(24.0 * d <= t0 < 24.0 * d + INF_H for d in DOSE_DAYS)
        pts = [t0] + [g for g in grid if t0 < g < t1] + [t1]
        sol = odeint(rhs, a, pts, args=(vc, kel, rate if on else 0.0), rtol=1e-8, atol=1e-10)
        for k, t in enumerate(pts):
            if gi < len(grid) and abs(grid[gi] - t) < 1e-9:
                c = sol[k]
                out[gi] = [1000 * c[0] / vc, 1000 * c[4] / VCN, 1000 * c[6]]
                gi += 1
        a = sol[-1]
    return out


def main():
    pats = list(csv.DictReader(open(sys.argv[1])))
    grid = np.arange(0, 28 * 24 + 1e-9, 0.25)
    t0 = time.perf_counter()
    allv = np.array([patient(float(p["Vc_L"]), float(p["kel_1_h"]), float(p["weight_kg"]), grid)
                     for p in pats])
    q = np.percentile(allv, [5, 50, 95], axis=0)  # linear = type 7
    secs = time.perf_counter() - t0
    names = ["cp_esketamine_ng_ml", "cp_noresketamine_ng_ml", "ce_esketamine_ng_ml"]
    with open(sys.argv[2], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time_h"] + [f"{n}_p{p}" for n in names for p in (5, 50, 95)])
        for i, t in enumerate(grid):
            w.writerow([repr(float(t))] + [repr(float(q[k, i, j])) for j in range(3) for k in range(3)])
    print(f"scipy {len(pats)} {secs:.3f}")


main()
