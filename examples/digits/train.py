"""Trains the CNN  1x8x8 conv(4,k=3,s=2,bias) relu dense(10)  on the 100 digits in X.npy with
the loss hessrank uses, l = 1/(2n) sum_i ||f(x_i) - y_i||^2 (y_i one-hot), by full-batch
gradient descent in float32 NumPy, and saves the weights as trained.safetensors with
PyTorch state_dict names (0.weight, 0.bias, 2.weight: the ReLU is stage 1).

    python3 train.py   # deterministic: seed 0, 3000 steps
"""
import json
import struct

import numpy as np

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

tensors = {"0.weight": W1, "0.bias": b1, "2.weight": W2}
header, offset, blobs = {}, 0, []
for name, t in tensors.items():
    data = np.ascontiguousarray(t, dtype="<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open("trained.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
print("wrote trained.safetensors")
