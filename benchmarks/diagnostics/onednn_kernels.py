"""Which oneDNN convolution kernels two runs used, and how long each took: ours against the PyTorch peer, per shape.

Both stacks run their convolutions on oneDNN (libtorch 2.10's oneDNN 3.x for ours, Debian's torch 1.13 with its own
oneDNN 2.x for the peer). Run each side once with ONEDNN_VERBOSE=1 (both versions print one line per primitive
execution, with the implementation and milliseconds) and give the two logs:

  ONEDNN_VERBOSE=1 $B training-worker --backbone resnet18-small --dir D --batches 6 --warmup 2 --threads 1 > ours.log
  ONEDNN_VERBOSE=1 /usr/bin/python3 peers/pytorch_training.py D 128 2 6 1 > peer.log
  python3 onednn_kernels.py ours.log peer.log [--batch 128]

(the training suite's environment: OMP_NUM_THREADS, GLIBC_TUNABLES as in Rounds.cs; D prepared by
`training-worker … --export`). For every convolution (direction and problem descriptor, minibatch --batch only) the
median of its last 8 executions on each side, the implementation each chose, and per direction the sum over the
shapes. A diagnostic: verbose logging adds its own overhead, and a shape used k times per step counts once here.
"""
import collections
import statistics
import sys


def convolutions(path, batch):
    """(direction, descriptor) -> [(ms, implementation)] in execution order."""
    found = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            if ",exec," not in line or ",convolution," not in line:
                continue
            fields = line.strip().split(",")
            descriptor = fields[-2]
            if not descriptor.startswith(f"mb{batch}_"):
                continue
            direction = ("forward" if "forward" in line else "backward-data" if "backward_data" in line else "backward-weights")
            implementation = next(x for x in fields if ":" in x and ("avx" in x or "gemm" in x or "ref" in x or "brg" in x))
            found[(direction, descriptor)].append((float(fields[-1]), implementation))
    return found


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    batch = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in sys.argv else 128
    if len(args) < 2:
        raise SystemExit("usage: onednn_kernels.py OURS.log PEER.log [--batch 128]")
    ours, peer = convolutions(args[0], batch), convolutions(args[1], batch)
    totals = collections.Counter()
    print(f"{'direction':16s} {'problem':58s} {'ours ms':>8s} {'ours kernel':28s} {'peer ms':>8s} peer kernel")
    for key in sorted(set(ours) | set(peer)):
        row = []
        for side, runs in (("ours", ours.get(key)), ("peer", peer.get(key))):
            if runs:
                ms = statistics.median(t for t, _ in runs[-8:])
                totals[(key[0], side)] += ms
                row.append((f"{ms:8.2f}", runs[-1][1]))
            else:
                row.append((f"{'-':>8s}", "-"))
        print(f"{key[0]:16s} {key[1][:58]:58s} {row[0][0]} {row[0][1]:28s} {row[1][0]} {row[1][1]}")
    for direction in ("forward", "backward-data", "backward-weights"):
        print(f"sum of medians, {direction}: ours {totals[(direction, 'ours')]:.1f} ms, peer {totals[(direction, 'peer')]:.1f} ms")


if __name__ == "__main__":
    main()
