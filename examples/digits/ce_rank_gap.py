"""The digits case where float64 loses a rank of the cross-entropy H_o and the exact rank decides.

First 40 digits of X.npy (raw pixels 0..16), network  1x8x8 conv(2,k=3) dense(5)  (p = 378,
no biases), cross-entropy, theta = float32(numpy.random.default_rng(2).standard_normal(378)*0.2)
in PyTorch state_dict order (0.weight (2,1,3,3), then 1.weight (5,72)). Writes the inputs hessrank
reads (ce-weights.safetensors, X40.npy, labels40.npy = digit mod 5: K = 5 classes; H_o does not
depend on the labels) and prints JAX float64's view of H_o = (1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i:
matrix_rank and the singular values around the exact rank (160, `hessrank rank --loss ce`).

    python3 ce_rank_gap.py            # needs numpy and jax (a comparison tool, not part of hessrank)
    python3 ce_rank_gap.py --save-h   # also writes H_o_jax.npy (float64, 1.1 MB) for verify-float --hessian
    python3 ce_rank_gap.py --save-hl  # also writes H_L_jax_mean.npy, H_L_jax_sum.npy: jax.hessian of the
                                      # optax-style loss (mean / sum over samples), for --reduction
"""
import sys

import numpy as np

from safetensors_writer import write_safetensors

n, p = 40, 378
X = np.load("X.npy")[:n]                                   # uint8 (40, 1, 8, 8)
labels = (np.load("labels.npy")[:n] % 5).astype(np.int64)
theta32 = (np.random.default_rng(2).standard_normal(p) * 0.2).astype(np.float32)
W1, W2 = theta32[:18].reshape(2, 1, 3, 3), theta32[18:].reshape(5, 72)

np.save("X40.npy", X)
np.save("labels40.npy", labels)
write_safetensors("ce-weights.safetensors", {"0.weight": W1, "1.weight": W2})

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)
theta = jnp.asarray(theta32.astype(np.float64))
Xs = jnp.asarray(X.astype(np.float64))


def f(th, x):
    w1, w2 = th[:18].reshape(2, 1, 3, 3), th[18:].reshape(5, 72)
    z = jax.lax.conv_general_dilated(x[None], w1, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))[0]
    return w2 @ z.reshape(72)                               # channel-major flatten, as PyTorch


J = jax.vmap(lambda x: jax.jacfwd(f)(theta, x))(Xs)          # (n, 5, p)
P = jax.nn.softmax(jax.vmap(lambda x: f(theta, x))(Xs), axis=1)
A = jax.vmap(lambda q: jnp.diag(q) - jnp.outer(q, q))(P)
Ho = np.asarray(jnp.einsum("nci,ncd,ndj->ij", J, A, J) / n)


s = np.linalg.svd(Ho, compute_uv=False)
C = np.hstack([np.eye(4), -np.ones((4, 1))])                 # kernel = all-ones vector
CJ = np.asarray(jnp.einsum("kc,ncj->nkj", C, J)).reshape(n * 4, p)
sc = np.linalg.svd(CJ, compute_uv=False)
print(f"smallest softmax probability {float(P.min()):.3e}")
print(f"JAX float64 matrix_rank(H_o) = {np.linalg.matrix_rank(Ho)}")
print("sigma_158..161 of H_o:", " ".join(f"{x:.3e}" for x in s[157:161]))
print(f"C.J ({CJ.shape[0]}x{p}): matrix_rank = {np.linalg.matrix_rank(CJ)}, sigma_1 = {sc[0]:.3e}, sigma_160 = {sc[159]:.3e}")
if "--save-h" in sys.argv:
    np.save("H_o_jax.npy", Ho)
    print("wrote H_o_jax.npy")
if "--save-hl" in sys.argv:
    Y = jax.nn.one_hot(labels, 5)

    def ce(th, reduce):
        logits = jax.vmap(lambda x: f(th, x))(Xs)
        return reduce(-jnp.sum(Y * jax.nn.log_softmax(logits), axis=1))   # optax softmax_cross_entropy

    for name, reduce in [("mean", jnp.mean), ("sum", jnp.sum)]:
        H = np.asarray(jax.hessian(lambda th: ce(th, reduce))(theta))
        np.save(f"H_L_jax_{name}.npy", H)
        print(f"wrote H_L_jax_{name}.npy: JAX float64 matrix_rank(H_L) = {np.linalg.matrix_rank(H)}")
