"""NumPy peer of the linear-CKA benchmark: feature form, computed in the arrays' own dtype.

Usage: numpy_linear_cka.py X.npy Y.npy REPEATS  -> one JSON line {seconds_best, seconds_all, cka, peak_rss_mb, blas}
"""
import json
import resource
import sys
import time

import numpy as np


def linear_cka(x, y):
    x = x - x.mean(axis=0, keepdims=True)
    y = y - y.mean(axis=0, keepdims=True)
    cross = np.sum((x.T @ y) ** 2)
    return cross / np.sqrt(np.sum((x.T @ x) ** 2) * np.sum((y.T @ y) ** 2))


def main():
    x, y, repeats = np.load(sys.argv[1]), np.load(sys.argv[2]), int(sys.argv[3])
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = float(linear_cka(x, y))
        times.append(time.perf_counter() - start)
    config = np.show_config(mode="dicts") if "mode" in np.show_config.__code__.co_varnames else {}
    blas = config.get("Build Dependencies", {}).get("blas", {}).get("name", "unknown") if config else "unknown"
    print(json.dumps({
        "seconds_best": min(times),
        "seconds_all": times,
        "cka": value,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "blas": blas,
    }))


if __name__ == "__main__":
    main()
