namespace Msun.Analysis.Torch.Weights;

/// <summary>The on-disk format of a state dict.</summary>
public enum WeightFormat
{
    /// <summary>Decide from the file's first bytes (zip signature → PyTorch, JSON header → safetensors).</summary>
    Auto,

    /// <summary>PyTorch's <c>torch.save</c> zip format (.pt, .pth, .bin), read through TorchSharp.PyBridge.</summary>
    PyTorch,

    /// <summary>Hugging Face safetensors: 8-byte little-endian header length, JSON header, raw little-endian data.</summary>
    Safetensors,
}

/// <summary>A key present on both sides whose tensor shapes differ.</summary>
/// <param name="Key">State-dict key.</param>
/// <param name="Expected">Shape of the module's tensor.</param>
/// <param name="Found">Shape in the file.</param>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> Expected, IReadOnlyList<long> Found)
{
    /// <inheritdoc />
    public override string ToString() => $"{Key}: expected [{string.Join(", ", Expected)}], found [{string.Join(", ", Found)}]";
}

/// <summary>What loading a state dict into a module did, key by key.</summary>
/// <param name="Source">Where the weights came from (a path, or a caller's label).</param>
/// <param name="Format">The format read.</param>
/// <param name="Loaded">Keys copied into the module.</param>
/// <param name="Missing">Module keys the file lacks (left as they were).</param>
/// <param name="Unexpected">File keys the module lacks (ignored).</param>
/// <param name="ShapeMismatches">Keys on both sides with different shapes (never loaded).</param>
/// <param name="Converted">Loaded keys whose dtype was converted to the module's (e.g. float64 → float32).</param>
/// <param name="Renamed">File keys the rename rules changed, as (file key, module key); the other lists use module keys.</param>
public sealed record WeightLoadReport(
    string Source, WeightFormat Format, IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected, IReadOnlyList<ShapeMismatch> ShapeMismatches, IReadOnlyList<string> Converted,
    IReadOnlyList<(string FileKey, string ModuleKey)>? Renamed = null)
{
    /// <summary>(file key, module key) of every renamed key; empty without rename rules.</summary>
    public IReadOnlyList<(string FileKey, string ModuleKey)> RenamedKeys => Renamed ?? [];

    /// <summary>True when every module key was loaded from a file holding nothing else.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>Every problem in one text: missing keys, unexpected keys, shape mismatches (name, expected, found).</summary>
    public string Describe()
    {
        var lines = new List<string>();
        if (RenamedKeys.Count > 0)
            lines.Add($"renamed keys ({RenamedKeys.Count}), e.g. {string.Join(", ", RenamedKeys.Take(3).Select(r => $"{r.FileKey} → {r.ModuleKey}"))}");
        if (Missing.Count > 0)
            lines.Add($"missing keys ({Missing.Count}, in the module but not in the file): {string.Join(", ", Missing)}");
        if (Unexpected.Count > 0)
            lines.Add($"unexpected keys ({Unexpected.Count}, in the file but not in the module): {string.Join(", ", Unexpected)}");
        if (ShapeMismatches.Count > 0)
            lines.Add($"shape mismatches ({ShapeMismatches.Count}): {string.Join("; ", ShapeMismatches)}");
        if (IsExact)
            lines.Add($"every key matched ({Loaded.Count})");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>The weights in a file do not fit the module; nothing was loaded. <see cref="Report"/> lists every problem.</summary>
public sealed class WeightLoadException : Exception
{
    /// <summary>Creates the exception from a report.</summary>
    public WeightLoadException(WeightLoadReport report)
        : base($"the state dict from {report?.Source} does not fit the module, so nothing was loaded:{Environment.NewLine}{report?.Describe()}")
    {
        Report = report ?? throw new ArgumentNullException(nameof(report));
    }

    /// <summary>The keys that matched and the ones that did not.</summary>
    public WeightLoadReport Report { get; }
}

/// <summary>A weights file that cannot be read: wrong or legacy format, a damaged header, data out of bounds.</summary>
public sealed class WeightFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WeightFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// A prefix rule for state-dict keys: a file key starting with <paramref name="From"/> is loaded as <paramref name="To"/>
/// followed by the rest of the key (<c>("module.", "")</c> strips DataParallel's prefix, <c>("head.fc.", "fc.")</c> maps
/// timm's classifier onto torchvision's).
/// </summary>
/// <param name="From">Prefix of the file key (not empty).</param>
/// <param name="To">What replaces it (may be empty).</param>
public sealed record KeyRename(string From, string To)
{
    /// <summary>The module key for <paramref name="fileKey"/>, or null when the rule does not apply.</summary>
    public string? Apply(string fileKey) =>
        fileKey.StartsWith(From, StringComparison.Ordinal) ? To + fileKey[From.Length..] : null;

    /// <inheritdoc />
    public override string ToString() => $"'{From}' → '{To}'";
}

/// <summary>Options of <see cref="PyTorchWeights.Load(TorchSharp.torch.nn.Module, string, WeightLoadOptions?)"/>, validated at construction.</summary>
public sealed record WeightLoadOptions
{
    /// <summary>Creates options.</summary>
    /// <param name="strict">Fail (loading nothing) on any missing or unexpected key; true by default. Shape mismatches always fail.</param>
    /// <param name="format">The file format; sniffed from the content by default.</param>
    /// <param name="stripPrefix">A prefix removed from every file key that has it (e.g. <c>module.</c> from DataParallel checkpoints).</param>
    /// <param name="stateDictKey">For a PyTorch checkpoint that is a dict holding the state dict (e.g. <c>state_dict</c> or <c>model</c>): that entry's key.</param>
    /// <param name="skip">Keys ignored on both sides (module keys, after renaming).</param>
    /// <param name="renames">Prefix rules applied to every file key, the first that matches wins (after <paramref name="stripPrefix"/>, which is the rule <c>(stripPrefix, "")</c>).</param>
    public WeightLoadOptions(bool strict = true, WeightFormat format = WeightFormat.Auto, string? stripPrefix = null,
        string? stateDictKey = null, IReadOnlyCollection<string>? skip = null, IReadOnlyList<KeyRename>? renames = null)
    {
        if (!Enum.IsDefined(format))
            throw new ArgumentOutOfRangeException(nameof(format), format, "unknown WeightFormat.");
        if (stripPrefix is { Length: 0 })
            throw new ArgumentException("stripPrefix is empty; pass null for no prefix.", nameof(stripPrefix));
        if (stateDictKey is { Length: 0 })
            throw new ArgumentException("stateDictKey is empty; pass null when the file is the state dict itself.", nameof(stateDictKey));
        var rules = new List<KeyRename>();
        if (stripPrefix is not null)
            rules.Add(new KeyRename(stripPrefix, ""));
        foreach (var rule in renames ?? [])
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(renames));
            if (string.IsNullOrEmpty(rule.From) || rule.To is null)
                throw new ArgumentException($"renames: rule {rule} needs a non-empty prefix to replace and a replacement (may be empty).", nameof(renames));
            if (rules.Any(r => r.From == rule.From))
                throw new ArgumentException($"renames: prefix '{rule.From}' has two rules; the second would never apply.", nameof(renames));
            rules.Add(rule);
        }

        Strict = strict;
        Format = format;
        StripPrefix = stripPrefix;
        Renames = rules;
        StateDictKey = stateDictKey;
        Skip = skip?.ToArray() ?? [];
    }

    /// <summary>Fail on missing or unexpected keys.</summary>
    public bool Strict { get; }

    /// <summary>The file format, or <see cref="WeightFormat.Auto"/>.</summary>
    public WeightFormat Format { get; }

    /// <summary>Prefix removed from file keys, or null.</summary>
    public string? StripPrefix { get; }

    /// <summary>Every prefix rule in the order tried (the stripped prefix first).</summary>
    public IReadOnlyList<KeyRename> Renames { get; }

    /// <summary>Entry of a checkpoint dict that holds the state dict, or null.</summary>
    public string? StateDictKey { get; }

    /// <summary>Keys ignored on both sides.</summary>
    public IReadOnlyList<string> Skip { get; }
}
