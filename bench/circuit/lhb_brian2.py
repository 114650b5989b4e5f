#!/usr/bin/python3
"""The LHb population of ketsim's circuit module, written for Brian2 (2.5, Debian
python3-brian): the same equations, parameters, heterogeneity, input statistics, step
and duration as src/circuit (depressed cells, no ketamine), integrated with Brian2's
`exponential_euler` as ketsim integrates them (each variable advanced exactly for its
own linear equation with the others frozen at the start of the step; the instantaneous
functions of V in the voltage equation -- T activation, Kir gate, Mg2+ block -- use V at
the start of the step, `vold`, exactly as ketsim does).

Differences that remain, and why:
- Random input: ketsim draws Poisson event times per cell (xoshiro256**, events fall on
  the step they occur in); here each step has an event with probability rate*dt
  (Brian2's rand()). Both are Poisson processes to O(rate*dt) = 1e-3; the streams differ,
  so the comparison is of firing statistics, not spike times.
- Without ketamine the blocked NMDA states of ketsim stay exactly 0, so only the open
  state is written here (ketsim still computes the zero states: a little more work).

usage: lhb_brian2.py --mode runtime|standalone --cells N --duration-ms D --warmup-ms W
                     --dt-ms DT --seed S [--build-dir DIR] [--target cython|numpy]
Prints one JSON line with the same statistics as bench_circuit.c and the timings.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np


def hetero(n, which, h):
    phi = [0.6180339887498949, 0.4142135623730951, 0.7320508075688772,
           0.2360679774997897, 0.1415926535897932][which]
    x = (np.arange(n, dtype=float) + 1.0) * phi
    x -= np.floor(x)
    return 1.0 + h * (2.0 * x - 1.0)


def classify(times_by_cell, warmup, duration, max_isi=20.0, min_silence=100.0,
             min_spikes=2, share=0.5):
    """The burst rule of include/ketsim/circuit.h, spike times in ms."""
    n_cells = len(times_by_cell)
    nb = nt = ns = 0
    bursts_in_bursting = 0
    bursts = burst_spikes = spikes = 0
    for ts in times_by_cell:
        last = -math.inf
        run = 0
        run_ok = False
        n_sp = n_b = n_bs = 0

        def close():
            nonlocal run, n_b, n_bs
            if run >= min_spikes and run_ok:
                n_b += 1
                n_bs += run
            run = 0

        for t in ts:
            isi = t - last
            if run > 0 and isi <= max_isi:
                run += 1
            else:
                close()
                run = 1
                run_ok = isi >= min_silence
            last = t
            if t >= warmup:
                n_sp += 1
            else:
                run = 0
        close()
        spikes += n_sp
        bursts += n_b
        burst_spikes += n_bs
        if n_sp == 0:
            ns += 1
        elif n_b > 0 and n_bs >= share * n_sp:
            nb += 1
            bursts_in_bursting += n_b
        else:
            nt += 1
    secs = duration / 1000.0
    return {
        "frac_bursting": nb / n_cells, "frac_tonic": nt / n_cells, "frac_silent": ns / n_cells,
        "bursts_per_s": bursts_in_bursting / (nb * secs) if nb else 0.0,
        "spikes_per_burst": burst_spikes / bursts if bursts else float("nan"),
        "mean_rate_hz": spikes / (n_cells * secs),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["runtime", "standalone"], required=True)
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--duration-ms", type=float, default=2000.0)
    ap.add_argument("--warmup-ms", type=float, default=500.0)
    ap.add_argument("--dt-ms", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build-dir", default="brian2_standalone")
    ap.add_argument("--target", default="cython")
    a = ap.parse_args()

    import brian2 as b2
    from brian2 import ms, mV, Hz, second, uF, cm, msiemens, mM  # noqa: F401

    b2.prefs.logging.std_redirection = False
    t_setup = time.perf_counter()
    if a.mode == "standalone":
        b2.set_device("cpp_standalone", directory=a.build_dir, build_on_run=False)
    else:
        b2.prefs.codegen.target = a.target
    b2.defaultclock.dt = a.dt_ms * ms
    b2.seed(a.seed)
    n_cells = a.cells
    spread = 0.2

    eqs = """
    dv/dt = (gna*m**3*h*(ENa - v) + gkd*n**4*(EK - v) + gt*mT**2*ht*(ECa - v)
             + gh*mh*(Eh - v) + gl*(EL - v) + gkir*mK*(EK - v) + gampa*ra*(EA - v)
             + gnmda*o*mgB*(EN - v) + ggaba*rg*(EG - v))/Cm : volt
    dm/dt = am*(1 - m) - bm*m : 1
    dh/dt = ah*(1 - h) - bh*h : 1
    dn/dt = an*(1 - n) - bn*n : 1
    dht/dt = (htinf - ht)/tauht : 1
    dmh/dt = (mhinf - mh)/taumh : 1
    dra/dt = alphaA*Tg*(1 - ra) - betaA*ra : 1
    do/dt = alphaN*Tg*(1 - o) - betaN*o : 1
    drg/dt = alphaG*Tb*(1 - rg) - betaG*rg : 1
    u = v - VT : volt
    am = 0.32/(mV*ms)*(u - 13*mV)/(1 - exp(-(u - 13*mV)/(4*mV))) : Hz
    bm = 0.28/(mV*ms)*(40*mV - u)/(1 - exp((u - 40*mV)/(5*mV))) : Hz
    ah = 0.128/ms*exp(-(u - 17*mV)/(18*mV)) : Hz
    bh = 4/ms/(1 + exp(-(u - 40*mV)/(5*mV))) : Hz
    an = 0.032/(mV*ms)*(u - 15*mV)/(1 - exp(-(u - 15*mV)/(5*mV))) : Hz
    bn = 0.5/ms*exp(-(u - 10*mV)/(40*mV)) : Hz
    htinf = 1/(1 + exp((v + vshift + 81*mV)/(4*mV))) : 1
    tauht = (30.8*ms + (211.4*ms + exp((v + vshift + 113.2*mV)/(5*mV))*ms)
             /(1 + exp((v + vshift + 84*mV)/(3.2*mV))))/phih : second
    mhinf = 1/(1 + exp((v + 86.4*mV)/(11.2*mV))) : 1
    taumh = 1*ms/(exp(-14.59 - 0.086*v/mV) + exp(-1.87 + 0.0701*v/mV))/tcorr : second
    mT = 1/(1 + exp(-(vold + vshift + 57*mV)/(6.2*mV))) : 1
    mK = 1/(1 + exp((vold + 97.9*mV)/(9.7*mV))) : 1
    mgB = 1/(1 + exp(-0.062*vold/mV)*Mg/3.57) : 1
    Tg = int(t < tend_g) : 1
    Tb = int(t < tend_b) : 1
    vold : volt
    tend_g : second
    tend_b : second
    gt : siemens/meter**2 (constant)
    gl : siemens/meter**2 (constant)
    gkir : siemens/meter**2 (constant)
    pglu : 1 (constant)
    pgaba : 1 (constant)
    """
    ns = {
        "Cm": 1 * uF / cm**2, "gna": 50 * msiemens / cm**2, "ENa": 50 * mV, "VT": -50 * mV,
        "gkd": 4 * msiemens / cm**2, "EK": -90 * mV, "ECa": 120 * mV, "vshift": 2 * mV,
        "phih": 3.0 ** 1.2, "gh": 0.022 * msiemens / cm**2, "Eh": -43 * mV,
        "tcorr": 4.0 ** 0.2, "EL": -50 * mV, "gampa": 0.005 * msiemens / cm**2,
        "gnmda": 0.5 * msiemens / cm**2, "ggaba": 0.2 * msiemens / cm**2, "EA": 0 * mV,
        "EN": 0 * mV, "EG": -80 * mV, "Mg": 1.0, "alphaA": 1.1 / ms, "betaA": 0.19 / ms,
        "alphaN": 0.072 / ms, "betaN": 0.0066 / ms, "alphaG": 0.53 / ms, "betaG": 0.18 / ms,
        "cdur": 1 * ms, "dead": 1 * ms,
    }
    G = b2.NeuronGroup(n_cells, eqs, threshold="v > -20*mV", refractory="v > -20*mV",
                       method="exponential_euler", namespace=ns)
    # Transmitter pulses: an accepted event opens 1 ms of 1 mM, none within 1 ms after.
    G.run_regularly("""
    evg = int(rand() < pglu) * int(t >= tend_g + dead)
    tend_g = evg*(t + cdur) + (1 - evg)*tend_g
    evb = int(rand() < pgaba) * int(t >= tend_b + dead)
    tend_b = evb*(t + cdur) + (1 - evb)*tend_b
    vold = v
    """, when="start")
    v0 = -70.0
    u0 = v0 + 50.0

    def xexp(x, k):
        return x / (1.0 - math.exp(-x / k))

    am0, bm0 = 0.32 * xexp(u0 - 13, 4), 0.28 * xexp(-(u0 - 40), 5)
    ah0, bh0 = 0.128 * math.exp(-(u0 - 17) / 18), 4 / (1 + math.exp(-(u0 - 40) / 5))
    an0, bn0 = 0.032 * xexp(u0 - 15, 5), 0.5 * math.exp(-(u0 - 10) / 40)
    G.v = v0 * mV
    G.vold = v0 * mV
    G.m = am0 / (am0 + bm0)
    G.h = ah0 / (ah0 + bh0)
    G.n = an0 / (an0 + bn0)
    G.ht = 1 / (1 + math.exp((v0 + 2 + 81) / 4))
    G.mh = 1 / (1 + math.exp((v0 + 86.4) / 11.2))
    G.tend_g = -1e3 * second
    G.tend_b = -1e3 * second
    G.gt = 2.0 * hetero(n_cells, 0, spread) * msiemens / cm**2
    G.gkir = 1.0 * hetero(n_cells, 1, spread) * msiemens / cm**2
    G.gl = 0.019 * hetero(n_cells, 2, spread) * msiemens / cm**2
    G.pglu = 20.0 * hetero(n_cells, 3, spread) * a.dt_ms * 1e-3
    G.pgaba = 40.0 * hetero(n_cells, 4, spread) * a.dt_ms * 1e-3
    S = b2.SpikeMonitor(G)
    total = (a.warmup_ms + a.duration_ms) * ms
    setup_s = time.perf_counter() - t_setup
    if a.mode == "runtime":
        net = b2.Network(G, S)
        t0 = time.perf_counter()
        net.run(a.dt_ms * ms)  # code generation and compilation (cached after a first run)
        t1 = time.perf_counter()
        net.run(total - a.dt_ms * ms)
        t2 = time.perf_counter()
        run_s = t2 - t1
        total_s = t2 - t0
        compile_s = t1 - t0
    else:
        b2.run(total)
        t0 = time.perf_counter()
        b2.device.build(directory=a.build_dir, compile=True, run=True, debug=False)
        t1 = time.perf_counter()
        run_s = float(b2.device._last_run_time)
        total_s = t1 - t0
        compile_s = total_s - run_s
    idx = np.asarray(S.i[:])
    tms = np.asarray(S.t[:] / ms)
    order = np.lexsort((tms, idx))
    idx, tms = idx[order], tms[order]
    by_cell = [[] for _ in range(n_cells)]
    for i, t in zip(idx, tms):
        by_cell[i].append(float(t))
    st = classify(by_cell, a.warmup_ms, a.duration_ms)
    st.update({"tool": "brian2-" + a.mode + ("" if a.mode == "standalone" else "-" + a.target),
               "cells": n_cells, "dt_ms": a.dt_ms, "duration_ms": a.duration_ms,
               "warmup_ms": a.warmup_ms, "run_s": run_s, "total_s": total_s,
               "compile_s": compile_s, "setup_s": setup_s, "brian2": b2.__version__})
    print(json.dumps(st))


if __name__ == "__main__":
    sys.exit(main())
