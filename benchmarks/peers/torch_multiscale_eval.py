"""PyTorch peer of the evaluation benchmark: the multi-scale test of one network, as a PyTorch user writes it.

The work of MultiScaleEvaluator.Evaluate with a SingleNetworkClassifier, on the same model and images: per batch,
images as bytes / 255, bilinear to the reference size (align_corners=False) when stored at another size; per test
size, bilinear down to it and back up to the reference size (the single network's input), forward in eval mode
under no_grad, argmax, the number right. The reference size itself goes in as it is (resizing to the same size is a
copy).

Usage: torch_multiscale_eval.py DIR THREADS
  DIR/config.json (network, reference, test_sizes, batch_size), DIR/weights/<name>.npy, DIR/images.npy (uint8
  [N, C, H, W]), DIR/labels.npy (int64 [N]). One warm-up batch at every size (untimed), then all images, timed.
Prints one JSON line: seconds, cpu_seconds, baseline_rss_mb, peak_above_baseline_mb, images_per_second (test images x
sizes / s), correct[size], checksum[size] (sum of 1 + index over the images classified right), threads, torch, blas.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from peer_common import Timed, blas_report
from torch_minibatch_cka import load_model


def resize(images, size):
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def evaluate(model, images, labels, sizes, reference, batch_size):
    correct = [0] * len(sizes)
    checksum = [0] * len(sizes)
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            x = images[start:start + batch_size].float().div_(255.0)
            y = labels[start:start + batch_size]
            if x.shape[-1] != reference:
                x = resize(x, reference)
            index = torch.arange(start + 1, start + 1 + x.shape[0], dtype=torch.int64)
            for i, s in enumerate(sizes):
                hit = model(x if s == reference else resize(resize(x, s), reference)).argmax(1).eq(y)
                correct[i] += int(hit.sum())
                checksum[i] += int(index[hit].sum())
    return correct, checksum


def main():
    directory, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    model = load_model(os.path.join(directory, "weights"), config)
    channels_last = "--channels-last" in sys.argv[3:]  # PyTorch's recipe; the input has one channel, so only the model moves
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    images = torch.from_numpy(np.load(os.path.join(directory, "images.npy")))
    labels = torch.from_numpy(np.load(os.path.join(directory, "labels.npy")))
    sizes, reference, b = config["test_sizes"], config["reference"], config["batch_size"]
    evaluate(model, images[:b], labels[:b], sizes, reference, b)  # warm-up, untimed
    with Timed() as t:
        correct, checksum = evaluate(model, images, labels, sizes, reference, b)
    print(json.dumps({**t.fields(), "images_per_second": images.shape[0] * len(sizes) / t.seconds, "correct": correct,
                      "checksum": checksum, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas_report(),
                      "channels_last": channels_last}))


if __name__ == "__main__":
    main()
