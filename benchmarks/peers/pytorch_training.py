"""PyTorch peer of the training benchmark: resnet18-small on Fashion-MNIST, the same loop as `msun`'s trainer.

The network is written out here (not imported from torchvision) so that it is exactly the registry's
`resnet18-small`: CIFAR stem (3x3 stride 1, no max-pool), BasicBlocks 2/2/2/2, widths 16/32/64/128,
1 input channel, 10 classes, torchvision's initialisation. The loop matches Trainer.TrainBatch: set the
learning rate, zero_grad, forward, cross-entropy, backward, clip the gradient norm to 1.0, SGD step
(momentum 0.9, weight decay 5e-4), read the loss and the number right.

Usage: pytorch_training.py IDX_DIR BATCH_SIZE WARMUP_BATCHES TIMED_BATCHES THREADS [--breakdown]
  -> one JSON line {images_per_second, median_batch_seconds, seconds, batches, batch_size, threads, parameters, peak_rss_mb, torch}
  With --breakdown: one text line, milliseconds per batch spent in each phase of the step.
"""
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


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


class SmallResNet18(nn.Module):
    def __init__(self, in_channels=1, classes=10, width=16):
        super().__init__()
        widths = [width, 2 * width, 4 * width, 8 * width]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        inplanes = widths[0]
        layers = []
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(inplanes, w, stride), BasicBlock(w, w, 1)))
            inplanes = w
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def peak_rss_mb():
    """This process's own peak RSS (VmHWM). ru_maxrss is not used: Linux keeps it across execve, so a peer
    started by a big parent reports the parent's peak at fork time instead of its own."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def breakdown(model, params, opt, images, labels, batch, warmup, timed):
    phases = [0.0] * 5
    for b in range(warmup + timed):
        t0 = time.perf_counter()
        x = torch.from_numpy(images[b * batch:(b + 1) * batch].copy()).float().div_(255.0)
        y = torch.from_numpy(labels[b * batch:(b + 1) * batch].copy())
        t1 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        t4 = time.perf_counter()
        opt.step()
        loss.item()
        t5 = time.perf_counter()
        if b >= warmup:
            for i, d in enumerate([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]):
                phases[i] += d * 1000
    names = ["data", "forward+loss", "backward", "clip", "step+item"]
    print(f"PyTorch {torch.__version__}, ms per batch of {batch} ({torch.get_num_threads()} threads): "
          + ", ".join(f"{n} {p / timed:.1f}" for n, p in zip(names, phases)) + f"; total {sum(phases) / timed:.1f}")


def main():
    root, batch, warmup, timed, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n = batch * (warmup + timed)
    images = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28)
    labels = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"), 8).astype(np.int64)
    order = np.random.default_rng(0).permutation(len(labels))[:n]
    images, labels = images[order], labels[order]

    model = SmallResNet18()
    model.train()
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4)
    if "--breakdown" in sys.argv:
        breakdown(model, params, opt, images, labels, batch, warmup, timed)
        return
    start = None
    stamps = []
    for b in range(warmup + timed):
        if b == warmup:
            start = time.perf_counter()
            stamps.append(start)
        # Per-batch conversion from uint8, as the trainer does (ImageDataset.GetBatch).
        x = torch.from_numpy(images[b * batch:(b + 1) * batch].copy()).float().div_(255.0)
        y = torch.from_numpy(labels[b * batch:(b + 1) * batch].copy())
        for g in opt.param_groups:
            g["lr"] = 0.1
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        _ = loss.item(), (logits.argmax(1) == y).sum().item()
        if b >= warmup:
            stamps.append(time.perf_counter())
    seconds = time.perf_counter() - start
    durations = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    print(json.dumps({
        "images_per_second": timed * batch / seconds,
        "median_batch_seconds": durations[len(durations) // 2],
        "seconds": seconds,
        "batches": timed,
        "batch_size": batch,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in params),
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
