#!/usr/bin/env python3
"""A hand-written JAX model, its loss Hessian and `matrix_rank`, saved for
`hessrank verify-float` — the pattern to copy for your own model.

    python3 own_model_jax.py --out mine            # float64 (jax_enable_x64)
    python3 own_model_jax.py --out mine32 --float32  # JAX's default float32
    hessrank verify-float "4 dense(3,bias) relu dense(2,bias)" --weights mine/weights \
        --data mine/X.npy --targets mine/Y.npy --hessian mine/H.npy

What matters when you adapt it:
* the tensor names are hessrank's (PyTorch state_dict names of an nn.Sequential of the layers
  in the architecture string: `<layer index>.weight` / `.bias`, activations take an index);
* θ is the concatenation of the tensors in that order, each in C order, so that the rows and
  columns of H are in hessrank's parameter order (`hessrank describe ARCH` lists it);
* the loss is the mean 1/(2n) Σ ‖f(x_i) − y_i‖²;
* save the arrays JAX actually computed with (in float32 mode JAX rounds float64 inputs to
  float32 first, so save the jnp arrays, not the NumPy arrays you made them from).
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--out", default="mine", help="output directory (created)")
ap.add_argument("--float32", action="store_true", help="compute in JAX's default float32")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

import jax  # noqa: E402  (after argparse, so --help works without JAX)
import jax.numpy as jnp  # noqa: E402

jax.config.update("jax_enable_x64", not args.float32)

rng = np.random.default_rng(args.seed)
shapes = {"0.weight": (3, 4), "0.bias": (3,), "2.weight": (2, 3), "2.bias": (2,)}
params = {k: jnp.asarray(rng.uniform(-1, 1, s)) for k, s in shapes.items()}
X = jnp.asarray(rng.uniform(-1, 1, (6, 4)))
Y = jnp.asarray(rng.uniform(-1, 1, (6, 2)))


def f(p, x):  # the network "4 dense(3,bias) relu dense(2,bias)"
    h = jax.nn.relu(x @ p["0.weight"].T + p["0.bias"])
    return h @ p["2.weight"].T + p["2.bias"]


names = list(params)  # θ: the tensors in state_dict order, each in C order


def loss(theta):  # 1/(2n) Σ ‖f(x_i) − y_i‖²
    p, at = {}, 0
    for k in names:
        size = params[k].size
        p[k] = theta[at:at + size].reshape(params[k].shape)
        at += size
    return jnp.sum((f(p, X) - Y) ** 2) / (2 * X.shape[0])


theta = jnp.concatenate([jnp.ravel(params[k]) for k in names])
H = np.asarray(jax.hessian(loss)(theta))
print(f"p = {theta.size}, {H.dtype}: jnp.linalg.matrix_rank(H) = {int(jnp.linalg.matrix_rank(H))}")

os.makedirs(os.path.join(args.out, "weights"), exist_ok=True)
for k in names:
    np.save(os.path.join(args.out, "weights", f"{k}.npy"), np.asarray(params[k]))
np.save(os.path.join(args.out, "X.npy"), np.asarray(X))
np.save(os.path.join(args.out, "Y.npy"), np.asarray(Y))
np.save(os.path.join(args.out, "H.npy"), H)
