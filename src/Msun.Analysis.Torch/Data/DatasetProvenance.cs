using System.Collections.Immutable;

namespace Msun.Analysis.Torch.Data;

/// <summary>
/// Where an in-memory dataset came from and what was done to it, carried into every result that uses it
/// so a number can be traced back to its files, their verification and the transforms applied.
/// </summary>
public sealed record DatasetProvenance
{
    /// <summary>Creates a provenance record; the dataset name and split are required.</summary>
    public DatasetProvenance(string datasetName, string split, string? root, string verification, ImmutableArray<string> steps = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(datasetName);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        ArgumentNullException.ThrowIfNull(verification);
        DatasetName = datasetName;
        Split = split;
        Root = root;
        Verification = verification;
        _steps = steps.IsDefault ? [] : steps;
    }

    private readonly ImmutableArray<string> _steps;

    /// <summary>Manifest name of the dataset.</summary>
    public string DatasetName { get; }

    /// <summary>Split that was read (train, test, …).</summary>
    public string Split { get; }

    /// <summary>Folder the files were read from; null for data made in memory.</summary>
    public string? Root { get; }

    /// <summary>What verification established (e.g. "4 files: size and sha256 verified").</summary>
    public string Verification { get; }

    /// <summary>Processing steps in order (subsets taken, resizes applied), each a self-describing line.</summary>
    public ImmutableArray<string> Steps
    {
        get => _steps;
        init => _steps = value.IsDefault ? [] : value;
    }

    /// <summary>A copy with one more step appended, e.g. a transform's <c>Describe()</c>.</summary>
    public DatasetProvenance WithStep(string step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        return this with { Steps = Steps.Add(step) };
    }

    /// <summary>One line for logs and result files.</summary>
    public string Describe()
    {
        var steps = Steps.IsEmpty ? "" : "; " + string.Join("; ", Steps);
        var root = Root is null ? "" : $" from {Root}";
        return $"{DatasetName}/{Split}{root} ({Verification}){steps}";
    }

    /// <inheritdoc />
    public bool Equals(DatasetProvenance? other) =>
        other is not null
        && DatasetName == other.DatasetName && Split == other.Split && Root == other.Root
        && Verification == other.Verification && Steps.SequenceEqual(other.Steps);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(DatasetName);
        h.Add(Split);
        h.Add(Root);
        h.Add(Verification);
        foreach (var s in Steps)
            h.Add(s);
        return h.ToHashCode();
    }
}
