namespace Msun.Analysis.Core.Results;

/// <summary>Names of the ways a multi-scale model is scored (<see cref="MultiScaleAccuracy.Scoring"/>).</summary>
public static class MultiScaleScoring
{
    /// <summary>Each test size goes to the branch the model routes it to (for a single network: the network). The honest deployment figure.</summary>
    public const string Routed = "routed";

    /// <summary>Every branch is scored at every size and the best accuracy per size is kept: the paper's oracle choice for MSUN.</summary>
    public const string BestOfBranches = "best-of-branches";

    /// <summary>Prefix of the scoring of one branch at every size (<c>branch:small</c>).</summary>
    public const string BranchPrefix = "branch:";

    /// <summary>The scoring name of one branch scored at every size.</summary>
    public static string Branch(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return BranchPrefix + name;
    }
}

/// <summary>
/// Top-1 counts of one model at one test size: correct and total examples per class (the overall
/// counts and the accuracy derive from them).
/// </summary>
public sealed record SizeAccuracy
{
    /// <summary>Creates the counts; both arrays are indexed by label and must have the same positive length.</summary>
    /// <param name="size">The test size (side of the square image the test images were shrunk to).</param>
    /// <param name="branch">The branch that produced these predictions (<c>network</c> for a single network).</param>
    /// <param name="correctPerClass">Correctly classified examples per class.</param>
    /// <param name="totalPerClass">Examples per class.</param>
    public SizeAccuracy(int size, string branch, IReadOnlyList<long> correctPerClass, IReadOnlyList<long> totalPerClass)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(branch);
        ArgumentNullException.ThrowIfNull(correctPerClass);
        ArgumentNullException.ThrowIfNull(totalPerClass);
        if (totalPerClass.Count == 0)
            throw new ArgumentException("totalPerClass is empty; there must be at least one class.", nameof(totalPerClass));
        if (correctPerClass.Count != totalPerClass.Count)
            throw new ArgumentException(
                $"correctPerClass has {correctPerClass.Count} classes but totalPerClass has {totalPerClass.Count}.", nameof(correctPerClass));
        for (int k = 0; k < totalPerClass.Count; k++)
        {
            if (totalPerClass[k] < 0 || correctPerClass[k] < 0 || correctPerClass[k] > totalPerClass[k])
                throw new ArgumentException(
                    $"class {k}: {correctPerClass[k]} correct of {totalPerClass[k]}; counts must satisfy 0 <= correct <= total.", nameof(correctPerClass));
        }

        Size = size;
        Branch = branch;
        CorrectPerClass = correctPerClass.ToArray();
        TotalPerClass = totalPerClass.ToArray();
        Correct = CorrectPerClass.Sum();
        Total = TotalPerClass.Sum();
        if (Total == 0) throw new ArgumentException("totalPerClass sums to zero; there were no examples.", nameof(totalPerClass));
    }

    /// <summary>The test size.</summary>
    public int Size { get; }

    /// <summary>The branch that made the predictions (<c>network</c> for a single network).</summary>
    public string Branch { get; }

    /// <summary>Correct predictions per class, indexed by label.</summary>
    public IReadOnlyList<long> CorrectPerClass { get; }

    /// <summary>Examples per class, indexed by label.</summary>
    public IReadOnlyList<long> TotalPerClass { get; }

    /// <summary>Correct predictions over all classes.</summary>
    public long Correct { get; }

    /// <summary>Examples scored.</summary>
    public long Total { get; }

    /// <summary>Top-1 accuracy in [0, 1]: <see cref="Correct"/> / <see cref="Total"/>.</summary>
    public double Accuracy => (double)Correct / Total;

    /// <inheritdoc />
    public bool Equals(SizeAccuracy? other) =>
        other is not null && Size == other.Size && Branch == other.Branch
        && CorrectPerClass.SequenceEqual(other.CorrectPerClass) && TotalPerClass.SequenceEqual(other.TotalPerClass);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Size, Branch, Correct, Total);
}

/// <summary>
/// The multi-scale test result of one model under one scoring: top-1 accuracy at every test size, the
/// mean over sizes (the paper's "average accuracy"), and the provenance of the run. Readable without
/// TorchSharp; <see cref="MultiScaleResultFiles"/> writes and reads it as JSON and CSV.
/// </summary>
public sealed record MultiScaleAccuracy
{
    /// <summary>Creates a result; the sizes must be distinct and scored on the same examples (equal totals per class).</summary>
    /// <param name="model">The model's name (e.g. <c>vanilla resnet18-small</c>).</param>
    /// <param name="scoring">How it was scored (<see cref="MultiScaleScoring"/>).</param>
    /// <param name="referenceSize">Side of the reference images the test images were shrunk from.</param>
    /// <param name="sizes">One entry per test size, in the order they were run.</param>
    /// <param name="provenance">What produced the numbers (model, checkpoint, transform, seed, dataset, ...); empty when null.</param>
    public MultiScaleAccuracy(string model, string scoring, int referenceSize, IReadOnlyList<SizeAccuracy> sizes,
        IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(scoring);
        ArgumentOutOfRangeException.ThrowIfLessThan(referenceSize, 1);
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count == 0) throw new ArgumentException("sizes is empty; a result needs at least one test size.", nameof(sizes));
        var first = sizes[0];
        var seen = new HashSet<int>();
        foreach (var s in sizes)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(sizes));
            if (!seen.Add(s.Size)) throw new ArgumentException($"test size {s.Size} appears twice.", nameof(sizes));
            if (!s.TotalPerClass.SequenceEqual(first.TotalPerClass))
                throw new ArgumentException(
                    $"size {s.Size} was scored on other examples than size {first.Size} (per-class totals differ).", nameof(sizes));
        }

        Model = model;
        Scoring = scoring;
        ReferenceSize = referenceSize;
        Sizes = sizes.ToArray();
        Provenance = new SortedDictionary<string, string>(
            (IDictionary<string, string>)(provenance ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
    }

    /// <summary>The model's name.</summary>
    public string Model { get; }

    /// <summary>How the model was scored (<see cref="MultiScaleScoring"/>).</summary>
    public string Scoring { get; }

    /// <summary>Side of the reference images.</summary>
    public int ReferenceSize { get; }

    /// <summary>Counts per test size, in run order.</summary>
    public IReadOnlyList<SizeAccuracy> Sizes { get; }

    /// <summary>Provenance entries (sorted by key).</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }

    /// <summary>The test sizes in run order.</summary>
    public IReadOnlyList<int> TestSizes => Sizes.Select(s => s.Size).ToArray();

    /// <summary>Examples scored at every size.</summary>
    public long Images => Sizes[0].Total;

    /// <summary>Number of classes.</summary>
    public int Classes => Sizes[0].TotalPerClass.Count;

    /// <summary>Unweighted mean of the per-size accuracies: the paper's average accuracy over test sizes.</summary>
    public double MeanAccuracy => Sizes.Average(s => s.Accuracy);

    /// <summary>The accuracy at one test size.</summary>
    /// <exception cref="ArgumentException">The size was not run; the message lists the sizes that were.</exception>
    public double AccuracyAt(int size) =>
        (Sizes.FirstOrDefault(s => s.Size == size)
            ?? throw new ArgumentException($"size {size} was not tested; tested sizes: {string.Join(", ", TestSizes)}.", nameof(size))).Accuracy;

    /// <summary>A copy with other provenance (e.g. none, to compare with a result read back from CSV).</summary>
    public MultiScaleAccuracy WithProvenance(IReadOnlyDictionary<string, string>? provenance) =>
        new(Model, Scoring, ReferenceSize, Sizes, provenance);

    /// <inheritdoc />
    public bool Equals(MultiScaleAccuracy? other) =>
        other is not null && Model == other.Model && Scoring == other.Scoring && ReferenceSize == other.ReferenceSize
        && Sizes.SequenceEqual(other.Sizes)
        && Provenance.Count == other.Provenance.Count
        && Provenance.All(p => other.Provenance.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Model, Scoring, ReferenceSize, Sizes.Count, Provenance.Count);
}

/// <summary>
/// Everything a multi-scale evaluation produced: the routed result and, for a model with more than one
/// branch, the best-of-branches (oracle) result and each branch scored at every size.
/// </summary>
/// <param name="Routed">Each size scored by the branch the model routes it to (the only result of a single network).</param>
/// <param name="BestOfBranches">Per size, the best branch's accuracy (the paper's oracle); null for a single network.</param>
/// <param name="PerBranch">Each branch at every size; empty for a single network.</param>
/// <param name="RoutedCorrect">Per test size (in the order of the routed result's sizes), per example in data order: 1 when the
/// routed prediction was correct, else 0 — what paired intervals over the same test images need; null when not kept.</param>
public sealed record MultiScaleEvaluationResult(
    MultiScaleAccuracy Routed, MultiScaleAccuracy? BestOfBranches, IReadOnlyList<MultiScaleAccuracy> PerBranch,
    IReadOnlyList<byte[]>? RoutedCorrect = null)
{
    /// <summary>All results in a fixed order: routed, best-of-branches (if any), then each branch.</summary>
    public IReadOnlyList<MultiScaleAccuracy> All =>
        [Routed, .. BestOfBranches is null ? Array.Empty<MultiScaleAccuracy>() : [BestOfBranches], .. PerBranch];
}
