"""PyTorch peer of the study benchmark: the MSUN scale-sensitivity study end to end, as a PyTorch user writes it.

The work of ScaleStudy.Run (minibatch estimator, flattened activations, no bootstrap or null), on the same model,
images and subsets: for every repeat, every batch of its subset (images as bytes / 255, bilinear to the reference
size, align_corners=False) runs once at the reference size and once per probe (bilinear down to the probe size and
back up); forward hooks capture the study's blocks (module outputs flattened to C*H*W); per batch and block the
zero-diagonal Gram of the reference activations is formed once and reused for every probe, the probe's Gram once;
the unbiased HSIC (Song et al. 2012) of every pair in O(b^2) (GridHsic of torch_minibatch_cka.py: traces of the
stacked flattened Grams, no b^3 product) is summed over the batches; per repeat, CKA = ratio at the end
(Nguyen et al. 2021), the way the fastest PyTorch CKA tools compute minibatch CKA. Like ours, the block x block
grid of every probe is computed (it costs one L x L product of the stacked Grams per batch).

ARITHMETIC: float64 (activations copied into a float64 buffer, centred, DSYRK: our arithmetic) or float32 (centred
in a float32 buffer, torch.mm, what a PyTorch user runs).

Usage: torch_scale_study.py DIR ARITHMETIC THREADS [--channels-last] [--parallel-batches] [--breakdown]
  DIR/config.json (network, reference, probes, blocks, batch size), DIR/weights/<name>.npy (our model's state dict),
  DIR/images.npy (uint8 [N, C, H, W]), DIR/subsets.npy (int32 [repeats, images per subset]).
  One warm-up batch (reference and every probe, untimed), then the study, timed.
  --channels-last: the model in PyTorch's channels-last format. --parallel-batches: THREADS batches at once, each on a
  Python thread with one torch thread and OpenBLAS at one thread (torch and SciPy's BLAS release the GIL), hooks filling
  each thread's own capture, the HSIC sums added in batch order -- what ours does with more than one thread.
Prints one JSON line: seconds, cpu_seconds, baseline_rss_mb, peak_above_baseline_mb, values[block][probe][repeat],
threads, arithmetic, torch, blas.
With --breakdown: one text line instead, the process CPU milliseconds per batch spent in each phase (the phases of
study-breakdown, our side's diagnostic): batch (bytes to floats, bilinear to the reference size), resize (the probes'
down and up), forward (model calls with the hooks), cka (Grams and HSIC).
"""
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

from peer_common import Timed, blas_report, set_openblas_threads
from torch_minibatch_cka import GridHsic, load_model


def resize(images, size):
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


class Phases:
    """Process CPU milliseconds per named phase; `with phases("forward"): ...` adds to one (a no-op when off)."""

    def __init__(self, on):
        self.on, self.ms, self.batches, self._name = on, {}, 0, None

    def __call__(self, name):
        self._name = name
        return self

    def __enter__(self):
        self._start = time.process_time() if self.on else 0.0

    def __exit__(self, *_):
        if self.on:
            self.ms[self._name] = self.ms.get(self._name, 0.0) + (time.process_time() - self._start) * 1e3


class Study:
    def __init__(self, model, blocks, probes, reference, batch_size, arithmetic, phases):
        self.model, self.probes, self.reference, self.b, self.phases = model, probes, reference, batch_size, phases
        self.layers, self.arithmetic = len(blocks), arithmetic
        self.local = threading.local()  # each thread's captured outputs and Gram buffers
        modules = dict(model.named_modules())
        for i, name in enumerate(blocks):
            def hook(_module, _input, output, i=i):
                self.local.captured[i] = output.reshape(output.shape[0], -1)
            modules[name].register_forward_hook(hook)

    def forward(self, images, side):
        local = self.local
        if not hasattr(local, "grams"):
            local.grams = GridHsic(self.layers, self.arithmetic)  # Gram buffers and the HSIC formulas
            local.captured = [None] * self.layers
        with self.phases("forward"), torch.no_grad():
            self.model(images)
        with self.phases("cka"):
            return local.grams.grams(side, local.captured)

    def batch(self, pixels, sums):
        """One batch: the reference Grams once, then each probe's; HSIC of all pairs added to sums[probe]."""
        with self.phases("batch"):
            x = pixels.float().div_(255.0)
            if x.shape[-1] != self.reference:
                x = resize(x, self.reference)
        ka, ra, ta = self.forward(x, "reference")
        n = x.shape[0]
        with self.phases("cka"):
            self_reference = GridHsic.self_hsic(ka, ra, ta, n)
        for p in self.probes:
            with self.phases("resize"):
                probe = resize(resize(x, p), self.reference)
            kb, rb, tb = self.forward(probe, "probe")
            with self.phases("cka"):
                cross, row_self, col_self = sums[p]
                cross += GridHsic.hsic(ka, ra, ta, kb, rb, tb, n)
                row_self += self_reference
                col_self += GridHsic.self_hsic(kb, rb, tb, n)
        self.phases.batches += 1

    def zeros(self):
        layers = self.layers
        return {p: (torch.zeros(layers, layers, dtype=torch.float64), torch.zeros(layers, dtype=torch.float64),
                    torch.zeros(layers, dtype=torch.float64)) for p in self.probes}

    def run(self, images, subsets, workers=1):
        """values[block][probe][repeat]: per repeat, the diagonal of the minibatch CKA grid of every probe."""
        sums = [self.zeros() for _ in subsets]
        # a short final batch is left out, as ours does
        jobs = [(r, start) for r, subset in enumerate(subsets) for start in range(0, len(subset) - self.b + 1, self.b)]
        if workers == 1:
            for r, start in jobs:
                self.batch(images[subsets[r][start:start + self.b]], sums[r])
        else:
            def job(r_start):
                r, start = r_start
                part = self.zeros()
                self.batch(images[subsets[r][start:start + self.b]], part)
                return r, part

            # One OpenBLAS thread per Gram while the workers run theirs side by side (as ours: each thread one core).
            blas_threads = set_openblas_threads(1)
            try:
                with ThreadPoolExecutor(workers, initializer=torch.set_num_threads, initargs=(1,)) as pool:
                    for r, part in pool.map(job, jobs):  # in batch order
                        for p in self.probes:
                            for total, value in zip(sums[r][p], part[p]):
                                total += value
            finally:
                if blas_threads is not None:
                    set_openblas_threads(blas_threads)
        per_repeat = [{p: (c / torch.sqrt(torch.outer(r, s))).diagonal().tolist() for p, (c, r, s) in repeat.items()}
                      for repeat in sums]
        return [[[rep[p][i] for rep in per_repeat] for p in self.probes] for i in range(self.layers)]


def main():
    directory, arithmetic, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    breakdown = "--breakdown" in sys.argv[4:]
    if arithmetic not in ("float64", "float32"):
        raise SystemExit(f"unknown arithmetic {arithmetic} (float64 or float32)")
    torch.set_num_threads(threads)
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    model = load_model(os.path.join(directory, "weights"), config)
    channels_last = "--channels-last" in sys.argv[4:]  # PyTorch's recipe; the input has one channel, so only the model moves
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    images = torch.from_numpy(np.load(os.path.join(directory, "images.npy")))
    subsets = torch.from_numpy(np.load(os.path.join(directory, "subsets.npy")).astype(np.int64))
    study = Study(model, config["blocks"], config["probes"], config["reference"], config["batch_size"], arithmetic,
                  Phases(False))
    study.batch(images[subsets[0][:config["batch_size"]]], study.zeros())  # warm-up: allocates every buffer, untimed
    if breakdown:
        study.phases = Phases(True)
        study.run(images, subsets)
        ms, b = study.phases.ms, study.phases.batches
        print(f"peer{', channels-last' if channels_last else ''}, CPU ms per batch of {config['batch_size']} ({torch.get_num_threads()} threads, {b} batches, reference + "
              f"{len(config['probes'])} probes, {arithmetic}): " + ", ".join(f"{k} {ms.get(k, 0.0) / b:.1f}" for k in
                                                                        ("batch", "resize", "forward", "cka")))
        return
    workers = threads if "--parallel-batches" in sys.argv[4:] else 1
    with Timed() as t:
        values = study.run(images, subsets, workers)
    torch.set_num_threads(threads)  # the workers set one thread each; report the run's setting
    print(json.dumps({**t.fields(), "values": values, "threads": torch.get_num_threads(), "arithmetic": arithmetic,
                      "torch": torch.__version__, "blas": blas_report(), "channels_last": channels_last,
                      "parallel_batches": workers}))


if __name__ == "__main__":
    main()
