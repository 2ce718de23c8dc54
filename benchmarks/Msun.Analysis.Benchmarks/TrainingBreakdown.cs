using System.Diagnostics;
using Msun.Analysis.Torch;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Where a training step's time goes (data, forward + loss, backward, clipping, optimiser step), for ours; the
/// PyTorch peer prints the same split with <c>pytorch_training.py DIR … --breakdown</c> on a folder prepared by the
/// <c>training</c> suite. A diagnostic, not a comparison.
/// </summary>
internal static class TrainingBreakdown
{
    public static int Run(int batches, int warmup, int batchSize, int threads)
    {
        OwnSide.Start(threads);
        var manifest = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        var train = DatasetLoader.Load(manifest, "train");
        torch.manual_seed(0);
        using var model = BackboneRegistry.Get("resnet18-small").Create();
        model.train();
        var parameters = model.parameters().ToArray();
        using var optimizer = torch.optim.SGD(parameters, 0.1, 0.9, 0, 5e-4);
        using var layout = Environment.GetCommandLineArgs().Contains("--default-layout") ? null : ChannelsLastWeights.Hold(model, optimizer); // as the Trainer does
        var phases = new double[5];
        var watch = new Stopwatch();
        for (var b = 0; b < warmup + batches; b++)
        {
            using var scope = torch.NewDisposeScope();
            var t = new double[5];
            watch.Restart();
            var (x, y) = train.GetBatch(Enumerable.Range(b * batchSize, batchSize).ToArray(), CPU);
            t[0] = watch.Elapsed.TotalMilliseconds;
            optimizer.zero_grad();
            var logits = model.call(x);
            var loss = nn.functional.cross_entropy(logits, y);
            t[1] = watch.Elapsed.TotalMilliseconds;
            loss.backward();
            t[2] = watch.Elapsed.TotalMilliseconds;
            nn.utils.clip_grad_norm_(parameters, 1.0);
            t[3] = watch.Elapsed.TotalMilliseconds;
            optimizer.step();
            _ = loss.item<float>();
            t[4] = watch.Elapsed.TotalMilliseconds;
            if (b >= warmup)
            {
                for (var i = 4; i > 0; i--)
                    phases[i] += t[i] - t[i - 1];
                phases[0] += t[0];
            }
        }

        string[] names = ["data", "forward+loss", "backward", "clip", "step+item"];
        Console.WriteLine($"ours, ms per batch of {batchSize} ({torch.get_num_threads()} threads): "
            + string.Join(", ", names.Select((n, i) => FormattableString.Invariant($"{n} {phases[i] / batches:F1}")))
            + FormattableString.Invariant($"; total {phases.Sum() / batches:F1}"));

        return 0;
    }
}
