#!/usr/bin/env python3
"""The float64 pipeline researchers run today, timed for comparison with `hessrank rank`.

    python3 benchmarks/float_pipeline.py "1x32 conv(16,k=5) conv(16,k=5) dense(10)" --samples 64

Builds the network of a HessianRank architecture string in JAX (float64, PyTorch layout, the
same parser and layout as examples/export/export_hessian.py), computes the loss Hessian H_L
with `jax.jit(jax.hessian(loss))`, the Gauss–Newton part H_o = JᵀJ/n from `jax.jacfwd` of the outputs, H_f = H_L −
H_o, and `numpy.linalg.matrix_rank` (SVD, default tolerance) of each: what a script checking
the rank formulas does. Prints one JSON line: p, the three float ranks, seconds per phase,
total seconds and peak resident memory (MiB). JAX runs on the CPU with x64 enabled.
"""

import argparse
import json
import os
import resource
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "export"))

import numpy as np  # noqa: E402

import export_hessian as ex  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("architecture")
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--range", type=float, default=5.0)
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    shape, _form, layers = ex.parse_architecture(args.architecture)
    names, k = ex.parameter_layout(shape, layers)
    p = sum(int(np.prod(s)) for _, s in names)
    rng = np.random.default_rng(args.seed)
    theta = rng.integers(-int(args.range), int(args.range) + 1, size=p).astype(np.float64)
    X = rng.integers(-int(args.range), int(args.range) + 1, size=(args.samples,) + tuple(shape)).astype(np.float64)
    Y = rng.integers(-int(args.range), int(args.range) + 1, size=(args.samples, k)).astype(np.float64)

    t = {}
    t0 = time.perf_counter()
    Yj = jnp.asarray(Y)

    def loss(vec):
        r = ex.jax_outputs(vec, X, names, shape, layers, jnp.float64) - Yj
        return jnp.sum(r * r) / (2 * args.samples)

    # jit-compiled, as a careful user would write it (compilation time included).
    H = np.asarray(jax.jit(jax.hessian(loss))(jnp.asarray(theta)))
    t["hessian"] = time.perf_counter() - t0

    # J of the outputs (n·K × p) for H_o = JᵀJ / n.
    t0 = time.perf_counter()
    def outputs(vec):
        return ex.jax_outputs(vec, X, names, shape, layers, jnp.float64)

    J = np.asarray(jax.jit(jax.jacfwd(outputs))(jnp.asarray(theta))).reshape(-1, p)
    Ho = J.T @ J / args.samples
    t["jacobian_and_outer"] = time.perf_counter() - t0
    Hf = H - Ho

    ranks = {}
    for name, M in (("outer", Ho), ("functional", Hf), ("loss", H)):
        t0 = time.perf_counter()
        ranks[name] = int(np.linalg.matrix_rank(M))
        t["rank_" + name] = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"architecture": args.architecture, "p": p, "n": args.samples, "ranks": ranks,
                      "seconds": {k2: round(v, 3) for k2, v in t.items()},
                      "total_seconds": round(sum(t.values()), 3), "peak_mib": round(peak, 1),
                      "jax": jax.__version__, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
