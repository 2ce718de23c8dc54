using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>Progress of an evaluation, reported after every batch.</summary>
/// <param name="ImagesDone">Test images processed at every size and by every branch so far.</param>
/// <param name="ImagesTotal">Test images in all.</param>
public sealed record EvaluationProgress(int ImagesDone, int ImagesTotal);

/// <summary>
/// The multi-scale test protocol of the MSUN paper: every test image, at the reference size R, is shrunk
/// bilinearly to each test size and handed to the model, which classifies it its own way (a single network
/// upsamples back to R; a multi-scale model takes it natively and routes it). The result is the top-1
/// accuracy per size and its mean over sizes, routed and — for models with several branches — the
/// best-of-branches (oracle) figure and every branch on its own.
/// </summary>
public static class MultiScaleEvaluator
{
    /// <summary>Runs the protocol on every example of <paramref name="data"/>, in order.</summary>
    /// <param name="model">The classifier; its modules must be on <see cref="MultiScaleEvaluationOptions.Device"/>.</param>
    /// <param name="data">Square test images (any size: resized to R first when it differs, and recorded); labels in 0..classes−1.</param>
    /// <param name="options">Reference size, test sizes, batch size, antialias, device and provenance.</param>
    /// <param name="progress">Called after every batch; null for none.</param>
    /// <remarks>
    /// Every module of <see cref="IScaleAwareClassifier.Modules"/> runs in eval mode without gradients; the
    /// training flags are restored afterwards, even when the model throws. Each batch runs in its own dispose
    /// scope. Every branch is scored at every size (the oracle needs them all), so a model with k branches
    /// costs k forward passes per size. Ties in the best-of-branches choice go to the earlier branch.
    /// </remarks>
    public static MultiScaleEvaluationResult Evaluate(
        IScaleAwareClassifier model, ImageDataset data, MultiScaleEvaluationOptions options, Action<EvaluationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (data.Height != data.Width)
            throw new ArgumentException($"data has {data.Height}x{data.Width} images; the protocol needs square images.", nameof(data));
        if (data.Count == 0) throw new ArgumentException("data has no examples.", nameof(data));
        var branches = model.Branches;
        if (branches.Count == 0) throw new ArgumentException($"model '{model.Name}' has no branches.", nameof(model));
        var routes = options.TestSizes.Select(model.Route).ToArray();

        int classes = data.ClassNames.Count, sizes = options.TestSizes.Length, r = options.ReferenceSize;
        var correct = new long[branches.Count, sizes][];
        for (int b = 0; b < branches.Count; b++)
            for (int i = 0; i < sizes; i++)
                correct[b, i] = new long[classes];
        var total = new long[classes];
        var routedCorrect = Enumerable.Range(0, sizes).Select(_ => new byte[data.Count]).ToArray();
        var routedBranch = routes.Select(name => IndexOf(branches, name)).ToArray();

        var flags = TrainingFlags(model.Modules);
        try
        {
            foreach (var m in model.Modules) m.eval();
            using var noGrad = torch.no_grad();
            using var layout = ChannelsLastWeights.Hold(model.Modules); // faster convolutions; the weights' order is restored after
            var indices = new int[Math.Min(options.BatchSize, data.Count)];
            for (int start = 0; start < data.Count; start += options.BatchSize)
            {
                int n = Math.Min(options.BatchSize, data.Count - start);
                for (int j = 0; j < n; j++) indices[j] = start + j;
                using var scope = NewDisposeScope();
                var (images, labels) = data.GetBatch(indices.AsSpan(0, n), options.Device);
                if (data.Height != r) images = MultiScaleResize.Bilinear(images, r, r);
                Add(total, Bincount(labels, classes));
                for (int i = 0; i < sizes; i++)
                {
                    // Same size in and out is an exact copy (align_corners=false samples pixel centres), so R needs no special case.
                    var x = MultiScaleResize.Bilinear(images, options.TestSizes[i], options.TestSizes[i], options.Antialias);
                    for (int b = 0; b < branches.Count; b++)
                    {
                        var logits = model.Logits(branches[b], x);
                        if (logits.dim() != 2 || logits.shape[0] != n || logits.shape[1] != classes)
                            throw new InvalidOperationException(
                                $"model '{model.Name}' branch '{branches[b]}' returned logits [{string.Join(",", logits.shape)}] " +
                                $"at size {options.TestSizes[i]}; expected [{n},{classes}] ({classes} classes in the data).");
                        var hit = logits.argmax(1).eq(labels);
                        Add(correct[b, i], Bincount(labels.masked_select(hit), classes));
                        if (b == routedBranch[i])
                            hit.to_type(ScalarType.Byte).cpu().data<byte>().CopyTo(routedCorrect[i], start);
                    }
                }

                progress?.Invoke(new EvaluationProgress(start + n, data.Count));
            }
        }
        finally
        {
            // train(bool) recurses into children, so flags go back shallowest first (see TrainingFlags).
            foreach (var (m, training) in flags) m.train(training);
        }

        var provenance = Provenance(model, data, options);
        SizeAccuracy At(int b, int i) => new(options.TestSizes[i], branches[b], correct[b, i], total);
        var perBranch = Enumerable.Range(0, branches.Count).Select(b => new MultiScaleAccuracy(
            model.Name, MultiScaleScoring.Branch(branches[b]), r,
            Enumerable.Range(0, sizes).Select(i => At(b, i)).ToArray(),
            With(provenance, "scoring_rule", $"branch '{branches[b]}' at every test size"))).ToArray();
        var routed = new MultiScaleAccuracy(model.Name, MultiScaleScoring.Routed, r,
            Enumerable.Range(0, sizes).Select(i => At(IndexOf(branches, routes[i]), i)).ToArray(),
            With(provenance, "scoring_rule", branches.Count == 1 ? "the single network at every test size" : "each test size scored by the branch it is routed to"));
        if (branches.Count == 1) return new MultiScaleEvaluationResult(routed, null, [], routedCorrect);

        var best = new MultiScaleAccuracy(model.Name, MultiScaleScoring.BestOfBranches, r,
            Enumerable.Range(0, sizes).Select(i =>
            {
                int arg = 0;
                for (int b = 1; b < branches.Count; b++)
                    if (correct[b, i].Sum() > correct[arg, i].Sum()) arg = b;
                return At(arg, i);
            }).ToArray(),
            With(provenance, "scoring_rule", "per test size, the best branch's accuracy (the paper's oracle; ties to the earlier branch)"));
        return new MultiScaleEvaluationResult(routed, best, perBranch, routedCorrect);
    }

    /// <summary>
    /// Every module under the roots with its training flag, ordered by its greatest depth below any root:
    /// an ancestor is always shallower than its descendants (also for a module shared by two branches), so
    /// restoring in this order leaves each module with its own flag although <c>train(bool)</c> recurses.
    /// </summary>
    private static (nn.Module Module, bool Training)[] TrainingFlags(IEnumerable<nn.Module> roots)
    {
        var depth = new Dictionary<nn.Module, int>(ReferenceEqualityComparer.Instance);
        foreach (var root in roots)
        {
            depth[root] = depth.GetValueOrDefault(root);
            foreach (var (name, m) in root.named_modules())
                depth[m] = Math.Max(depth.GetValueOrDefault(m), name.Count(ch => ch == '.') + 1);
        }

        return depth.OrderBy(p => p.Value).Select(p => (p.Key, p.Key.training)).ToArray();
    }

    private static Tensor Bincount(Tensor labels, int classes) => torch.bincount(labels, null, classes);

    private static void Add(long[] into, Tensor counts)
    {
        var c = counts.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        for (int k = 0; k < into.Length; k++) into[k] += c[k];
    }

    private static int IndexOf(IReadOnlyList<string> branches, string name)
    {
        for (int b = 0; b < branches.Count; b++)
            if (branches[b] == name) return b;
        throw new InvalidOperationException($"the model routed to '{name}', which is not one of its branches ({string.Join(", ", branches)}).");
    }

    private static Dictionary<string, string> With(Dictionary<string, string> provenance, string key, string value) =>
        new(provenance) { [key] = value };

    private static Dictionary<string, string> Provenance(IScaleAwareClassifier model, ImageDataset data, MultiScaleEvaluationOptions o)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["protocol"] = "msun multi-scale test (docs/METHOD.md §3)",
            ["model"] = model.Name,
            ["branches"] = string.Join(",", model.Branches),
            ["model_input"] = model.DescribeInput(),
            ["routing"] = string.Join(",", o.TestSizes.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s}:{model.Route(s)}"))),
            ["checkpoint"] = o.Checkpoint ?? "none",
            ["reference_size"] = o.ReferenceSize.ToString(CultureInfo.InvariantCulture),
            ["test_sizes"] = string.Join(",", o.TestSizes.Select(s => s.ToString(CultureInfo.InvariantCulture))),
            ["transform"] = o.DescribeTransform(),
            ["antialias"] = o.Antialias ? "true" : "false",
            ["seed"] = o.Seed?.ToString(CultureInfo.InvariantCulture) ?? "none",
            ["images"] = data.Count.ToString(CultureInfo.InvariantCulture),
            ["classes"] = string.Join(",", data.ClassNames),
            ["batch_size"] = o.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["device"] = o.Device.ToString(),
            ["torch_threads"] = torch.get_num_threads().ToString(CultureInfo.InvariantCulture),
            ["dataset"] = data.Provenance.Describe(),
            ["reference_images"] = data.Height == o.ReferenceSize
                ? $"dataset images as stored ({data.Height}x{data.Width}, byte/255)"
                : $"dataset images resized from {data.Height}x{data.Width} to {o.ReferenceSize}x{o.ReferenceSize} (bilinear, align_corners=false, antialias=false), byte/255",
        };
        foreach (var (key, value) in o.ExtraProvenance)
        {
            if (!p.TryAdd(key, value))
                throw new ArgumentException($"ExtraProvenance key '{key}' clashes with the evaluator's own entry.", nameof(o));
        }

        return p;
    }
}
