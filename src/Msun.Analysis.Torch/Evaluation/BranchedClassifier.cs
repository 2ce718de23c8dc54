using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>One branch of a multi-scale model: a module taking images at their native test size, and the largest size routed to it.</summary>
/// <param name="Name">Branch name (<c>small</c>, <c>mid</c>, <c>large</c>).</param>
/// <param name="Network">Images [B, C, s, s] at the test size → logits [B, classes] (for MSUN: the subnet, unification and the shared network).</param>
/// <param name="MaxInputSize">Test sizes up to and including this go to this branch, unless a branch with a smaller limit takes them.</param>
public sealed record ScaleBranch(string Name, nn.Module<Tensor, Tensor> Network, int MaxInputSize);

/// <summary>
/// A multi-scale model with one branch per scale (MSUN and anything shaped like it): the test image is
/// given at the test size, routed to the branch with the smallest <see cref="ScaleBranch.MaxInputSize"/>
/// that is at least the size (the authors' transfer code: ≤ 32 → small, ≤ 128 → mid, else large), and
/// every branch can also be scored at every size for the best-of-branches (oracle) figure.
/// </summary>
public sealed class BranchedClassifier : IScaleAwareClassifier
{
    private readonly ScaleBranch[] _byLimit;
    private readonly Dictionary<string, ScaleBranch> _byName;

    /// <summary>Creates the model from its branches (names distinct, limits positive and distinct); the caller keeps ownership of the modules.</summary>
    public BranchedClassifier(string name, IReadOnlyList<ScaleBranch> branches)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Count == 0) throw new ArgumentException("branches is empty.", nameof(branches));
        _byName = new Dictionary<string, ScaleBranch>(StringComparer.Ordinal);
        foreach (var b in branches)
        {
            ArgumentNullException.ThrowIfNull(b, nameof(branches));
            ArgumentException.ThrowIfNullOrWhiteSpace(b.Name, nameof(branches));
            ArgumentNullException.ThrowIfNull(b.Network, nameof(branches));
            if (b.MaxInputSize < 1)
                throw new ArgumentOutOfRangeException(nameof(branches), b.MaxInputSize, $"branch '{b.Name}': MaxInputSize must be positive.");
            if (!_byName.TryAdd(b.Name, b)) throw new ArgumentException($"branch name '{b.Name}' appears twice.", nameof(branches));
        }

        _byLimit = branches.OrderBy(b => b.MaxInputSize).ToArray();
        for (int i = 1; i < _byLimit.Length; i++)
        {
            if (_byLimit[i].MaxInputSize == _byLimit[i - 1].MaxInputSize)
                throw new ArgumentException(
                    $"branches '{_byLimit[i - 1].Name}' and '{_byLimit[i].Name}' have the same MaxInputSize {_byLimit[i].MaxInputSize}.", nameof(branches));
        }

        Name = name;
        Branches = branches.Select(b => b.Name).ToArray();
        Modules = branches.Select(b => (nn.Module)b.Network).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>().ToArray();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Branches { get; }

    /// <inheritdoc />
    public IReadOnlyList<nn.Module> Modules { get; }

    /// <inheritdoc />
    public string Route(int testSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(testSize, 1);
        foreach (var b in _byLimit)
        {
            if (testSize <= b.MaxInputSize) return b.Name;
        }

        throw new ArgumentOutOfRangeException(nameof(testSize), testSize,
            $"'{Name}' routes sizes up to {_byLimit[^1].MaxInputSize}; no branch takes {testSize}.");
    }

    /// <inheritdoc />
    public Tensor Logits(string branch, Tensor imagesAtTestSize)
    {
        ArgumentNullException.ThrowIfNull(imagesAtTestSize);
        return Get(branch).Network.call(imagesAtTestSize);
    }

    /// <inheritdoc />
    public BranchNetwork CostAt(string branch, int testSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(testSize, 1);
        return new BranchNetwork(Get(branch).Network, testSize);
    }

    /// <inheritdoc />
    public string DescribeInput() =>
        "multi-branch: test image given at the test size; routing " +
        string.Join(", ", _byLimit.Select(b => string.Create(CultureInfo.InvariantCulture, $"<= {b.MaxInputSize} -> {b.Name}")));

    private ScaleBranch Get(string branch) =>
        _byName.TryGetValue(branch ?? throw new ArgumentNullException(nameof(branch)), out var b)
            ? b
            : throw new ArgumentException($"'{Name}' has no branch '{branch}'; its branches: {string.Join(", ", Branches)}.", nameof(branch));
}
