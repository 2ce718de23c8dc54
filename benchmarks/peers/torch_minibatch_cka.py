"""PyTorch peer of the grid-cka benchmark: layer x layer minibatch CKA (Nguyen et al. 2021).

For every batch and every layer of both models: flatten, K = X X^T in DTYPE (no centring: the unbiased
estimator does not need it), zero the diagonal, row sums; then the unbiased HSIC of Song et al. (2012)
for every layer pair in O(b^2) per pair -- the traces <K~, L~> of all pairs as one matrix product of the
stacked, flattened Grams (L x b^2 times b^2 x L), no b^3 product, no centring matrix. HSIC is summed
over the batches and the ratio is taken at the end.

Usage:
  torch_minibatch_cka.py cka DIR BATCHES DTYPE
      activations from DIR/a{k:03d}_{i:02d}.npy and DIR/b{k:03d}_{i:02d}.npy (layer names in DIR/layers.txt);
      reading a batch's files is not timed, the CKA is.
  torch_minibatch_cka.py e2e DIR BATCHES DTYPE
      images from DIR/images.npy, two ResNet-18s (torchvision layout) with the weights in DIR/weights_{a,b}/;
      forward + hooks + CKA are timed together.
Prints one JSON line: seconds, cpu_seconds (all threads), per_batch, peak_rss_mb, baseline_rss_mb, grid, threads, dtype.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch

torch.set_num_threads(2)


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class GridHsic:
    """Sums of unbiased HSIC over batches, for every (row layer, column layer) and each layer with itself."""

    def __init__(self, layers, dtype):
        self.dtype = dtype
        self.cross = torch.zeros(layers, layers, dtype=torch.float64)
        self.row_self = torch.zeros(layers, dtype=torch.float64)
        self.col_self = torch.zeros(layers, dtype=torch.float64)

    def grams(self, activations):
        """Stacked zero-diagonal Grams (L x b^2), their row sums (L x b) and totals (L)."""
        n = activations[0].shape[0]
        stacked = torch.empty(len(activations), n * n, dtype=self.dtype)
        for i, a in enumerate(activations):
            x = a.reshape(n, -1).to(self.dtype)
            k = stacked[i].view(n, n)
            torch.mm(x, x.T, out=k)
            k.fill_diagonal_(0)
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
        ka, ra, ta = self.grams(acts_a)
        kb, rb, tb = self.grams(acts_b)
        self.cross += self.hsic(ka, ra, ta, kb, rb, tb, n)
        self.row_self += self.self_hsic(ka, ra, ta, n)
        self.col_self += self.self_hsic(kb, rb, tb, n)

    def result(self):
        return self.cross / torch.sqrt(torch.outer(self.row_self, self.col_self))


def load_batch(directory, k, layers):
    a = [torch.from_numpy(np.load(os.path.join(directory, f"a{k:03d}_{i:02d}.npy"))) for i in range(layers)]
    b = [torch.from_numpy(np.load(os.path.join(directory, f"b{k:03d}_{i:02d}.npy"))) for i in range(layers)]
    return a, b


def run_cka(directory, batches, dtype):
    with open(os.path.join(directory, "layers.txt")) as f:
        layers = len([line for line in f if line.strip()])
    # Warm-up on the first batch (untimed, thrown away), as the .NET side does.
    a, b = load_batch(directory, 0, layers)
    GridHsic(layers, dtype).add(a, b)
    del a, b
    baseline = rss_mb()
    grid, times, cpu = GridHsic(layers, dtype), [], 0.0
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


def load_model(directory, side, config):
    model = ResNet18(config["in_channels"], config["classes"], config["widths"], config["imagenet_stem"])
    state = {}
    folder = os.path.join(directory, f"weights_{side}")
    for name in model.state_dict():
        state[name] = torch.from_numpy(np.load(os.path.join(folder, name + ".npy")))
    model.load_state_dict(state, strict=True)
    return model.eval()


def run_e2e(directory, batches, dtype):
    with open(os.path.join(directory, "layers.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    with open(os.path.join(directory, "model.json")) as f:
        config = json.load(f)
    images = torch.from_numpy(np.load(os.path.join(directory, "images.npy")))
    models = {side: load_model(directory, side, config) for side in "ab"}
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

    step(GridHsic(len(names), dtype), 0)  # warm-up, untimed
    baseline = rss_mb()
    grid, times, start_cpu = GridHsic(len(names), dtype), [], time.process_time()
    for k in range(batches):
        start = time.perf_counter()
        step(grid, k)
        times.append(time.perf_counter() - start)
    values = grid.result()
    return values, times, time.process_time() - start_cpu, baseline


def main():
    mode, directory, batches, dtype_name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    dtype = {"float64": torch.float64, "float32": torch.float32}[dtype_name]
    values, times, cpu, baseline = (run_cka if mode == "cka" else run_e2e)(directory, batches, dtype)
    print(json.dumps({
        "seconds": sum(times),
        "cpu_seconds": cpu,
        "per_batch": times,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_rss_mb": baseline,
        "grid": values.tolist(),
        "threads": torch.get_num_threads(),
        "dtype": dtype_name,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
