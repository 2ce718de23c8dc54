using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Training;

using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Torch.Tests.Training;

/// <summary>Tiny synthetic data and options so that a whole training run takes about a second.</summary>
internal static class TinyRuns
{
    public const int Size = 12;

    /// <summary>
    /// A learnable toy task: class k images have a bright k-th horizontal band (plus seeded noise), so a few steps
    /// already beat chance.
    /// </summary>
    public static ImageDataset Data(int count, int seed, string split = "train", int classes = 3)
    {
        var rng = new SeededRandom((ulong)seed);
        var pixels = new byte[count * Size * Size];
        var labels = new long[count];
        var band = Size / classes;
        for (var i = 0; i < count; i++)
        {
            var k = i % classes;
            labels[i] = k;
            for (var r = 0; r < Size; r++)
                for (var c = 0; c < Size; c++)
                {
                    var bright = r / band == k ? 160 : 0;
                    pixels[(i * Size + r) * Size + c] = (byte)(bright + rng.NextInt(90));
                }
        }

        var names = Enumerable.Range(0, classes).Select(k => $"band{k}").ToArray();
        return new ImageDataset(pixels, labels, 1, Size, Size, names, new DatasetProvenance("toy-bands", split, null, "synthetic"));
    }

    public static TrainingOptions Options(
        TrainingMethod method = TrainingMethod.Vanilla, int epochs = 2, string backbone = "resnet18-small", int seed = 7,
        IReadOnlyList<int>? scales = null, string device = "cpu") =>
        new(backbone, method, Size, epochs: epochs, batchSize: 16, learningRate: 0.05, warmupEpochs: 1, seed: seed,
            scales: method == TrainingMethod.Vanilla ? null : scales ?? [6, 9], device: device, evalBatchSize: 32,
            msun: method == TrainingMethod.Msun ? new MsunOptions(2) : null);

    public static Trainer Trainer(TrainingOptions options, string dir, bool resume = false) =>
        new(options, Data(48, 1), Data(24, 2, "test"), dir, resume);
}
