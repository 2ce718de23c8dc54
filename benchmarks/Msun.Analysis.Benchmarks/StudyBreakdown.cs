using System.Diagnostics;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Where the study's time goes, per batch of the study benchmark's workload (<c>resnet18-imagenet-w32</c> at 56 px, probes
/// 8/16/32, the five blocks, minibatch CKA): the batch itself, the probes' resizes, the forward passes alone (no hooks),
/// the forward passes with capture (the difference is the hooks and the copies to managed memory), and the CKA sinks
/// (Grams and HSIC). Process CPU time per phase (GC and JIT threads included), the same steps <see cref="ScaleStudy"/> runs.
/// With <c>--peer ARITHMETIC</c> the PyTorch peer then splits its own time the same way on the same model and images
/// (<c>torch_scale_study.py … --breakdown</c>): what share of each side is the forward passes, which both run on oneDNN.
/// A diagnostic, not a comparison (the comparison is the <c>study</c> suite).
/// </summary>
internal static class StudyBreakdown
{
    private static readonly int[] Probes = [8, 16, 32];

    public static int Run(int batches, int batchSize, int threads, string peerArithmetic, string python)
    {
        OwnSide.Start(threads);
        var manifest = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        var data = DatasetLoader.Load(manifest, "test", DatasetLoader.ResolveRoot(manifest, null));
        using var model = ModelLoader.FreshlyInitialised("resnet18-imagenet-w32", 0);
        var net = model.Model;
        net.eval();
        using var layout = ChannelsLastWeights.Hold(net); // as ScaleStudy.Run does
        var capture = ActivationCapture.Create(net, model.Blocks);
        var resizes = Probes.ToDictionary(p => p, p => new MultiScaleResize(new MultiScaleResizeOptions(56, p, ScaleMode.DownUp)));
        var shared = new SharedRowGrams();
        var sinks = Probes.ToDictionary(p => p, _ => (IScalePairSink)new MinibatchCkaSink(sharedReferenceGrams: shared));
        string[] names = ["batch", "resize", "forward only", "forward + capture", "cka sinks"];
        var phases = new double[names.Length];
        var process = Process.GetCurrentProcess();
        CapturedBatch? lastReference = null, lastProbe = null;
        double Cpu() { process.Refresh(); return process.TotalProcessorTime.TotalMilliseconds; }
        for (int b = 0; b <= batches; b++) // batch 0 warms up
        {
            var t = new double[names.Length];
            using var scope = torch.NewDisposeScope();
            double c = Cpu();
            var (images, labels) = data.GetBatch(Enumerable.Range(b * batchSize, batchSize).ToArray(), CPU);
            var reference = MultiScaleResize.Bilinear(images, 56, 56);
            t[0] += Cpu() - c;
            c = Cpu();
            var probes = Probes.ToDictionary(p => p, p => resizes[p].Apply(reference));
            t[1] += Cpu() - c;
            c = Cpu();
            using (torch.no_grad())
            {
                net.call(reference).Dispose();
                foreach (int p in Probes) net.call(probes[p]).Dispose();
            }
            t[2] += Cpu() - c;
            c = Cpu();
            // As ScaleStudy runs them: the arrays of the previous batch are written over (one slot for the reference, one for
            // the probes, each probe's sink consuming its batch before the next forward).
            var atReference = capture.Run(reference, lastReference);
            t[3] += Cpu() - c;
            foreach (int p in Probes)
            {
                c = Cpu();
                var atProbe = capture.Run(probes[p], lastProbe);
                t[3] += Cpu() - c;
                c = Cpu();
                sinks[p].Add(atReference, atProbe);
                t[4] += Cpu() - c;
                lastProbe = atProbe;
            }
            lastReference = atReference;
            if (b > 0)
                for (int i = 0; i < t.Length; i++) phases[i] += t[i];
        }
        Console.WriteLine($"ours, CPU ms per batch of {batchSize} ({torch.get_num_threads()} threads, {batches} batches, reference + {Probes.Length} probes): "
            + string.Join(", ", names.Select((n, i) => FormattableString.Invariant($"{n} {phases[i] / batches:F1}"))));
        return peerArithmetic.Length == 0 ? 0 : RunPeer(batches, batchSize, threads, peerArithmetic, python);
    }

    /// <summary>The peer's split on the batches ours measured (images batchSize … (batches + 1) × batchSize − 1; its warm-up is the first).</summary>
    private static int RunPeer(int batches, int batchSize, int threads, string arithmetic, string python)
    {
        string dir = Directory.CreateTempSubdirectory("msun-study-breakdown-").FullName;
        try
        {
            int[] subset = Enumerable.Range(batchSize, batches * batchSize).ToArray();
            StudyBenchmark.Prepare(dir, new StudyBenchmark.ModelSource(null, 0), config =>
            {
                config["images"] = (batches + 1) * batchSize;
                config["repeats"] = 1;
                config["batch_size"] = batchSize;
            }, _ => [subset]);
            string[] peerArgs = [Path.Combine(AppContext.BaseDirectory, "peers", "torch_scale_study.py"), dir,
                arithmetic, threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--breakdown"];
            foreach (var layout in new[] { Array.Empty<string>(), ["--channels-last"] }) // the peer in both layouts, as the study suite runs it
                Console.Write(new SideCommand("pytorch", python, [.. peerArgs, .. layout]).RunOnce(Rounds.EnvironmentFor(threads, glibcDefaults: false)));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
