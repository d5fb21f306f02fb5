#!/usr/bin/env python3
"""Times FLINT (python-flint) on the matrix files written by hessrank-bench.

Usage: flint_compare.py JOBS.json
JOBS.json is a list of {"file": path, "prime": p, "fmpz": bool, "nmod": bool, "fflu": bool}.
Prints a JSON list with, per job: fmpz_seconds / fmpz_rank (fmpz_mat.rank, the certified
exact rank), fflu_seconds (fmpz_mat.fflu, FLINT's fraction-free LU, the
algorithm of --method bareiss), nmod_seconds / nmod_rank (nmod_mat(M, p).rank(), excluding the conversion),
nmod_convert_seconds, the same figures in CPU seconds (*_cpu_seconds: fair on a loaded
machine), and the FLINT version. Times are medians of 3 runs when a run takes
under one second (15 under 10 ms, like hessrank-bench), else a single run. FLINT runs single-threaded (python-flint default).
"""
import json
import math
import statistics
from fractions import Fraction
import sys
import time

import flint


def read_matrix(path):
    """Integer rows; rows with fractions a/b are scaled by the lcm of their denominators
    (as hessrank does: the rank does not change)."""
    rows = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                row = [Fraction(x) for x in line]
                scale = 1
                for q in row:
                    scale = math.lcm(scale, q.denominator)
                rows.append([int(q * scale) for q in row])
    return rows


CPU = {}


def timed(fn, key=None):
    """(median wall seconds, value); the median CPU seconds of this (single-threaded)
    process go to CPU[key]: on a loaded machine they are the fair figure."""
    t, c = time.perf_counter(), time.process_time()
    value = fn()
    first, first_cpu = time.perf_counter() - t, time.process_time() - c
    times, cpus = [first], [first_cpu]
    if first < 1.0:
        for _ in range(14 if first < 0.01 else 2):
            t, c = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    if key:
        CPU[key] = statistics.median(cpus)
    return statistics.median(times), value


def main():
    jobs = json.load(open(sys.argv[1]))
    out = []
    for job in jobs:
        rows = read_matrix(job["file"])
        res = {"file": job["file"], "flint": flint.__FLINT_VERSION__, "python_flint": flint.__version__}
        if job.get("fmpz"):
            a = flint.fmpz_mat(rows)
            res["fmpz_seconds"], res["fmpz_rank"] = timed(lambda: a.rank(), "fmpz_cpu_seconds")
        if job.get("fflu"):
            a = flint.fmpz_mat(rows)
            res["fflu_seconds"], _ = timed(lambda: a.fflu(), "fflu_cpu_seconds")
        if job.get("nmod"):
            p = int(job["prime"])
            t = time.perf_counter()
            m = flint.nmod_mat(rows, p)
            res["nmod_convert_seconds"] = time.perf_counter() - t
            res["nmod_seconds"], res["nmod_rank"] = timed(lambda: m.rank(), "nmod_cpu_seconds")
        res.update(CPU)
        CPU.clear()
        out.append(res)
        print(json.dumps(res), file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
