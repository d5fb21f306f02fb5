#!/usr/bin/env python3
"""Times FLINT (python-flint) on the matrix files written by hessrank-bench.

Usage: flint_compare.py JOBS.json
JOBS.json is a list of {"file": path, "prime": p, "fmpz": bool, "nmod": bool}.
Prints a JSON list with, per job: fmpz_seconds / fmpz_rank (fmpz_mat.rank, the certified
exact rank), nmod_seconds / nmod_rank (nmod_mat(M, p).rank(), excluding the conversion),
nmod_convert_seconds, and the FLINT version. Times are medians of 3 runs when a run takes
under one second, else a single run. FLINT runs single-threaded (python-flint default).
"""
import json
import statistics
import sys
import time

import flint


def read_matrix(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                rows.append([int(x) for x in line])
    return rows


def timed(fn):
    t = time.perf_counter()
    value = fn()
    first = time.perf_counter() - t
    if first >= 1.0:
        return first, value
    times = [first]
    for _ in range(2):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def main():
    jobs = json.load(open(sys.argv[1]))
    out = []
    for job in jobs:
        rows = read_matrix(job["file"])
        res = {"file": job["file"], "flint": flint.__FLINT_VERSION__, "python_flint": flint.__version__}
        if job.get("fmpz"):
            a = flint.fmpz_mat(rows)
            res["fmpz_seconds"], res["fmpz_rank"] = timed(lambda: a.rank())
        if job.get("nmod"):
            p = int(job["prime"])
            t = time.perf_counter()
            m = flint.nmod_mat(rows, p)
            res["nmod_convert_seconds"] = time.perf_counter() - t
            res["nmod_seconds"], res["nmod_rank"] = timed(lambda: m.rank())
        out.append(res)
        print(json.dumps(res), file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
