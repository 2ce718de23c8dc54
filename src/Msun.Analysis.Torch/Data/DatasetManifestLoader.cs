using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Msun.Analysis.Torch.Data;

/// <summary>
/// Reads <see cref="DatasetManifest"/> JSON strictly (unknown fields and nulls in required fields are errors)
/// and validates the result, so a typo in a manifest fails loudly instead of silently skipping a check.
/// </summary>
public static class DatasetManifestLoader
{
    private const string ResourcePrefix = "Msun.Analysis.Torch.DataManifests.";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Names of the manifests shipped inside this library (copies of <c>data-manifests/*.json</c>).</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = typeof(DatasetManifestLoader).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Loads a manifest shipped inside this library by name (e.g. <c>fashion-mnist</c>).</summary>
    public static DatasetManifest LoadBuiltIn(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var resource = ResourcePrefix + name + ".json";
        using var stream = typeof(DatasetManifestLoader).Assembly.GetManifestResourceStream(resource)
            ?? throw new ArgumentException(
                $"No built-in manifest '{name}'; built-in manifests: {string.Join(", ", BuiltInNames)}.", nameof(name));
        return Load(stream, $"built-in:{name}");
    }

    /// <summary>Loads and validates a manifest file.</summary>
    public static DatasetManifest Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Manifest file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Load(stream, path);
    }

    /// <summary>Parses and validates manifest JSON text; <paramref name="sourceName"/> names it in errors.</summary>
    public static DatasetManifest Parse(string json, string sourceName = "manifest")
    {
        ArgumentNullException.ThrowIfNull(json);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return Load(stream, sourceName);
    }

    /// <summary>Parses and validates manifest JSON from a stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static DatasetManifest Load(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        DatasetManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DatasetManifest>(stream, Options);
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            throw new ManifestFormatException(sourceName, [$"JSON error{where}: {e.Message}"], e);
        }

        if (manifest is null)
            throw new ManifestFormatException(sourceName, ["the file holds JSON null, not a manifest."]);
        var problems = manifest.Validate();
        if (problems.Count > 0)
            throw new ManifestFormatException(sourceName, problems);
        return manifest;
    }

    /// <summary>Writes a manifest as indented JSON in the same layout the loader reads.</summary>
    public static string ToJson(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return JsonSerializer.Serialize(manifest, Options);
    }
}
