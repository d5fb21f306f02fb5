#!/usr/bin/env python3
"""Regenerates the FloatCheck test fixtures (run from anywhere; needs NumPy, JAX optional
but used for the network fixtures; the `safetensors` package optional):

    python3 Tests/FloatCheckTests/Fixtures/generate.py

* npy/          one small array per dtype × byte order × memory order, the format versions
                1.0/2.0/3.0, 0-d, empty and 4-d shapes, and files with NaN/Inf and with
                64-bit integers beyond 2^53 (readers must reject those clearly);
  npy/manifest.json   each file's dtype, shape, order, byte order, version and its values in
                C order as exact decimal strings (Python's repr of the double they equal).
* safetensors/  mixed.safetensors (F64, F32, F16, BF16, integers, bool, 0-d, empty, with
                __metadata__) written by this script, official.safetensors written by the
                `safetensors` package when it is importable, and manifest.json.
* net-n4/, net-n8/   exported networks (see examples/export/export_hessian.py) with exact
                Hessians: "1x8 conv(2,k=3) dense(2)", seed 1, n = 4 and n = 8. In net-n8
                NumPy's default rule gets the float64 rank right and the float32 rank wrong.
"""

import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "examples", "export"))
import export_hessian as eh  # noqa: E402

SHAPE = (2, 3, 2)

FLOAT_VALUES = {
    "float64": [0.1, -2.5, 1e-300, 5e-324, -0.0, 123456789.125, 1 / 3, -1e300, 2.0 ** -30, 7.0, -1.0, 0.5],
    "float32": [0.1, -2.5, 1e-40, 2.0 ** -149, -0.0, 3.0e38, 1 / 3, -1e-20, 2.0 ** -30, 7.0, -1.0, 16777215.0],
    "float16": [0.1, -2.5, 2.0 ** -24, 2.0 ** -14, -0.0, 65504.0, 1 / 3, -1e-5, 2.0 ** -10, 7.0, -1.0, 0.5],
}
INT_VALUES = {
    "int8": [-128, 127, 0, -1, 1, 5, -7, 100, -100, 3, 2, 9],
    "int16": [-32768, 32767, 0, -1, 1, 500, -7, 1000, -1000, 3, 2, 9],
    "int32": [-2 ** 31, 2 ** 31 - 1, 0, -1, 1, 70000, -7, 10 ** 9, -10 ** 9, 3, 2, 9],
    "int64": [-2 ** 53, 2 ** 53, 0, -1, 1, 2 ** 40, -7, 10 ** 15, -10 ** 15, 3, 2, 9],
    "uint8": [0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "uint16": [0, 65535, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "uint32": [0, 2 ** 32 - 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "uint64": [0, 2 ** 53, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "bool": [True, False, True, True, False, False, True, False, True, False, False, True],
}


def exact_text(v):
    """The exact double a stored element equals, as a string Swift's Double() reads back."""
    return repr(float(v))


def save(path, arr, version=None):
    with open(path, "wb") as fh:
        np.lib.format.write_array(fh, arr, version=version, allow_pickle=False)


def npy_fixtures():
    d = os.path.join(HERE, "npy")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    entries = []

    def add(name, arr, dtype, version=None, fortran=False, extra=None):
        save(os.path.join(d, name), arr, version)
        e = {"file": name, "dtype": dtype, "shape": list(arr.shape), "fortran": fortran,
             "big_endian": arr.dtype.byteorder == ">", "version": ".".join(map(str, version or (1, 0))),
             "values": [exact_text(v) for v in np.ascontiguousarray(arr).ravel()]}
        if extra:
            e.update(extra)
        entries.append(e)

    for dtype, values in list(FLOAT_VALUES.items()) + list(INT_VALUES.items()):
        base = np.array(values, dtype=dtype).reshape(SHAPE)
        orders = ["<", ">"] if base.dtype.itemsize > 1 else ["|"]
        for bo in orders:
            arr = base.astype(base.dtype.newbyteorder(bo)) if bo != "|" else base
            tag = {"<": "le", ">": "be", "|": "na"}[bo]
            add(f"{dtype}-{tag}-C.npy", arr, dtype)
            add(f"{dtype}-{tag}-F.npy", np.asfortranarray(arr), dtype, fortran=True)

    base = np.array(FLOAT_VALUES["float64"], dtype="<f8").reshape(3, 4)
    add("v2-float64.npy", base, "float64", version=(2, 0))
    f32 = np.array(FLOAT_VALUES["float32"], dtype=">f4").reshape(3, 4)
    add("v3-float32-F.npy", np.asfortranarray(f32), "float32", version=(3, 0), fortran=True)
    add("scalar-0d.npy", np.array(2.75, dtype="<f8"), "float64")
    add("empty-0x3.npy", np.zeros((0, 3), dtype="<f4"), "float32")
    add("vector-1d.npy", np.array([1.5, -2.0, 0.25], dtype=">f8"), "float64")
    add("four-d-F.npy", np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 1, 3, 4)), "int16", fortran=True)

    # Inputs the readers must reject with one clear error each.
    bad = np.array(FLOAT_VALUES["float64"], dtype="<f8").reshape(3, 4)
    bad[1, 2] = np.nan
    save(os.path.join(d, "bad-nan.npy"), bad)
    inf = np.ones((2, 2), dtype=">f4")
    inf[1, 0] = -np.inf
    save(os.path.join(d, "bad-inf.npy"), np.asfortranarray(inf))
    save(os.path.join(d, "bad-int64-big.npy"), np.array([1, 2 ** 53 + 1], dtype="<i8"))
    save(os.path.join(d, "bad-uint64-big.npy"), np.array([[0, 2 ** 64 - 1]], dtype=">u8"))
    save(os.path.join(d, "bad-complex.npy"), np.array([1 + 2j], dtype="<c16"))
    save(os.path.join(d, "bad-structured.npy"), np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))

    with open(os.path.join(d, "manifest.json"), "w") as fh:
        json.dump({"shape_note": "values are in C order", "files": entries}, fh, indent=1)
        fh.write("\n")


def bf16_bits(values):
    """bfloat16 bit patterns of float32 values whose low 16 bits are zero (exact)."""
    bits = np.array(values, dtype="<f4").view("<u4")
    assert np.all(bits & 0xFFFF == 0), "value not exactly representable in bfloat16"
    return (bits >> 16).astype("<u2")


def safetensors_fixtures():
    d = os.path.join(HERE, "safetensors")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    bf16_values = [1.0, -2.5, 2.0 ** -133, 3.3895313892515355e38]  # includes a subnormal and the max
    tensors = [
        ("weight.f64", np.array([[0.1, -2.5, 1e-300], [5e-324, -0.0, 1 / 3]], dtype="<f8"), None),
        ("weight.f32", np.array([0.1, -1e-40, 3.0e38], dtype="<f4"), None),
        ("weight.f16", np.array([[0.1, -2.0 ** -24], [65504.0, 1 / 3]], dtype="<f2"), None),
        ("weight.bf16", bf16_bits(bf16_values).reshape(2, 2), "BF16"),
        ("counts.i32", np.array([-2 ** 31, 2 ** 31 - 1], dtype="<i4"), None),
        ("counts.i64", np.array([-2 ** 53, 12345], dtype="<i8"), None),
        ("bytes.u8", np.array([0, 128, 255], dtype="u1"), None),
        ("mask.bool", np.array([True, False], dtype="bool"), None),
        ("scalar", np.array(-0.75, dtype="<f8"), None),
        ("empty", np.zeros((0,), dtype="<f4"), None),
    ]
    data = eh.safetensors_bytes(tensors, {"format": "pt", "note": "FloatCheck fixture"})
    with open(os.path.join(d, "mixed.safetensors"), "wb") as fh:
        fh.write(data)
    expected = {}
    for name, arr, code in tensors:
        values = [exact_text(v) for v in np.ravel(arr)] if code != "BF16" else [exact_text(v) for v in bf16_values]
        expected[name] = {"dtype": code or eh.SAFETENSORS_CODES[arr.dtype], "shape": list(arr.shape),
                          "values": values}
    manifest = {"mixed.safetensors": {"metadata": {"format": "pt", "note": "FloatCheck fixture"},
                                      "tensors": expected}}
    try:
        from safetensors.numpy import save_file
        official = {"a.f64": np.array([[1.5, -0.1]], dtype="<f8"), "b.f32": np.array([0.1, 2.0], dtype="<f4"),
                    "c.f16": np.array([0.1], dtype="<f2"), "d.i64": np.array([7, -8], dtype="<i8"),
                    "e.bool": np.array([False, True])}
        save_file(official, os.path.join(d, "official.safetensors"), metadata={"source": "safetensors package"})
        manifest["official.safetensors"] = {
            "metadata": {"source": "safetensors package"},
            "tensors": {k: {"dtype": eh.SAFETENSORS_CODES[v.dtype], "shape": list(v.shape),
                            "values": [exact_text(x) for x in v.ravel()]} for k, v in official.items()}}
    except ImportError:
        print("safetensors package not importable: official.safetensors not written", file=sys.stderr)
    with open(os.path.join(d, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")


def network_fixtures():
    for n in (4, 8):
        out = os.path.join(HERE, f"net-n{n}")
        shutil.rmtree(out, ignore_errors=True)
        eh.main(["1x8 conv(2,k=3) dense(2)", "--samples", str(n), "--seed", "1", "--out", out, "--exact", "--quiet"])


if __name__ == "__main__":
    npy_fixtures()
    safetensors_fixtures()
    if "--no-networks" not in sys.argv:
        network_fixtures()
