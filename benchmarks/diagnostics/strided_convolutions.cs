// Would an exact reformulation of the strided convolutions dodge libtorch 2.10's slow input gradient (brgconv_strided)?
// Forward + backward of each stride-2 convolution of resnet18-small (batch 128, channels-last, oneDNN), median of 15:
//   3×3: as is, against the sum of four stride-1 convolutions over the input's 2×2 phases (same products, same taps);
//   1×1: as is, against subsampling first and a stride-1 1×1 convolution (the same products).
// Usage: dotnet run benchmarks/diagnostics/strided_convolutions.cs THREADS     (results: benchmarks/README.md)
#:package TorchSharp@0.107.0
#:package libtorch-cpu-linux-x64@2.10.0
#:property PublishAot=false
#:property ManagePackageVersionsCentrally=false
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

torch.set_num_threads(int.Parse(args[0]));
const int Batch = 128;
Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

double MedianMs(Func<Tensor, Tensor, Tensor> conv, Tensor x, Tensor w, Tensor gradient)
{
    var times = new List<double>();
    for (int r = 0; r < 15; r++)
    {
        var watch = Stopwatch.StartNew();
        using var scope = torch.NewDisposeScope();
        var y = conv(x.detach().requires_grad_(true), w.detach().requires_grad_(true));
        torch.autograd.backward([y], [gradient]);
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

foreach (var (inC, outC, size) in new[] { (16, 32, 28), (32, 64, 14), (64, 128, 7) })
{
    int outSize = (size + 1) / 2;
    var x = ChannelsLast(torch.randn(Batch, inC, size, size));
    var w3 = ChannelsLast(torch.randn(outC, inC, 3, 3) * 0.1);
    var w1 = ChannelsLast(torch.randn(outC, inC, 1, 1) * 0.1);
    var gradient = ChannelsLast(torch.randn(Batch, outC, outSize, outSize));

    Tensor Strided3(Tensor a, Tensor w) => functional.conv2d(a, w, strides: [2, 2], padding: [1, 1]);
    Tensor Phases3(Tensor a, Tensor w)
    {
        // Padded input row 2i + k feeds output row i through tap k: phase k % 2, offset k / 2.
        var padded = functional.pad(a, [1, 1, 1, 1]);
        Tensor? sum = null;
        for (int pr = 0; pr < 2; pr++)
            for (int pc = 0; pc < 2; pc++)
            {
                var phase = padded[.., .., TensorIndex.Slice(pr, null, 2), TensorIndex.Slice(pc, null, 2)];
                var taps = w.index_select(2, torch.tensor(pr == 0 ? new long[] { 0, 2 } : [1]))
                            .index_select(3, torch.tensor(pc == 0 ? new long[] { 0, 2 } : [1]));
                var part = functional.conv2d(phase, taps)[.., .., TensorIndex.Slice(0, outSize), TensorIndex.Slice(0, outSize)];
                sum = sum is null ? part : sum + part;
            }
        return sum!;
    }
    Tensor Strided1(Tensor a, Tensor w) => functional.conv2d(a, w, strides: [2, 2]);
    Tensor Subsampled1(Tensor a, Tensor w) => functional.conv2d(a[.., .., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2)], w);

    using (torch.no_grad())
        Console.WriteLine($"{inC}->{outC} at {size}: max |difference| 3×3 {(Strided3(x, w3) - Phases3(x, w3)).abs().max().item<float>():E1}, " +
                          $"1×1 {(Strided1(x, w1) - Subsampled1(x, w1)).abs().max().item<float>():E1}");
    for (int round = 0; round < 3; round++)
        Console.WriteLine($"  3×3 strided {MedianMs(Strided3, x, w3, gradient):F2} ms, phases {MedianMs(Phases3, x, w3, gradient):F2} | " +
                          $"1×1 strided {MedianMs(Strided1, x, w1, gradient):F2} ms, subsampled {MedianMs(Subsampled1, x, w1, gradient):F2}");
}
