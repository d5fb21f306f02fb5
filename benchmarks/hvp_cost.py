#!/usr/bin/env python3
"""The cost of exactness: float64 JAX Hessian-vector products against `hessrank rank --method matrix-free`.

    python3 benchmarks/hvp_cost.py "1x32 conv(26,k=5) conv(26,k=5) dense(10)" --samples 64 --directions 2141

Builds the network of a HessianRank architecture string in JAX (float64 on the CPU, the same
parser and parameter layout as examples/export/export_hessian.py) and times `--directions`
Hessian-vector products of the MSE (or `--loss ce`: softmax cross-entropy) loss, computed as
`jax.jit(jax.vmap(lambda v: jax.jvp(jax.grad(loss), (theta,), (v,))[1]))` on blocks of
`--block` random directions: the least any float sketch or Krylov method needs to see that
many directions of H_L, with no rank decision at all. Use the number of directions the exact
run multiplied (the sum, over its runs, of the final sketch width; `rank --json` prints the
widths). Prints one JSON line: p, directions, compile seconds (the first block, traced and
compiled), product seconds (all blocks, after compilation), total, and peak memory (MiB).
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
    ap.add_argument("--directions", type=int, required=True)
    ap.add_argument("--block", type=int, default=256, help="directions per vmap call (the exact path's block)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--range", type=float, default=5.0)
    ap.add_argument("--loss", choices=["mse", "ce"], default="mse")
    args = ap.parse_args()
    if args.directions < 1 or args.block < 1 or args.samples < 1:
        ap.error("--directions, --block and --samples must be positive")

    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    shape, _form, layers = ex.parse_architecture(args.architecture)
    names, k = ex.parameter_layout(shape, layers)
    p = sum(int(np.prod(s)) for _, s in names)
    rng = np.random.default_rng(args.seed)
    r = int(args.range)
    theta = jnp.asarray(rng.integers(-r, r + 1, size=p).astype(np.float64))
    X = jnp.asarray(rng.integers(-r, r + 1, size=(args.samples,) + tuple(shape)).astype(np.float64))
    if args.loss == "mse":
        Y = jnp.asarray(rng.integers(-r, r + 1, size=(args.samples, k)).astype(np.float64))
    else:
        Y = jnp.asarray(np.eye(k)[rng.integers(0, k, size=args.samples)])

    def loss(vec, X, Y):
        f = ex.jax_outputs(vec, X, names, shape, layers, jnp.float64)
        if args.loss == "mse":
            d = f - Y
            return jnp.sum(d * d) / (2 * args.samples)
        return -jnp.sum(Y * jax.nn.log_softmax(f, axis=1)) / args.samples

    grad = jax.grad(loss)
    # θ, X and Y are arguments of the compiled function, not constants: XLA would otherwise fold
    # the whole forward pass at θ into the program (minutes of constant folding for pooled CNNs).
    hvp_at = jax.jit(jax.vmap(lambda v, th, X, Y: jax.jvp(lambda t: grad(t, X, Y), (th,), (v,))[1],
                              in_axes=(0, None, None, None)))

    def hvp(v):
        return hvp_at(v, theta, X, Y)

    blocks = []
    left = args.directions
    while left > 0:
        b = min(args.block, left)
        blocks.append(b)
        left -= b
    t0 = time.perf_counter()
    first = rng.standard_normal((blocks[0], p))
    hvp(jnp.asarray(first)).block_until_ready()  # trace and compile the first block's shape
    if blocks[-1] != blocks[0]:
        hvp(jnp.asarray(rng.standard_normal((blocks[-1], p)))).block_until_ready()
    compile_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    checksum = 0.0
    for b in blocks:
        v = jnp.asarray(rng.standard_normal((b, p)))
        checksum += float(jnp.sum(hvp(v)))
    product_seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"architecture": args.architecture, "p": p, "n": args.samples, "loss": args.loss,
                      "directions": args.directions, "block": args.block,
                      "compile_seconds": round(compile_seconds, 3), "product_seconds": round(product_seconds, 3),
                      "total_seconds": round(compile_seconds + product_seconds, 3), "peak_mib": round(peak, 1),
                      "checksum_is_finite": bool(np.isfinite(checksum)), "jax": jax.__version__}))


if __name__ == "__main__":
    main()
