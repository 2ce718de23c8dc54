"""NumPy peer of the linear-CKA benchmarks: linear CKA (biased, feature form) of two .npy files.

What a careful NumPy user writes: centre in place (column means summed in float64), the self products by
SYRK (scipy.linalg.blas reaches the same OpenBLAS as NumPy; half a GEMM's work), the cross product by GEMM,
Frobenius norms from the triangles, no full-size temporaries.
  float64 files: one DSYRK / DGEMM over all rows.
  float32 files: what `msun cka --precision float32-products` does -- the products of each 2 048-row chunk in
  float32 (SSYRK / SGEMM into preallocated buffers), added into float64 sums across chunks.

Usage: numpy_linear_cka.py X.npy Y.npy [--warm-up]
  --warm-up: first run the whole computation once on copies of the first 4 096 rows (untimed), as the
  in-process benchmark does on our side; without it the process does only what a user's script would.
Prints one JSON line: cka, seconds / cpu_seconds / memory of the timed part (load excluded), load_seconds, blas.
"""
import json
import sys
import time

import numpy as np
from scipy.linalg.blas import dsyrk, ssyrk

from peer_common import Timed, blas_report

CHUNK_ROWS = 2048  # as FeatureForm.ChunkRows


def centre_in_place(a):
    a -= a.mean(axis=0, dtype=np.float64).astype(a.dtype)


def symmetric_frobenius2(upper):
    """||C||_F^2 of a symmetric matrix from its upper triangle (the other triangle is zero)."""
    diagonal = np.diagonal(upper).astype(np.float64)
    return 2.0 * float(np.vdot(upper, upper)) - float(diagonal @ diagonal)


def cka_float64(x, y):
    centre_in_place(x)
    centre_in_place(y)
    cxx = dsyrk(1.0, x.T)  # x.T is Fortran-ordered: no copy; C = x^T x, upper triangle
    cyy = dsyrk(1.0, y.T)
    cxy = x.T @ y
    return float(np.vdot(cxy, cxy)) / np.sqrt(symmetric_frobenius2(cxx) * symmetric_frobenius2(cyy))


def cka_float32_products(x, y):
    centre_in_place(x)
    centre_in_place(y)
    d1, d2 = x.shape[1], y.shape[1]
    sxx, syy, sxy = np.zeros((d1, d1)), np.zeros((d2, d2)), np.zeros((d1, d2))
    bxx = np.zeros((d1, d1), np.float32, order="F")
    byy = np.zeros((d2, d2), np.float32, order="F")
    bxy = np.zeros((d1, d2), np.float32)
    for start in range(0, x.shape[0], CHUNK_ROWS):
        xc, yc = x[start:start + CHUNK_ROWS], y[start:start + CHUNK_ROWS]
        bxx = ssyrk(1.0, xc.T, beta=0.0, c=bxx, overwrite_c=1)
        byy = ssyrk(1.0, yc.T, beta=0.0, c=byy, overwrite_c=1)
        np.matmul(xc.T, yc, out=bxy)
        sxx += bxx
        syy += byy
        sxy += bxy
    return float(np.vdot(sxy, sxy)) / np.sqrt(symmetric_frobenius2(sxx) * symmetric_frobenius2(syy))


def main():
    start = time.perf_counter()
    x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
    load_seconds = time.perf_counter() - start
    if x.dtype != y.dtype or x.dtype not in (np.float32, np.float64):
        raise SystemExit(f"both files must be float32 or both float64, got {x.dtype} and {y.dtype}")
    x, y = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
    cka = cka_float64 if x.dtype == np.float64 else cka_float32_products
    if "--warm-up" in sys.argv:
        cka(x[:4096].copy(), y[:4096].copy())
    with Timed() as timed:
        value = cka(x, y)
    print(json.dumps({"cka": value, **timed.fields(), "load_seconds": load_seconds,
                      "dtype": str(x.dtype), "numpy": np.__version__, "blas": blas_report()}))


if __name__ == "__main__":
    main()
