#!/usr/bin/env python3
"""Build a small CNN from a HessianRank architecture string, compute the Hessian of its MSE
loss in float64 and float32, take `matrix_rank` the way NumPy / JAX / PyTorch do, and write
everything `hessrank verify-float` reads.

    python3 export_hessian.py "1x8 conv(2,k=3) dense(2)" --samples 4 --seed 1 --out run1

Writes into --out:
  weights.safetensors     every parameter, float64, PyTorch state_dict layout and names
  weights/<name>.npy      the same parameters, one .npy per tensor (name = file stem)
  X.npy                   inputs, shape (n, D), (n, C, D) or (n, C, H, W)
  Y.npy                   targets, shape (n, K)
  H64.npy, H32.npy        Hessian of the loss w.r.t. all parameters, float64 and float32
  H_exact.txt             (with --exact) the exact Hessian as rationals, and its exact rank
  summary.json            sizes, seed, float ranks under each library's default rule, ...

Parameter names: `<layer index>.weight` and `<layer index>.bias`, where the layer index counts
every layer of the architecture string after the input, from 0 — exactly the names of an
`nn.Sequential` holding those layers (activations and pooling layers take an index too).
A PyTorch model that puts an explicit `nn.Flatten()` before its first dense layer shifts the
later indices by one; rename accordingly. Layouts are PyTorch's: conv weight [out, in, k] or
[out, in, kh, kw], dense weight [out, in], then the bias; the flattening before a dense layer
is channel-major (`torch.flatten` of [C, H, W]).

The parameter vector θ is the concatenation of the tensors in state_dict order (layer by
layer, weight before bias, each tensor in C order); H = ∇²ℓ(θ) with
ℓ(θ) = 1/(2n) Σ_i ‖f(x_i) − y_i‖².

All random weights, inputs and targets are drawn uniformly from [-range, range] and rounded
to float32, so the float32 and float64 computations start from the *same* numbers and the
exact Hessian at those numbers is the reference for both.

Backends: JAX (CPU is enough: `pip install jax`), else a pure-Python fallback (hyper-dual
numbers; slow, fine for a few hundred parameters). With --exact the exact Hessian is built
with Python's `fractions.Fraction` by the same hyper-dual method and its rank taken by exact
Gaussian elimination (independent of HessianRank's own Swift code).
"""

import argparse
import json
import math
import os
import re
import sys
import tempfile
from fractions import Fraction

import numpy as np

# ----------------------------------------------------------------------------------------
# Architecture strings (the HessianRank grammar)
# ----------------------------------------------------------------------------------------


def _pair(text, dims):
    """'3' -> [3]*dims, '3x2' -> [3, 2] (2-D only)."""
    parts = [int(v) for v in text.split("x")]
    if len(parts) == 1:
        return parts * dims
    if len(parts) != dims:
        raise ValueError(f"'{text}' does not fit {dims}-D")
    return parts


def parse_architecture(text):
    """Returns (input_shape, input_form, layers). input_shape is [C, D] or [C, H, W]."""
    tokens = text.split()
    if not tokens:
        raise ValueError("empty architecture")
    dims = [int(v) for v in tokens[0].split("x")]
    if len(dims) == 1:
        shape, form = [1, dims[0]], "vector"
    elif len(dims) == 2:
        shape, form = dims, "signal"
    elif len(dims) == 3:
        shape, form = dims, "image"
    else:
        raise ValueError(f"bad input '{tokens[0]}' (expected D, CxD or CxHxW)")
    layers = []
    for tok in tokens[1:]:
        m = re.fullmatch(r"(\w+)(?:\((.*)\))?", tok)
        if not m:
            raise ValueError(f"bad layer '{tok}'")
        kind, args = m.group(1), (m.group(2) or "")
        items = [a.strip() for a in args.split(",") if a.strip()]
        if kind == "conv":
            spatial = len(shape) - 1
            layer = {"kind": "conv", "out": int(items[0]), "k": None, "s": [1] * spatial,
                     "p": [0] * spatial, "dil": [1] * spatial, "bias": False}
            for it in items[1:]:
                if it == "bias":
                    layer["bias"] = True
                    continue
                key, val = it.split("=")
                layer[key] = _pair(val, spatial)
            if layer["k"] is None:
                raise ValueError(f"conv without k= in '{tok}'")
            layers.append(layer)
        elif kind == "dense":
            layers.append({"kind": "dense", "out": int(items[0]), "bias": "bias" in items[1:]})
        elif kind == "relu":
            layers.append({"kind": "relu"})
        elif kind == "leaky":
            layers.append({"kind": "leaky", "slope": Fraction(items[0])})
        elif kind == "avgpool":
            spatial = len(shape) - 1
            layer = {"kind": "avgpool", "k": None, "s": None}
            for it in items:
                key, val = it.split("=")
                layer[key] = _pair(val, spatial)
            layer["s"] = layer["s"] or layer["k"]
            layers.append(layer)
        else:
            raise ValueError(f"unknown layer kind '{kind}'")
    if not layers or layers[-1]["kind"] != "dense":
        raise ValueError("the last layer must be the output dense(K)")
    return shape, form, layers


def conv_out(d, k, s, p, dil):
    return (d + 2 * p - dil * (k - 1) - 1) // s + 1


def parameter_layout(shape, layers):
    """[(name, tensor shape)] in state_dict order, and the output size K."""
    names = []
    cur = list(shape)  # [C, *spatial] or ['flat', N]
    for i, L in enumerate(layers):
        if L["kind"] == "conv":
            if cur[0] == "flat":
                raise ValueError(f"layer {i}: conv after dense")
            c, spatial = cur[0], cur[1:]
            out_sp = [conv_out(d, k, s, p, dl) for d, k, s, p, dl in zip(spatial, L["k"], L["s"], L["p"], L["dil"])]
            if min(out_sp) <= 0:
                raise ValueError(f"layer {i}: kernel larger than the padded input")
            names.append((f"{i}.weight", [L["out"], c] + L["k"]))
            if L["bias"]:
                names.append((f"{i}.bias", [L["out"]]))
            cur = [L["out"]] + out_sp
        elif L["kind"] == "dense":
            n_in = cur[1] if cur[0] == "flat" else int(np.prod(cur))
            names.append((f"{i}.weight", [L["out"], n_in]))
            if L["bias"]:
                names.append((f"{i}.bias", [L["out"]]))
            cur = ["flat", L["out"]]
        elif L["kind"] == "avgpool":
            c, spatial = cur[0], cur[1:]
            cur = [c] + [(d - k) // s + 1 for d, k, s in zip(spatial, L["k"], L["s"])]
    return names, cur[1]


# ----------------------------------------------------------------------------------------
# A generic forward pass over Python numbers (Fraction, float, hyper-dual)
# ----------------------------------------------------------------------------------------


class HyperDual:
    """a + b·ε1 + c·ε2 + d·ε1ε2 with ε1² = ε2² = 0: d of f(θ + ε1 e_i + ε2 e_j) is ∂²f/∂θi∂θj."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, a, b=0, c=0, d=0):
        self.a, self.b, self.c, self.d = a, b, c, d

    def __add__(self, o):
        if isinstance(o, HyperDual):
            return HyperDual(self.a + o.a, self.b + o.b, self.c + o.c, self.d + o.d)
        return HyperDual(self.a + o, self.b, self.c, self.d)

    __radd__ = __add__

    def __neg__(self):
        return HyperDual(-self.a, -self.b, -self.c, -self.d)

    def __sub__(self, o):
        return self + (-o)

    def __rsub__(self, o):
        return (-self) + o

    def __mul__(self, o):
        if isinstance(o, HyperDual):
            return HyperDual(self.a * o.a, self.a * o.b + self.b * o.a, self.a * o.c + self.c * o.a,
                             self.a * o.d + self.b * o.c + self.c * o.b + self.d * o.a)
        return HyperDual(self.a * o, self.b * o, self.c * o, self.d * o)

    __rmul__ = __mul__

    def __truediv__(self, o):  # by a plain number only
        return HyperDual(self.a / o, self.b / o, self.c / o, self.d / o)


def _value(v):
    return v.a if isinstance(v, HyperDual) else v


class NonDifferentiable(Exception):
    pass


def forward_generic(params, x, shape, layers, zero, one_of):
    """f(x) for one sample. params: {name: flat list}, x: flat list (C order of shape).
    zero: the number 0 of the arithmetic; one_of(fraction) converts a rational constant."""
    cur = list(shape)
    h = x
    for i, L in enumerate(layers):
        kind = L["kind"]
        if kind == "conv":
            c, spatial = cur[0], cur[1:]
            w = params[f"{i}.weight"]
            b = params.get(f"{i}.bias")
            ks, ss, ps, ds = L["k"], L["s"], L["p"], L["dil"]
            out_sp = [conv_out(d, k, s, p, dl) for d, k, s, p, dl in zip(spatial, ks, ss, ps, ds)]
            m_out = L["out"]
            out = []
            if len(spatial) == 1:
                (D,), (K,), (S,), (P,), (DL,) = spatial, ks, ss, ps, ds
                (T,) = out_sp
                for m in range(m_out):
                    for t in range(T):
                        acc = zero if b is None else b[m]
                        for ci in range(c):
                            for j in range(K):
                                pos = t * S + j * DL - P
                                if 0 <= pos < D:
                                    acc = acc + w[(m * c + ci) * K + j] * h[ci * D + pos]
                        out.append(acc)
            else:
                (H, W), (KH, KW), (SH, SW), (PH, PW), (DH, DW) = spatial, ks, ss, ps, ds
                TH, TW = out_sp
                for m in range(m_out):
                    for ty in range(TH):
                        for tx in range(TW):
                            acc = zero if b is None else b[m]
                            for ci in range(c):
                                for jy in range(KH):
                                    py = ty * SH + jy * DH - PH
                                    if not 0 <= py < H:
                                        continue
                                    for jx in range(KW):
                                        px = tx * SW + jx * DW - PW
                                        if 0 <= px < W:
                                            acc = acc + w[((m * c + ci) * KH + jy) * KW + jx] * h[(ci * H + py) * W + px]
                            out.append(acc)
            h, cur = out, [m_out] + out_sp
        elif kind == "dense":
            n_in = len(h)
            w = params[f"{i}.weight"]
            b = params.get(f"{i}.bias")
            out = []
            for o in range(L["out"]):
                acc = zero if b is None else b[o]
                for j in range(n_in):
                    acc = acc + w[o * n_in + j] * h[j]
                out.append(acc)
            h, cur = out, ["flat", L["out"]]
        elif kind in ("relu", "leaky"):
            slope = 0 if kind == "relu" else one_of(L["slope"])
            out = []
            for idx, v in enumerate(h):
                a = _value(v)
                if a == 0:
                    raise NonDifferentiable(f"layer {i} ({kind}): pre-activation {idx} is exactly 0")
                out.append(v if a > 0 else v * slope)
            h = out
        elif kind == "avgpool":
            c, spatial = cur[0], cur[1:]
            ks, ss = L["k"], L["s"]
            out_sp = [(d - k) // s + 1 for d, k, s in zip(spatial, ks, ss)]
            count = int(np.prod(ks))
            out = []
            if len(spatial) == 1:
                (D,), (K,), (S,) = spatial, ks, ss
                for ci in range(c):
                    for t in range(out_sp[0]):
                        acc = zero
                        for j in range(K):
                            acc = acc + h[ci * D + t * S + j]
                        out.append(acc / count)
            else:
                (H, W), (KH, KW), (SH, SW) = spatial, ks, ss
                for ci in range(c):
                    for ty in range(out_sp[0]):
                        for tx in range(out_sp[1]):
                            acc = zero
                            for jy in range(KH):
                                for jx in range(KW):
                                    acc = acc + h[(ci * H + ty * SH + jy) * W + tx * SW + jx]
                            out.append(acc / count)
            h, cur = out, [c] + out_sp
    return h


def hessian_hyperdual(theta, X, Y, names, shape, layers, zero, one_of, progress=None):
    """The loss Hessian by hyper-dual numbers over the arithmetic of theta's entries."""
    p = len(theta)
    n = len(X)
    half_over_n = one_of(Fraction(1, 2 * n))
    sizes = [int(np.prod(s)) for _, s in names]
    H = [[zero] * p for _ in range(p)]

    def unflatten(vec):
        out, at = {}, 0
        for (name, _), size in zip(names, sizes):
            out[name] = vec[at:at + size]
            at += size
        return out

    for a in range(p):
        for b in range(a, p):
            vec = list(theta)
            if a == b:
                vec[a] = HyperDual(theta[a], 1, 1, 0)
            else:
                vec[a] = HyperDual(theta[a], 1, 0, 0)
                vec[b] = HyperDual(theta[b], 0, 1, 0)
            params = unflatten(vec)
            total = zero
            for x, y in zip(X, Y):
                f = forward_generic(params, x, shape, layers, zero, one_of)
                for fk, yk in zip(f, y):
                    r = fk - yk
                    total = total + r * r
            total = total * half_over_n
            v = total.d if isinstance(total, HyperDual) else zero
            H[a][b] = v
            H[b][a] = v
        if progress:
            progress(a + 1, p)
    return H


def exact_rank(M):
    """Rank of a matrix of Fractions by Gaussian elimination."""
    A = [row[:] for row in M]
    rows, cols = len(A), len(A[0]) if A else 0
    rank = 0
    for col in range(cols):
        piv = next((r for r in range(rank, rows) if A[r][col] != 0), None)
        if piv is None:
            continue
        A[rank], A[piv] = A[piv], A[rank]
        pr = A[rank]
        for r in range(rank + 1, rows):
            if A[r][col] != 0:
                f = A[r][col] / pr[col]
                Ar = A[r]
                for c in range(col, cols):
                    if pr[c] != 0:
                        Ar[c] -= f * pr[c]
        rank += 1
    return rank


# ----------------------------------------------------------------------------------------
# JAX backend
# ----------------------------------------------------------------------------------------


def jax_outputs(vec, X, names, shape, layers, dtype):
    """The network outputs (n × K) in JAX for the flat parameter vector `vec` (PyTorch layout)."""
    import jax.numpy as jnp
    from jax import lax

    sizes = [int(np.prod(s)) for _, s in names]
    n = X.shape[0]
    params, at = {}, 0
    for (name, s), size in zip(names, sizes):
        params[name] = vec[at:at + size].reshape(s)
        at += size
    h = jnp.asarray(X.reshape((n,) + tuple(shape)), dtype=dtype)
    for i, L in enumerate(layers):
        kind = L["kind"]
        if kind == "conv":
            w = params[f"{i}.weight"]
            spatial = h.ndim - 2
            dn = ("NCH", "OIH", "NCH") if spatial == 1 else ("NCHW", "OIHW", "NCHW")
            h = lax.conv_general_dilated(h, w, window_strides=tuple(L["s"]),
                                         padding=[(p, p) for p in L["p"]], rhs_dilation=tuple(L["dil"]),
                                         dimension_numbers=dn, precision=lax.Precision.HIGHEST)
            if L["bias"]:
                h = h + params[f"{i}.bias"].reshape((1, -1) + (1,) * spatial)
        elif kind == "dense":
            h = h.reshape(n, -1)
            h = jnp.matmul(h, params[f"{i}.weight"].T, precision=lax.Precision.HIGHEST)
            if L["bias"]:
                h = h + params[f"{i}.bias"]
        elif kind == "relu":
            h = jnp.where(h > 0, h, jnp.zeros_like(h))
        elif kind == "leaky":
            h = jnp.where(h > 0, h, h * float(L["slope"]))
        elif kind == "avgpool":
            window = (1, 1) + tuple(L["k"])
            strides = (1, 1) + tuple(L["s"])
            h = lax.reduce_window(h, 0.0, lax.add, window, strides, "VALID") / int(np.prod(L["k"]))
    return h


def hessian_jax(theta, X, Y, names, shape, layers, dtype):
    import jax
    import jax.numpy as jnp

    n = X.shape[0]
    Yb = jnp.asarray(Y, dtype=dtype)

    def f(vec):
        r = jax_outputs(vec, X, names, shape, layers, dtype) - Yb
        return jnp.sum(r * r) / (2 * n)

    H = jax.hessian(f)(jnp.asarray(theta, dtype=dtype))
    return np.asarray(H)


# ----------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------


def write_atomic(path, data):
    """Writes to a temporary file beside `path`, then renames it over `path`."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_npy(path, array):
    import io
    buf = io.BytesIO()
    np.save(buf, array)
    write_atomic(path, buf.getvalue())


SAFETENSORS_CODES = {np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
                     np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("int16"): "I16",
                     np.dtype("int8"): "I8", np.dtype("uint8"): "U8", np.dtype("uint16"): "U16",
                     np.dtype("uint32"): "U32", np.dtype("uint64"): "U64", np.dtype("bool"): "BOOL"}


def safetensors_bytes(tensors, metadata=None):
    """The safetensors format: u64 LE header length, JSON header (padded with spaces to a
    multiple of 8), then the little-endian C-order data. tensors: [(name, array, code)] where
    code overrides the dtype string (used for BF16, stored as raw uint16 bits)."""
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, arr, code in tensors:
        arr = np.array(arr, order="C")  # (np.ascontiguousarray would turn 0-d into shape (1,))
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        raw = arr.tobytes()
        header[name] = {"dtype": code or SAFETENSORS_CODES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def float_ranks(H, dtype_name):
    """matrix_rank of H under each library's default rule (the ones importable here)."""
    out = {"numpy": int(np.linalg.matrix_rank(H))}
    try:
        import jax.numpy as jnp
        out["jax"] = int(jnp.linalg.matrix_rank(jnp.asarray(H)))
    except ImportError:
        pass
    try:
        import torch
        out["torch"] = int(torch.linalg.matrix_rank(torch.from_numpy(np.ascontiguousarray(H))))
    except ImportError:
        pass
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("arch", help='architecture string, e.g. "1x8 conv(2,k=3) dense(2)"')
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--samples", "-n", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--range", type=float, default=1.0, help="weights, data, targets uniform in [-range, range]")
    ap.add_argument("--data-range", type=float, default=None, help="inputs uniform in [-R, R] (default: --range)")
    ap.add_argument("--backend", choices=["auto", "jax", "python"], default="auto")
    ap.add_argument("--exact", action="store_true", help="also build the exact Hessian with fractions")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    shape, form, layers = parse_architecture(args.arch)
    names, K = parameter_layout(shape, layers)
    p = sum(int(np.prod(s)) for _, s in names)
    n = args.samples
    rng = np.random.default_rng(args.seed)

    def draw(size, bound):
        # float32-representable doubles: identical starting numbers for both precisions.
        return rng.uniform(-bound, bound, size=size).astype(np.float32).astype(np.float64)

    params = {name: draw(s, args.range) for name, s in names}
    theta = np.concatenate([params[name].ravel() for name, _ in names])
    x_shape = (n, shape[1]) if form == "vector" else (n,) + tuple(shape)
    X = draw(x_shape, args.data_range if args.data_range is not None else args.range)
    Y = draw((n, K), args.range)

    backend = args.backend
    if backend == "auto":
        try:
            import jax  # noqa: F401
            backend = "jax"
        except ImportError:
            backend = "python"
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    log(f"{args.arch}: p = {p} parameters, n = {n}, backend {backend}")

    if backend == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
        H64 = hessian_jax(theta, X, Y, names, shape, layers, np.float64)
        H32 = hessian_jax(theta.astype(np.float32), X.astype(np.float32), Y.astype(np.float32),
                          names, shape, layers, np.float32)
    else:
        flatX = [list(x.ravel()) for x in X]
        H64 = np.array(hessian_hyperdual(list(theta), flatX, list(map(list, Y)), names, shape, layers,
                                         0.0, float), dtype=np.float64)
        f32 = np.float32
        H32 = np.array(hessian_hyperdual([f32(v) for v in theta], [[f32(v) for v in x] for x in flatX],
                                         [[f32(v) for v in y] for y in Y], names, shape, layers,
                                         f32(0), lambda q: f32(float(q))), dtype=np.float32)
    H32 = H32.astype(np.float32)

    os.makedirs(args.out, exist_ok=True)
    wdir = os.path.join(args.out, "weights")
    os.makedirs(wdir, exist_ok=True)
    for name, _ in names:
        save_npy(os.path.join(wdir, f"{name}.npy"), params[name])
    write_atomic(os.path.join(args.out, "weights.safetensors"),
                 safetensors_bytes([(name, params[name], None) for name, _ in names],
                                   {"architecture": args.arch, "format": "pt"}))
    save_npy(os.path.join(args.out, "X.npy"), X)
    save_npy(os.path.join(args.out, "Y.npy"), Y)
    save_npy(os.path.join(args.out, "H64.npy"), H64)
    save_npy(os.path.join(args.out, "H32.npy"), H32)

    summary = {
        "architecture": args.arch, "p": p, "n": n, "K": K, "seed": args.seed, "range": args.range,
        "data_range": args.data_range if args.data_range is not None else args.range,
        "backend": backend, "parameters": [{"name": nm, "shape": s} for nm, s in names],
        "loss": "1/(2n) sum_i ||f(x_i) - y_i||^2",
        "rank_float64": float_ranks(H64, "float64"),
        "rank_float32": float_ranks(H32, "float32"),
        "sigma_float64": [float(v) for v in np.linalg.svd(H64, compute_uv=False)],
        "sigma_float32": [float(v) for v in np.linalg.svd(H32, compute_uv=False)],
    }
    if args.exact:
        zero = Fraction(0)
        fr = lambda v: Fraction(float(v))  # exact: every double is a dyadic rational
        Hq = hessian_hyperdual([fr(v) for v in theta], [[fr(v) for v in x.ravel()] for x in X],
                               [[fr(v) for v in y] for y in Y], names, shape, layers, zero, lambda q: q,
                               progress=None if args.quiet or not sys.stderr.isatty() else
                               (lambda i, tot: print(f"\rexact Hessian: row {i}/{tot}", end="", file=sys.stderr)))
        if not args.quiet and sys.stderr.isatty():
            log("")
        r = exact_rank(Hq)
        lines = [f"# exact Hessian of the MSE loss of '{args.arch}' (n={n}, seed={args.seed}); exact rank {r}",
                 f"{p} {p}"]
        lines += [" ".join(str(v) for v in row) for row in Hq]
        write_atomic(os.path.join(args.out, "H_exact.txt"), ("\n".join(lines) + "\n").encode())
        summary["rank_exact"] = r
        # How far the float Hessians are from the exact one, entrywise (for orientation only).
        summary["max_abs_error_float64"] = max(abs(float(Fraction(float(H64[i, j])) - Hq[i][j]))
                                               for i in range(p) for j in range(p))
        summary["max_abs_error_float32"] = max(abs(float(Fraction(float(H32[i, j])) - Hq[i][j]))
                                               for i in range(p) for j in range(p))
    write_atomic(os.path.join(args.out, "summary.json"), (json.dumps(summary, indent=2) + "\n").encode())
    log(f"float64 ranks {summary['rank_float64']}, float32 ranks {summary['rank_float32']}"
        + (f", exact rank {summary['rank_exact']}" if args.exact else ""))
    return summary


if __name__ == "__main__":
    try:
        main()
    except (ValueError, NonDifferentiable) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
