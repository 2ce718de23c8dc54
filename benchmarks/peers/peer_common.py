"""What every peer reports besides its result: timings, memory, and the BLAS and threads it really ran on.

Memory: `baseline` is VmRSS just before the timed part; the peak of the timed part is VmHWM after resetting
it (writing 5 to /proc/self/clear_refs), so `peak_above_baseline_mb` is what the timed work itself added.
"""
import ctypes
import os
import time


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"/proc/self/status has no {field}")


def rss_mb():
    return _status("VmRSS")


def peak_mb():
    return _status("VmHWM")


class Timed:
    """with Timed() as t: ... -> t.seconds, t.cpu_seconds (all threads), t.baseline_mb, t.peak_above_baseline_mb."""

    def __enter__(self):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        self.baseline_mb = rss_mb()
        self._cpu = time.process_time()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._wall
        self.cpu_seconds = time.process_time() - self._cpu
        self.peak_above_baseline_mb = peak_mb() - self.baseline_mb
        return False

    def fields(self):
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds,
                "baseline_rss_mb": self.baseline_mb, "peak_above_baseline_mb": self.peak_above_baseline_mb}


def _blas_libraries():
    """The BLAS-related libraries mapped into this process, resolved through Debian's alternatives, sorted."""
    libraries = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if name.startswith("lib") and any(key in name for key in ("blas", "lapack", "mkl", "dnnl", "gomp", "omp")):
                libraries.add(os.path.realpath(path))
    return sorted(libraries)


def _openblas():
    """The first of those that is OpenBLAS (NumPy's and SciPy's), or None."""
    for path in _blas_libraries():
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_num_threads  # noqa: B018 -- only OpenBLAS has it
            return lib
        except (OSError, AttributeError):
            continue
    return None


def set_openblas_threads(n):
    """Sets OpenBLAS's thread count (process-wide); returns the previous one, or None without OpenBLAS."""
    lib = _openblas()
    if lib is None:
        return None
    before = lib.openblas_get_num_threads()
    lib.openblas_set_num_threads(n)
    return before


def blas_report():
    """The BLAS libraries mapped into this process (resolved through Debian's alternatives) and OpenBLAS's thread count."""
    lib = _openblas()
    threads = lib.openblas_get_num_threads() if lib is not None else None
    libraries = _blas_libraries()
    return {"libraries": libraries, "openblas_threads": threads,
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                                     "OMP_WAIT_POLICY", "GLIBC_TUNABLES")}}
