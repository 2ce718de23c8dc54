using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Torch;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Training;
using TorchSharp;

namespace Msun.Analysis.Benchmarks;

/// <summary>
/// Training speed of <c>resnet18-small</c> on Fashion-MNIST (batch 128, Vanilla) through our <see cref="Trainer"/>,
/// and the identical network and loop in PyTorch on the same CPU in the same run. Prints images/s of both, the
/// ratio (ours / PyTorch; the target is ≥ 0.9), the epoch time extrapolated to 60 000 images and peak memory.
/// Only the optimiser steps after the warm-up batches are timed (no evaluation, no checkpoint); rounds alternate
/// the two so that load from other processes hits both, and the best round of each is reported.
/// </summary>
internal static class TrainingBenchmark
{
    private const string Backbone = "resnet18-small";

    /// <summary>glibc tunables equal to <see cref="NativeAllocator.KeepFreedMemory"/>, for a peer run with the same allocator settings.</summary>
    private const string PeerTunables = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647";

    public static int Run(int batches, int warmup, int batchSize, int threads, int rounds, string python, bool glibcDefaults, bool peerTuned)
    {
        // Ours runs as `msun train` does (the CLI keeps freed memory on the heap); --glibc-defaults measures without.
        var kept = !glibcDefaults && NativeAllocator.KeepFreedMemory();
        torch.InitializeDeviceType(DeviceType.CPU);
        if (threads > 0)
            torch.set_num_threads(threads);
        threads = torch.get_num_threads();
        var manifest = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        var root = DatasetLoader.ResolveRoot(manifest, null);
        var train = DatasetLoader.Load(manifest, "train", root);
        var test = DatasetLoader.Load(manifest, "test", root);
        Console.WriteLine($"training speed: {Backbone}, Fashion-MNIST 28 px, batch {batchSize}, {warmup} warm-up + {batches} timed batches, " +
                          $"torch threads {threads}, {Environment.ProcessorCount} logical CPUs");
        Console.WriteLine($"allocator: ours {(kept ? "keeps freed memory on the heap (as msun does)" : "glibc defaults")}; " +
                          $"PyTorch {(peerTuned ? "GLIBC_TUNABLES=" + PeerTunables : "glibc defaults")}");

        // Rounds alternate ours and PyTorch so that a load change on a shared machine hits both; best of each is kept.
        (double ImagesPerSecond, double MedianImagesPerSecond, double PeakMb, long Parameters) ours = default;
        (double ImagesPerSecond, double MedianImagesPerSecond, double PeakMb, long Parameters, string Version) peer = default;
        for (var round = 1; round <= rounds; round++)
        {
            var o = Ours(train, test, batches, warmup, batchSize);
            var p = PyTorch(python, root, batchSize, warmup, batches, threads, peerTuned);
            Console.WriteLine(FormattableString.Invariant(
                $"round {round}: ours {o.ImagesPerSecond:F1} images/s (median batch: {o.MedianImagesPerSecond:F1}), PyTorch {p.ImagesPerSecond:F1} (median batch: {p.MedianImagesPerSecond:F1}), ratio {o.ImagesPerSecond / p.ImagesPerSecond:F3} (median {o.MedianImagesPerSecond / p.MedianImagesPerSecond:F3})"));
            if (o.ImagesPerSecond > ours.ImagesPerSecond)
                ours = o with { MedianImagesPerSecond = Math.Max(o.MedianImagesPerSecond, ours.MedianImagesPerSecond) };
            else
                ours.MedianImagesPerSecond = Math.Max(o.MedianImagesPerSecond, ours.MedianImagesPerSecond);
            if (p.ImagesPerSecond > peer.ImagesPerSecond)
                peer = p with { MedianImagesPerSecond = Math.Max(p.MedianImagesPerSecond, peer.MedianImagesPerSecond) };
            else
                peer.MedianImagesPerSecond = Math.Max(p.MedianImagesPerSecond, peer.MedianImagesPerSecond);
        }

        Console.WriteLine($"best of {rounds} round(s):");

        static string Epoch(double ips) => FormattableString.Invariant($"{60000 / ips,7:F1} s");
        Console.WriteLine($"{"",-22} {"images/s",9} {"median",9} {"epoch(60k)",10} {"peak MB",8} {"params",8}");
        Console.WriteLine(FormattableString.Invariant(
            $"{"ours (TorchSharp)",-22} {ours.ImagesPerSecond,9:F1} {ours.MedianImagesPerSecond,9:F1} {Epoch(ours.ImagesPerSecond),10} {ours.PeakMb,8:F0} {ours.Parameters,8}"));
        Console.WriteLine(FormattableString.Invariant(
            $"{"PyTorch " + peer.Version,-22} {peer.ImagesPerSecond,9:F1} {peer.MedianImagesPerSecond,9:F1} {Epoch(peer.ImagesPerSecond),10} {peer.PeakMb,8:F0} {peer.Parameters,8}"));
        Console.WriteLine(FormattableString.Invariant(
            $"ratio ours / PyTorch: {ours.ImagesPerSecond / peer.ImagesPerSecond:F3} over all timed batches, {ours.MedianImagesPerSecond / peer.MedianImagesPerSecond:F3} by median batch (target >= 0.9)"));
        Console.WriteLine("median: batch size / median batch time, robust to bursts of load from other processes; epoch(60k) uses images/s.");
        Console.WriteLine("peak memory: ours = Process.PeakWorkingSet64 (includes both Fashion-MNIST splits, 55 MB); PyTorch = its VmHWM (its ru_maxrss would include this parent's peak, which Linux carries across fork+exec).");
        if (ours.Parameters != peer.Parameters)
        {
            Console.Error.WriteLine($"the two networks differ: {ours.Parameters} vs {peer.Parameters} parameters");
            return 1;
        }

        return 0;
    }

    private static (double ImagesPerSecond, double MedianImagesPerSecond, double PeakMb, long Parameters) Ours(
        ImageDataset train, ImageDataset test, int batches, int warmup, int batchSize)
    {
        var dir = Directory.CreateTempSubdirectory("msun-train-bench-").FullName;
        try
        {
            var options = new TrainingOptions(Backbone, TrainingMethod.Vanilla, 28, epochs: 1, batchSize: batchSize,
                learningRate: 0.1, warmupEpochs: 0, trainSubset: batchSize * (warmup + batches), testSubset: 256);
            using var trainer = new Trainer(options, train, test, dir);
            var stamps = new List<TimeSpan>();
            trainer.Run(batchProgress: new Sync<BatchProgress>(p =>
            {
                if (p.Batch >= warmup)
                    stamps.Add(p.EpochElapsed);
            }));
            var parameters = trainer.Model.parameters().Sum(p => p.numel());
            var ips = batches * batchSize / (stamps[^1] - stamps[0]).TotalSeconds;
            var median = stamps.Zip(stamps.Skip(1), (a, b) => (b - a).TotalSeconds).Order().ElementAt(batches / 2);
            return (ips, batchSize / median, Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, parameters);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (double ImagesPerSecond, double MedianImagesPerSecond, double PeakMb, long Parameters, string Version) PyTorch(
        string python, string root, int batchSize, int warmup, int batches, int threads, bool tuned)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "pytorch_training.py");
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (tuned)
            info.Environment["GLIBC_TUNABLES"] = PeerTunables;
        foreach (var a in new[] { script, root, Inv(batchSize), Inv(warmup), Inv(batches), Inv(threads) })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {python}");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"the PyTorch peer failed ({python} {script}): {error.Result}\nInstall it with: sudo apt-get install python3-torch");
        using var json = JsonDocument.Parse(output);
        var r = json.RootElement;
        return (r.GetProperty("images_per_second").GetDouble(), batchSize / r.GetProperty("median_batch_seconds").GetDouble(), r.GetProperty("peak_rss_mb").GetDouble(),
            r.GetProperty("parameters").GetInt64(), r.GetProperty("torch").GetString() ?? "?");
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    private sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
