"""Trains the CNN  1x8x8 conv(4,k=3,s=2,bias) relu dense(10)  on the 100 digits in X.npy with
the loss hessrank uses, l = 1/(2n) sum_i ||f(x_i) - y_i||^2 (y_i one-hot), by full-batch
gradient descent in float32 NumPy, and saves the weights as trained.safetensors with
PyTorch state_dict names (0.weight, 0.bias, 2.weight: the ReLU is stage 1).

    python3 train.py            # deterministic: seed 0, 3000 steps
    python3 train.py lenet-ce   # the LeNet-style net with max pooling and cross-entropy (JAX)

`lenet-ce` trains  1x8x8 conv(4,k=3,p=1,bias) relu maxpool(k=2) conv(8,k=3,p=1,bias) relu
maxpool(k=2) dense(10,bias)  (p = 666) with the softmax cross-entropy, mean over the 100 digits
(optax softmax_cross_entropy / PyTorch F.cross_entropy), full-batch gradient descent in float32
JAX from seed 0, and writes lenet-ce-init.safetensors and lenet-ce.safetensors (0.weight,
0.bias, 3.weight, 3.bias, 6.weight, 6.bias).
"""
import sys

import numpy as np

from safetensors_writer import write_safetensors


def save_safetensors(path, tensors):
    write_safetensors(path, tensors)
    print("wrote", path)


def lenet_ce(steps=1500, lr=0.01):
    import jax
    import jax.numpy as jnp

    X = jnp.asarray(np.load("X.npy").astype(np.float32))          # (100, 1, 8, 8), pixels 0..16
    labels = np.load("labels.npy").astype(np.int64)
    Y = jnp.asarray(np.eye(10, dtype=np.float32)[labels])
    rng = np.random.default_rng(0)
    init = {
        "0.weight": (rng.standard_normal((4, 1, 3, 3)) / 3 / 16).astype(np.float32),
        "0.bias": (rng.standard_normal(4) * 0.1).astype(np.float32),
        "3.weight": (rng.standard_normal((8, 4, 3, 3)) / 6).astype(np.float32),
        "3.bias": (rng.standard_normal(8) * 0.1).astype(np.float32),
        "6.weight": (rng.standard_normal((10, 32)) / np.sqrt(32)).astype(np.float32),
        "6.bias": np.zeros(10, dtype=np.float32),
    }
    dn = ("NCHW", "OIHW", "NCHW")

    def forward(w, x):
        h = jax.lax.conv_general_dilated(x, w["0.weight"], (1, 1), [(1, 1), (1, 1)], dimension_numbers=dn)
        h = jax.nn.relu(h + w["0.bias"][None, :, None, None])
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        h = jax.lax.conv_general_dilated(h, w["3.weight"], (1, 1), [(1, 1), (1, 1)], dimension_numbers=dn)
        h = jax.nn.relu(h + w["3.bias"][None, :, None, None])
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        return h.reshape(h.shape[0], 32) @ w["6.weight"].T + w["6.bias"]   # channel-major flatten

    def loss(w):
        return jnp.mean(-jnp.sum(Y * jax.nn.log_softmax(forward(w, X)), axis=1))

    step = jax.jit(lambda w: jax.tree_util.tree_map(lambda a, g: a - lr * g, w, jax.grad(loss)(w)))
    w = {k: jnp.asarray(v) for k, v in init.items()}
    for t in range(steps + 1):
        if t % 500 == 0:
            acc = float(jnp.mean(jnp.argmax(forward(w, X), axis=1) == jnp.asarray(labels)))
            print(f"step {t:4d}  loss {float(loss(w)):.4f}  train accuracy {acc:.2f}")
        if t < steps:
            w = step(w)
    save_safetensors("lenet-ce-init.safetensors", init)
    save_safetensors("lenet-ce.safetensors", {k: np.asarray(v, dtype=np.float32) for k, v in w.items()})


if len(sys.argv) > 1:
    if sys.argv[1] != "lenet-ce":
        sys.exit("usage: python3 train.py [lenet-ce]")
    lenet_ce()
    sys.exit(0)

X = np.load("X.npy").astype(np.float32)            # (n, 1, 8, 8), integer pixels 0..16
labels = np.load("labels.npy").astype(np.int64)
n = X.shape[0]
Y = np.eye(10, dtype=np.float32)[labels]            # one-hot, (n, 10)

# im2col for k = 3, stride 2, no padding: 3x3 output positions, patches (n, 9 positions, 9).
pos = [(2 * i, 2 * j) for i in range(3) for j in range(3)]
P = np.stack([X[:, 0, r:r + 3, c:c + 3].reshape(n, 9) for r, c in pos], axis=1)

rng = np.random.default_rng(0)
W1 = (rng.standard_normal((4, 1, 3, 3)) * 0.05).astype(np.float32)
b1 = np.zeros(4, dtype=np.float32)
W2 = (rng.standard_normal((10, 36)) * 0.05).astype(np.float32)


def forward(W1, b1, W2):
    Z = P @ W1.reshape(4, 9).T + b1                 # (n, 9 positions, 4 channels)
    A = np.maximum(Z, 0)
    H = A.transpose(0, 2, 1).reshape(n, 36)         # channel-major flatten, as PyTorch
    return Z, A, H, H @ W2.T


lr = np.float32(2e-3)
for step in range(3000):
    Z, A, H, F = forward(W1, b1, W2)
    R = (F - Y) / n                                  # dl/dF
    gW2 = R.T @ H
    gH = (R @ W2).reshape(n, 4, 9).transpose(0, 2, 1)
    gZ = gH * (Z > 0)
    gW1 = np.einsum("npc,npk->ck", gZ, P).reshape(4, 1, 3, 3)
    gb1 = gZ.sum(axis=(0, 1))
    W1, b1, W2 = W1 - lr * gW1, b1 - lr * gb1, W2 - lr * gW2
    if step % 1000 == 0 or step == 2999:
        print(f"step {step:3d}  loss {0.5 * np.mean(np.sum((F - Y) ** 2, axis=1)):.4f}  "
              f"train accuracy {np.mean(F.argmax(1) == labels):.2f}")

save_safetensors("trained.safetensors", {"0.weight": W1, "0.bias": b1, "2.weight": W2})
