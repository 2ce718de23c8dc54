"""PyTorch peer of the grid-cka benchmark: layer x layer minibatch CKA (Nguyen et al. 2021).

For every batch and every layer of both models: the layer's zero-diagonal Gram, its row sums and total; then the
unbiased HSIC of Song et al. (2012) for every layer pair in O(b^2) per pair -- the traces <K~, L~> of all pairs as one
product of the stacked, flattened Grams (L x b^2 times b^2 x L), no b^3 product, no centring matrix. HSIC is summed
over the batches and the ratio is taken at the end. Every buffer is allocated once (first batch) and reused.

ARITHMETIC (how each Gram is formed):
  float64           as ours in float64: the activations copied into a preallocated float64 buffer, centred in place,
                    K = X X^T by DSYRK (scipy.linalg.blas: the same OpenBLAS as ours), mirrored, diagonal zeroed.
  float32-products  as ours with --precision float32-products: centred in float64, then per block of columns (64 Ki
                    values) cast to float32 and multiplied by SSYRK, the blocks' Grams summed in float64.
  float32           what a careful PyTorch user writes: the activations centred in place in a preallocated float32
                    buffer (without centring, float32 Grams of un-centred late layers lose ~1e-2 of CKA), K = X X^T by
                    torch.mm in float32, float32 row sums and traces, HSIC combined in float64.

Usage:
  torch_minibatch_cka.py cka DIR BATCHES ARITHMETIC THREADS
      activations from DIR/a{k:03d}_{i:02d}.npy and DIR/b{k:03d}_{i:02d}.npy (layer names in DIR/layers.txt);
      reading a batch's files is not timed, the CKA is.
  torch_minibatch_cka.py e2e DIR BATCHES ARITHMETIC THREADS
      images from DIR/images.npy, two ResNet-18s (torchvision layout) with the weights in DIR/weights_{a,b}/;
      forward + hooks + CKA are timed together.
Prints one JSON line: seconds, cpu_seconds (all threads), per_batch, baseline_rss_mb, peak_above_baseline_mb, grid,
threads, arithmetic, blas.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from scipy.linalg.blas import dsyrk, ssyrk

from peer_common import blas_report, peak_mb, rss_mb

BLOCK_VALUES = 65536  # float32-products: values of the input per column block, as GramForm's block


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


class GridHsic:
    """Sums of unbiased HSIC over batches, for every (row layer, column layer) and each layer with itself."""

    def __init__(self, layers, arithmetic):
        self.arithmetic = arithmetic
        self.cross = torch.zeros(layers, layers, dtype=torch.float64)
        self.row_self = torch.zeros(layers, dtype=torch.float64)
        self.col_self = torch.zeros(layers, dtype=torch.float64)
        self.buffers = {}

    def _buffer(self, key, shape, dtype, order="C"):
        b = self.buffers.get(key)
        if b is None or b.shape != shape:
            b = self.buffers[key] = np.zeros(shape, dtype=dtype, order=order)
        return b

    def _gram_centred(self, a, k):
        """k (n x n float64 view) = centred X X^T with a zero diagonal, by SYRK; scratch shared by layers of one shape."""
        n, d = a.shape[0], a[0].numel()
        x = self._buffer(("x", n, d), (n, d), np.float64)
        np.copyto(x, a.reshape(n, -1).numpy())
        x -= x.mean(axis=0)
        c = self._buffer(("c", n), (n, n), np.float64, "F")
        if self.arithmetic == "float64":
            c = dsyrk(1.0, x.T, trans=1, beta=0.0, c=c, overwrite_c=1)  # x.T is Fortran-ordered d x n: C = x x^T
        else:
            cols = max(1, BLOCK_VALUES // n)
            c32 = self._buffer(("c32", n), (n, n), np.float32, "F")
            c.fill(0.0)
            for start in range(0, d, cols):
                width = min(cols, d - start)
                part = self._buffer(("block", n, width), (n, width), np.float32)
                np.copyto(part, x[:, start:start + width], casting="same_kind")
                c32 = ssyrk(1.0, part.T, trans=1, beta=0.0, c=c32, overwrite_c=1)
                c += c32
        upper = np.triu(c, 1)
        np.add(upper, upper.T, out=k)  # upper triangle mirrored, diagonal zero

    def grams(self, side, activations):
        """Stacked zero-diagonal Grams (L x b^2), their row sums (L x b) and totals (L)."""
        n = activations[0].shape[0]
        dtype = torch.float32 if self.arithmetic == "float32" else torch.float64
        stacked = self.buffers.get((side, "stacked"))
        if stacked is None or stacked.shape != (len(activations), n * n):
            stacked = self.buffers[(side, "stacked")] = torch.empty(len(activations), n * n, dtype=dtype)
        for i, a in enumerate(activations):
            k = stacked[i].view(n, n)
            if self.arithmetic == "float32":
                x = self.buffers.get(("x32", n, a[0].numel()))
                if x is None:
                    x = self.buffers[("x32", n, a[0].numel())] = torch.empty(n, a[0].numel(), dtype=torch.float32)
                x.copy_(a.reshape(n, -1))
                x -= x.mean(dim=0)
                torch.mm(x, x.T, out=k)
                k.fill_diagonal_(0)
            else:
                self._gram_centred(a, k.numpy())
        rows = stacked.view(len(activations), n, n).sum(dim=2)
        return stacked, rows, rows.sum(dim=1)

    @staticmethod
    def hsic(ka, ra, ta, kb, rb, tb, n):
        trace = (ka @ kb.T).double()
        sums = torch.outer(ta, tb).double() / ((n - 1) * (n - 2))
        cross = (ra @ rb.T).double() * (2.0 / (n - 2))
        return (trace + sums - cross) / (n * (n - 3))

    @staticmethod
    def self_hsic(k, r, t, n):
        trace = (k * k).sum(dim=1).double()
        sums = (t * t).double() / ((n - 1) * (n - 2))
        cross = (r * r).sum(dim=1).double() * (2.0 / (n - 2))
        return (trace + sums - cross) / (n * (n - 3))

    def add(self, acts_a, acts_b):
        n = acts_a[0].shape[0]
        ka, ra, ta = self.grams("a", acts_a)
        kb, rb, tb = self.grams("b", acts_b)
        self.cross += self.hsic(ka, ra, ta, kb, rb, tb, n)
        self.row_self += self.self_hsic(ka, ra, ta, n)
        self.col_self += self.self_hsic(kb, rb, tb, n)

    def reset(self):
        """Back to no batches, keeping the buffers (the warm-up batch allocated them)."""
        self.cross.zero_()
        self.row_self.zero_()
        self.col_self.zero_()

    def result(self):
        return self.cross / torch.sqrt(torch.outer(self.row_self, self.col_self))


def load_batch(directory, k, layers):
    a = [torch.from_numpy(np.load(os.path.join(directory, f"a{k:03d}_{i:02d}.npy"))) for i in range(layers)]
    b = [torch.from_numpy(np.load(os.path.join(directory, f"b{k:03d}_{i:02d}.npy"))) for i in range(layers)]
    return a, b


def run_cka(directory, batches, arithmetic):
    with open(os.path.join(directory, "layers.txt")) as f:
        layers = len([line for line in f if line.strip()])
    # Warm-up on the first batch (untimed, thrown away), as the .NET side does.
    a, b = load_batch(directory, 0, layers)
    grid = GridHsic(layers, arithmetic)
    grid.add(a, b)
    del a, b
    grid.reset()
    reset_peak()
    baseline = rss_mb()
    times, cpu = [], 0.0
    for k in range(batches):
        a, b = load_batch(directory, k, layers)
        start, start_cpu = time.perf_counter(), time.process_time()
        grid.add(a, b)
        times.append(time.perf_counter() - start)
        cpu += time.process_time() - start_cpu
        del a, b
    start = time.perf_counter()
    values = grid.result()
    times[-1] += time.perf_counter() - start
    return values, times, cpu, baseline


# --- end-to-end: a ResNet-18 in torchvision's layout and module names, weights from .npy files ---

class BasicBlock(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(cout)
        self.relu = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 1, stride, bias=False), torch.nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(torch.nn.Module):
    def __init__(self, in_channels, classes, widths, imagenet_stem):
        super().__init__()
        if imagenet_stem:
            self.conv1 = torch.nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False)
        else:
            self.conv1 = torch.nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(widths[0])
        self.relu = torch.nn.ReLU()
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1) if imagenet_stem else torch.nn.Identity()
        cin = widths[0]
        for s, w in enumerate(widths):
            stride = 1 if s == 0 else 2
            setattr(self, f"layer{s + 1}", torch.nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w, 1)))
            cin = w
        self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def load_model(folder, config):
    """A ResNet18 in eval mode with the state dict written as one .npy per entry in `folder` (our exported weights)."""
    model = ResNet18(config["in_channels"], config["classes"], config["widths"], config["imagenet_stem"])
    state = {}
    for name in model.state_dict():
        state[name] = torch.from_numpy(np.load(os.path.join(folder, name + ".npy")))
    model.load_state_dict(state, strict=True)
    return model.eval()


def run_e2e(directory, batches, arithmetic):
    with open(os.path.join(directory, "layers.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    with open(os.path.join(directory, "model.json")) as f:
        config = json.load(f)
    images = torch.from_numpy(np.load(os.path.join(directory, "images.npy")))
    models = {side: load_model(os.path.join(directory, f"weights_{side}"), config) for side in "ab"}
    captured = {"a": [None] * len(names), "b": [None] * len(names)}
    for side, model in models.items():
        modules = dict(model.named_modules())
        for i, name in enumerate(names):
            def hook(_module, _input, output, side=side, i=i):
                captured[side][i] = output.detach().reshape(output.shape[0], -1).clone()
            modules[name].register_forward_hook(hook)
    b = config["batch_size"]

    def step(grid, k):
        batch = images[k * b:(k + 1) * b]
        with torch.no_grad():
            models["a"](batch)
            models["b"](batch)
        grid.add(captured["a"], captured["b"])

    grid = GridHsic(len(names), arithmetic)
    step(grid, 0)  # warm-up, untimed
    grid.reset()
    reset_peak()
    baseline = rss_mb()
    times, start_cpu = [], time.process_time()
    for k in range(batches):
        start = time.perf_counter()
        step(grid, k)
        times.append(time.perf_counter() - start)
    values = grid.result()
    return values, times, time.process_time() - start_cpu, baseline


def main():
    mode, directory, batches, arithmetic, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    if arithmetic not in ("float64", "float32-products", "float32"):
        raise SystemExit(f"unknown arithmetic {arithmetic}")
    torch.set_num_threads(threads)
    values, times, cpu, baseline = (run_cka if mode == "cka" else run_e2e)(directory, batches, arithmetic)
    print(json.dumps({
        "seconds": sum(times),
        "cpu_seconds": cpu,
        "per_batch": times,
        "baseline_rss_mb": baseline,
        "peak_above_baseline_mb": peak_mb() - baseline,
        "grid": values.tolist(),
        "threads": torch.get_num_threads(),
        "arithmetic": arithmetic,
        "torch": torch.__version__,
        "blas": blas_report(),
    }))


if __name__ == "__main__":
    main()
