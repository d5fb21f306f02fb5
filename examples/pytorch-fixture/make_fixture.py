#!/usr/bin/env python3
"""Writes Tests/ConvNetTests/Fixtures/pytorch_forward.json: small networks with PyTorch-layout
weights, inputs and forward outputs, all exact.

The forward pass below is an independent NumPy implementation of PyTorch's semantics:
Conv1d/Conv2d are cross-correlations with zero padding, dilation and stride; weights are
[out, in, k] / [out, in, kh, kw] followed by the bias; AvgPool1d/2d (no padding, floor) average
a window; flatten is channel-major (C order of [C, H, W]); Linear is [out, in] then the bias.
Parameters are concatenated in state_dict order (layer by layer, weight then bias, each
tensor flattened in C order).

Weights and inputs are small integers and the leaky slopes / pooling windows are powers of two,
so float64 arithmetic is exact. The same forward pass is also run on Python Fractions and the
two must agree exactly; if PyTorch is importable, torch.nn in float64 is checked too.

Run from the repository root:  python3 examples/pytorch-fixture/make_fixture.py
Requires NumPy (PyTorch optional).
"""

import json
import os
import sys
from fractions import Fraction

import numpy as np

SEED = 20240611
SAMPLES = 3

# Each case: the architecture string (hessrank's grammar), the input shape [C, L] or [C, H, W],
# and the layers as plain specs (written independently of hessrank's parser).
CASES = [
    {
        "name": "conv1d-stride-padding-dilation-bias-relu",
        "architecture": "2x10 conv(3,k=3,s=2,p=1,dil=2,bias) relu conv(2,k=2,bias) dense(3,bias)",
        "input": [2, 10],
        "layers": [
            {"kind": "conv", "out": 3, "k": [3], "s": [2], "p": [1], "dil": [2], "bias": True},
            {"kind": "relu"},
            {"kind": "conv", "out": 2, "k": [2], "s": [1], "p": [0], "dil": [1], "bias": True},
            {"kind": "dense", "out": 3, "bias": True},
        ],
    },
    {
        "name": "conv2d-3x2-bias-leaky-avgpool",
        "architecture": "2x6x5 conv(3,k=3x2,bias) leaky(1/4) avgpool(k=2) dense(2,bias)",
        "input": [2, 6, 5],
        "layers": [
            {"kind": "conv", "out": 3, "k": [3, 2], "s": [1, 1], "p": [0, 0], "dil": [1, 1], "bias": True},
            {"kind": "leaky", "slope": Fraction(1, 4)},
            {"kind": "avgpool", "k": [2, 2], "s": [2, 2]},
            {"kind": "dense", "out": 2, "bias": True},
        ],
    },
    {
        "name": "conv2d-stride-padding-dilation-per-dimension",
        "architecture": "1x7x7 conv(2,k=3,s=2x1,p=1x0,dil=1x2) relu avgpool(k=2,s=1) dense(2)",
        "input": [1, 7, 7],
        "layers": [
            {"kind": "conv", "out": 2, "k": [3, 3], "s": [2, 1], "p": [1, 0], "dil": [1, 2], "bias": False},
            {"kind": "relu"},
            {"kind": "avgpool", "k": [2, 2], "s": [1, 1]},
            {"kind": "dense", "out": 2, "bias": False},
        ],
    },
    {
        "name": "dense-only-leaky-identity",
        "architecture": "6 dense(4,bias) leaky(1/2) dense(3) identity dense(2,bias)",
        "input": [1, 6],
        "layers": [
            {"kind": "dense", "out": 4, "bias": True},
            {"kind": "leaky", "slope": Fraction(1, 2)},
            {"kind": "dense", "out": 3, "bias": False},
            {"kind": "identity"},
            {"kind": "dense", "out": 2, "bias": True},
        ],
    },
]


def parameter_tensors(case):
    """state_dict names and shapes, following the shapes layer by layer."""
    shape = list(case["input"])
    tensors = []
    for i, layer in enumerate(case["layers"]):
        kind = layer["kind"]
        if kind == "conv":
            tensors.append((f"{i}.weight", [layer["out"], shape[0]] + layer["k"]))
            if layer["bias"]:
                tensors.append((f"{i}.bias", [layer["out"]]))
            spatial = [
                (n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip(shape[1:], layer["k"], layer["s"], layer["p"], layer["dil"])
            ]
            shape = [layer["out"]] + spatial
        elif kind == "avgpool":
            shape = [shape[0]] + [(n - k) // s + 1 for n, k, s in zip(shape[1:], layer["k"], layer["s"])]
        elif kind == "dense":
            tensors.append((f"{i}.weight", [layer["out"], int(np.prod(shape))]))
            if layer["bias"]:
                tensors.append((f"{i}.bias", [layer["out"]]))
            shape = [layer["out"]]
    return tensors


def conv(x, w, b, stride, padding, dilation, zero):
    """Cross-correlation of x [C, *spatial] with w [M, C, *k], as torch.nn.functional.conv1d/2d."""
    dims = x.ndim - 1
    xp = np.pad(x, [(0, 0)] + [(p, p) for p in padding], mode="constant", constant_values=zero)
    k = w.shape[2:]
    out_sizes = [(xp.shape[1 + d] - dilation[d] * (k[d] - 1) - 1) // stride[d] + 1 for d in range(dims)]
    out = np.empty([w.shape[0]] + out_sizes, dtype=x.dtype)
    for pos in np.ndindex(*out_sizes):
        for m in range(w.shape[0]):
            acc = zero if b is None else b[m]
            for tap in np.ndindex(*k):
                idx = tuple(pos[d] * stride[d] + tap[d] * dilation[d] for d in range(dims))
                for c in range(x.shape[0]):
                    acc = acc + w[(m, c) + tap] * xp[(c,) + idx]
            out[(m,) + pos] = acc
    return out


def avgpool(x, window, stride, one):
    dims = x.ndim - 1
    out_sizes = [(x.shape[1 + d] - window[d]) // stride[d] + 1 for d in range(dims)]
    out = np.empty([x.shape[0]] + out_sizes, dtype=x.dtype)
    scale = one / int(np.prod(window))
    for c in range(x.shape[0]):
        for pos in np.ndindex(*out_sizes):
            acc = 0 * one
            for tap in np.ndindex(*window):
                acc = acc + x[(c,) + tuple(pos[d] * stride[d] + tap[d] for d in range(dims))]
            out[(c,) + pos] = acc * scale
    return out


# Per case, how many pre-activations were negative (so the fixture really exercises relu/leaky).
NEGATIVE_PREACTIVATIONS = {}


def forward(case, theta, x, one):
    """The network's output for one input x (flattened channel-major) in the number type of `one`."""
    h = np.array([one * v for v in x], dtype=object if isinstance(one, Fraction) else np.float64)
    h = h.reshape(case["input"])
    zero = 0 * one
    offset = 0

    def take(shape):
        nonlocal offset
        n = int(np.prod(shape))
        t = np.array([one * v for v in theta[offset:offset + n]], dtype=h.dtype).reshape(shape)
        offset += n
        return t

    for layer in case["layers"]:
        kind = layer["kind"]
        if kind == "conv":
            w = take([layer["out"], h.shape[0]] + layer["k"])
            b = take([layer["out"]]) if layer["bias"] else None
            h = conv(h, w, b, layer["s"], layer["p"], layer["dil"], zero)
        elif kind == "dense":
            flat = h.reshape(-1)  # channel-major, like torch.flatten on [C, H, W]
            w = take([layer["out"], flat.shape[0]])
            b = take([layer["out"]]) if layer["bias"] else None
            h = np.array([sum((w[o, j] * flat[j] for j in range(flat.shape[0])), zero) for o in range(layer["out"])],
                         dtype=h.dtype)
            if b is not None:
                h = h + b
        elif kind == "relu":
            NEGATIVE_PREACTIVATIONS[case["name"]] = NEGATIVE_PREACTIVATIONS.get(case["name"], 0) + int(np.sum(h < 0))
            h = np.where(h > 0, h, zero)
        elif kind == "leaky":
            NEGATIVE_PREACTIVATIONS[case["name"]] = NEGATIVE_PREACTIVATIONS.get(case["name"], 0) + int(np.sum(h < 0))
            slope = one * layer["slope"] if isinstance(one, Fraction) else float(layer["slope"])
            h = np.where(h > 0, h, h * slope)
        elif kind == "identity":
            pass
        elif kind == "avgpool":
            h = avgpool(h, layer["k"], layer["s"], one)
    assert offset == len(theta), "parameter count mismatch"
    return list(h.reshape(-1))


def torch_check(case, theta, inputs, outputs):
    """Cross-check with torch.nn in float64 when PyTorch is installed."""
    try:
        import torch
    except ImportError:
        return False
    modules = []
    shape = list(case["input"])
    dims = len(shape) - 1
    flattened = False
    for layer in case["layers"]:
        kind = layer["kind"]
        if kind == "conv":
            cls = torch.nn.Conv1d if dims == 1 else torch.nn.Conv2d
            modules.append(cls(shape[0], layer["out"], tuple(layer["k"]), stride=tuple(layer["s"]),
                               padding=tuple(layer["p"]), dilation=tuple(layer["dil"]), bias=layer["bias"]))
            shape = [layer["out"]]
        elif kind == "dense":
            if not flattened:
                modules.append(torch.nn.Flatten(0))
                flattened = True
            modules.append(torch.nn.LazyLinear(layer["out"], bias=layer["bias"]))
        elif kind == "relu":
            modules.append(torch.nn.ReLU())
        elif kind == "leaky":
            modules.append(torch.nn.LeakyReLU(float(layer["slope"])))
        elif kind == "identity":
            modules.append(torch.nn.Identity())
        elif kind == "avgpool":
            cls = torch.nn.AvgPool1d if dims == 1 else torch.nn.AvgPool2d
            modules.append(cls(tuple(layer["k"]), stride=tuple(layer["s"])))
    net = torch.nn.Sequential(*modules).double()
    with torch.no_grad():
        net(torch.zeros(case["input"], dtype=torch.float64))  # materialize lazy layers
        params = list(net.state_dict().values())
        vec = torch.tensor([float(v) for v in theta], dtype=torch.float64)
        torch.nn.utils.vector_to_parameters(vec, [p for p in net.parameters()])
        assert sum(p.numel() for p in params) == len(theta)
        for x, y in zip(inputs, outputs):
            got = net(torch.tensor([float(v) for v in x], dtype=torch.float64).reshape(case["input"]))
            assert [Fraction(v) for v in got.tolist()] == y, (case["name"], got, y)
    return True


def dumps(value, indent=0):
    """JSON with objects one key per line and lists of scalars on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, indent + 2) for v in value) + "\n" + pad + "]"
    return json.dumps(value)


def exact_string(q):
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def main():
    rng = np.random.default_rng(SEED)
    out_cases = []
    torch_checked = True
    for case in CASES:
        tensors = parameter_tensors(case)
        p = sum(int(np.prod(s)) for _, s in tensors)
        d = int(np.prod(case["input"]))
        theta = [int(v) for v in rng.integers(-3, 4, size=p)]
        inputs = [[int(v) for v in rng.integers(-3, 4, size=d)] for _ in range(SAMPLES)]
        outputs = []
        for x in inputs:
            exact = forward(case, theta, x, Fraction(1))
            floats = forward(case, theta, x, 1.0)
            assert [Fraction(float(v)) for v in floats] == exact, case["name"]  # float64 is exact here
            outputs.append(exact)
        if any(layer["kind"] in ("relu", "leaky") for layer in case["layers"]):
            assert NEGATIVE_PREACTIVATIONS.get(case["name"], 0) > 0, f"{case['name']}: no negative pre-activation; change SEED"
        torch_checked = torch_check(case, theta, inputs, outputs) and torch_checked
        offset = 0
        tensor_entries = []
        for name, shape in tensors:
            tensor_entries.append({"name": name, "shape": shape, "offset": offset})
            offset += int(np.prod(shape))
        out_cases.append({
            "name": case["name"],
            "architecture": case["architecture"],
            "p": p,
            "tensors": tensor_entries,
            "weights": [exact_string(v) for v in theta],
            "inputs": [[exact_string(v) for v in x] for x in inputs],
            "outputs": [[exact_string(v) for v in y] for y in outputs],
        })
    fixture = {
        "generator": "examples/pytorch-fixture/make_fixture.py",
        "seed": SEED,
        "semantics": "PyTorch: cross-correlation, zero padding, dilation, stride; weights [out,in,k...] then bias; "
                     "Linear [out,in] then bias; channel-major flatten; AvgPool without padding, floor; "
                     "theta = state_dict tensors concatenated in order, each flattened in C order",
        "checked_against_torch": torch_checked,
        "cases": out_cases,
    }
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "Tests", "ConvNetTests", "Fixtures", "pytorch_forward.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(dumps(fixture) + "\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}: {len(out_cases)} cases, torch cross-check: {'yes' if torch_checked else 'not installed'}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
