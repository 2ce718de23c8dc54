"""PyTorch peer of the training benchmark: the network and loop of `msun`'s trainer, on the same numbers.

The ResNet-18 layout (BasicBlocks 2/2/2/2, torchvision's module names) is written out here; its stem, widths and
channels come from DIR/config.json, written by our side's preparation run together with the initial weights
(DIR/init/<name>.npy, loaded strictly by name), the order of the training images (DIR/order.npy) and the learning
rate of every step (DIR/learning_rates.npy). The loop matches Trainer.TrainBatch: gather the batch's bytes, /255,
bilinear resize (align_corners=False) when the reference size differs, set the learning rate, zero_grad, forward,
cross-entropy, loss.item(), backward, clip the gradient norm, SGD step (momentum, weight decay), the number right.

Usage: pytorch_training.py DIR BATCH_SIZE WARMUP_BATCHES TIMED_BATCHES THREADS [--breakdown]
  -> one JSON line: seconds / cpu_seconds of the timed steps, images_per_second, losses (every step), parameters,
     baseline_rss_mb (after importing torch, before reading data), peak_above_baseline_mb, peak_rss_mb, blas, torch.
  With --breakdown: one text line, milliseconds per batch spent in each phase of the step.
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from peer_common import blas_report, peak_mb, rss_mb


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    def __init__(self, in_channels, classes, widths, stem_kernel, stem_max_pool):
        super().__init__()
        stride, padding = (2, 3) if stem_kernel == 7 else (1, stem_kernel // 2)
        self.conv1 = nn.Conv2d(in_channels, widths[0], stem_kernel, stride, padding, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem_max_pool else nn.Identity()
        inplanes = widths[0]
        for i, w in enumerate(widths):
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(inplanes, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)))
            inplanes = w
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def main():
    directory, batch, warmup, timed, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    if "--mkldnn-off" in sys.argv:  # rounding-sensitivity runs: the native kernels
        torch.backends.mkldnn.enabled = False
    torch.ones(1)
    baseline = rss_mb()
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    size, reference = config["image_size"], config["reference_size"]
    steps = warmup + timed
    order = np.load(os.path.join(directory, "order.npy"))[:batch * steps]
    rates = np.load(os.path.join(directory, "learning_rates.npy"))
    images = read_idx(os.path.join(config["data_root"], "train-images-idx3-ubyte.gz"), 16).reshape(-1, 1, size, size)
    labels = read_idx(os.path.join(config["data_root"], "train-labels-idx1-ubyte.gz"), 8).astype(np.int64)

    model = ResNet18(config["in_channels"], config["classes"], config["widths"], config["stem_kernel"], config["stem_max_pool"])
    names = list(model.state_dict())
    model.load_state_dict({n: torch.from_numpy(np.load(os.path.join(directory, "init", n + ".npy"))) for n in names}, strict=True)
    channels_last = "--channels-last" in sys.argv  # PyTorch's recipe: model and input in torch.channels_last
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=float(rates[0]), momentum=config["momentum"], weight_decay=config["weight_decay"])

    phases = [0.0] * 5
    losses = []
    start = start_cpu = None
    for b in range(steps):
        if b == warmup:
            start, start_cpu = time.perf_counter(), time.process_time()
        t0 = time.perf_counter()
        index = order[b * batch:(b + 1) * batch]
        x = torch.from_numpy(images[index]).float().div_(255.0)  # fancy indexing gathers a fresh array, as ImageDataset.Gather
        y = torch.from_numpy(labels[index])
        if reference != size:
            x = F.interpolate(x, size=(reference, reference), mode="bilinear", align_corners=False)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        for g in opt.param_groups:
            g["lr"] = float(rates[b])
        t1 = time.perf_counter()
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        losses.append(loss.item())
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        if config["clip_norm"] > 0:
            torch.nn.utils.clip_grad_norm_(params, config["clip_norm"])
        t4 = time.perf_counter()
        opt.step()
        _ = (logits.argmax(1) == y).sum().item()
        t5 = time.perf_counter()
        if b >= warmup:
            for i, d in enumerate([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]):
                phases[i] += d * 1000
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    if "--breakdown" in sys.argv:
        names = ["data", "forward+loss", "backward", "clip", "step+item"]
        print(f"PyTorch {torch.__version__}, ms per batch of {batch} ({torch.get_num_threads()} threads): "
              + ", ".join(f"{n} {p / timed:.1f}" for n, p in zip(names, phases)) + f"; total {sum(phases) / timed:.1f}")
        return
    print(json.dumps({
        "seconds": seconds, "cpu_seconds": cpu, "images_per_second": timed * batch / seconds,
        "baseline_rss_mb": baseline, "peak_above_baseline_mb": peak_mb() - baseline, "peak_rss_mb": peak_mb(),
        "parameters": sum(p.numel() for p in params), "losses": losses, "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__, "blas": blas_report(), "channels_last": channels_last,
    }))


if __name__ == "__main__":
    main()
