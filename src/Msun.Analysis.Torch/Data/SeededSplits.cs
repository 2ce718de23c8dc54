using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Torch.Data;

/// <summary>A train/validation partition of example indices, both sorted ascending.</summary>
public sealed class TrainValidationSplit
{
    internal TrainValidationSplit(int[] train, int[] validation, int seed)
    {
        Train = train;
        Validation = validation;
        Seed = seed;
    }

    /// <summary>Indices kept for training, ascending.</summary>
    public IReadOnlyList<int> Train { get; }

    /// <summary>Indices held out for validation, ascending.</summary>
    public IReadOnlyList<int> Validation { get; }

    /// <summary>Seed that produced the split.</summary>
    public int Seed { get; }

    /// <summary>One line for provenance.</summary>
    public string Describe() => $"train/validation split {Train.Count}/{Validation.Count}, seed {Seed}";
}

/// <summary>
/// Deterministic index selection: train/validation splits and the repeated random subsets of the CKA
/// study. Same seed → same indices on every machine and .NET version (<see cref="SeededRandom"/>).
/// </summary>
public static class SeededSplits
{
    /// <summary>
    /// Holds out <paramref name="validationCount"/> of <paramref name="count"/> examples, chosen uniformly
    /// by <paramref name="seed"/>; both parts sorted ascending (order carries no meaning in a split).
    /// </summary>
    public static TrainValidationSplit TrainValidation(int count, int validationCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(validationCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(validationCount, count);
        var all = Permutation(count, new SeededRandom(unchecked((ulong)seed)));
        var validation = all[..validationCount];
        var train = all[validationCount..];
        Array.Sort(validation);
        Array.Sort(train);
        return new TrainValidationSplit(train, validation, seed);
    }

    /// <summary>
    /// Stratified split: from every class holds out round(<paramref name="validationFraction"/> × its size)
    /// examples, so the validation set keeps the class balance. Both parts sorted ascending.
    /// </summary>
    public static TrainValidationSplit TrainValidationStratified(ReadOnlySpan<long> labels, double validationFraction, int seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "validationFraction must lie in (0, 1).");
        if (labels.Length < 2)
            throw new ArgumentException($"labels has {labels.Length} entries; a split needs at least 2.", nameof(labels));

        var byClass = new SortedDictionary<long, List<int>>();
        for (var i = 0; i < labels.Length; i++)
        {
            if (!byClass.TryGetValue(labels[i], out var list))
                byClass[labels[i]] = list = [];
            list.Add(i);
        }

        var rng = new SeededRandom(unchecked((ulong)seed));
        var validation = new List<int>();
        var train = new List<int>();
        foreach (var members in byClass.Values)
        {
            var idx = members.ToArray();
            rng.Shuffle(idx);
            var take = (int)Math.Round(validationFraction * idx.Length, MidpointRounding.AwayFromZero);
            validation.AddRange(idx[..take]);
            train.AddRange(idx[take..]);
        }

        if (validation.Count == 0 || train.Count == 0)
            throw new ArgumentException(
                $"validationFraction {validationFraction} leaves {validation.Count} validation and {train.Count} training examples.",
                nameof(validationFraction));
        validation.Sort();
        train.Sort();
        return new TrainValidationSplit(train.ToArray(), validation.ToArray(), seed);
    }

    /// <summary>
    /// <paramref name="subsetSize"/> distinct indices out of <paramref name="populationSize"/>, in random
    /// order. The order is kept random on purpose: minibatch estimators cut subsets into consecutive
    /// batches, and sorted indices of class-sorted data (ImageFolder) would give one-class batches.
    /// </summary>
    public static int[] RandomSubset(int populationSize, int subsetSize, int seed) =>
        Draw(populationSize, subsetSize, new SeededRandom(unchecked((ulong)seed)));

    /// <summary>
    /// The repeated subsets of the CKA study: <paramref name="subsetCount"/> subsets of
    /// <paramref name="subsetSize"/> distinct indices each (subsets may overlap one another). Subset i
    /// depends only on (<paramref name="seed"/>, i), so drawing more subsets never changes the first ones.
    /// </summary>
    public static int[][] RandomSubsets(int populationSize, int subsetSize, int subsetCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subsetCount, 1);
        var result = new int[subsetCount][];
        for (var i = 0; i < subsetCount; i++)
            result[i] = Draw(populationSize, subsetSize, SeededRandom.ForStream(unchecked((ulong)seed), (ulong)i));
        return result;
    }

    /// <summary>A uniform random permutation of 0..count−1.</summary>
    public static int[] Permutation(int count, int seed) => Permutation(count, new SeededRandom(unchecked((ulong)seed)));

    private static int[] Permutation(int count, SeededRandom rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var all = new int[count];
        for (var i = 0; i < count; i++)
            all[i] = i;
        rng.Shuffle(all);
        return all;
    }

    private static int[] Draw(int populationSize, int subsetSize, SeededRandom rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(populationSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(subsetSize, 1);
        if (subsetSize > populationSize)
            throw new ArgumentOutOfRangeException(nameof(subsetSize), subsetSize,
                $"subsetSize {subsetSize} exceeds the population of {populationSize}.");

        // Partial Fisher–Yates: the first subsetSize slots end up a uniform sample in uniform order.
        var all = new int[populationSize];
        for (var i = 0; i < populationSize; i++)
            all[i] = i;
        for (var i = 0; i < subsetSize; i++)
        {
            var j = i + rng.NextInt(populationSize - i);
            (all[i], all[j]) = (all[j], all[i]);
        }

        return all[..subsetSize];
    }
}
