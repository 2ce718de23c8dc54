namespace Msun.Analysis.Torch.Data;

/// <summary>A manifest that cannot be used: its JSON is malformed or its content contradicts itself.</summary>
public sealed class ManifestFormatException : Exception
{
    /// <summary>Creates the exception with every problem found, so one run shows them all.</summary>
    public ManifestFormatException(string manifestName, IReadOnlyList<string> problems, Exception? inner = null)
        : base(Format(manifestName, problems), inner)
    {
        ManifestName = manifestName;
        Problems = problems;
    }

    /// <summary>Manifest name or path the problems belong to.</summary>
    public string ManifestName { get; }

    /// <summary>Each problem as one readable line.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(string name, IReadOnlyList<string> problems) =>
        $"Manifest '{name}' is invalid:{Environment.NewLine}  - " + string.Join(Environment.NewLine + "  - ", problems);
}

/// <summary>Dataset files on disk that do not match their manifest: missing, wrong size or wrong checksum.</summary>
public sealed class DatasetVerificationException : Exception
{
    /// <summary>Creates the exception with every problem found, each naming its file.</summary>
    public DatasetVerificationException(string datasetName, string root, IReadOnlyList<string> problems)
        : base($"Dataset '{datasetName}' at '{root}' failed verification:{Environment.NewLine}  - "
               + string.Join(Environment.NewLine + "  - ", problems))
    {
        DatasetName = datasetName;
        Root = root;
        Problems = problems;
    }

    /// <summary>Dataset that failed.</summary>
    public string DatasetName { get; }

    /// <summary>Folder that was checked.</summary>
    public string Root { get; }

    /// <summary>Each problem as one line naming its file.</summary>
    public IReadOnlyList<string> Problems { get; }
}
