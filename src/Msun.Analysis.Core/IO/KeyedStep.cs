using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Msun.Analysis.Core.IO;

/// <summary>
/// The record of a finished pipeline step: the SHA-256 of the configuration that produced its result files, so that a
/// rerun with the same configuration reuses them and any other configuration redoes the step.
/// </summary>
public static class KeyedStep
{
    /// <summary>The record's root when it exists and was written for <paramref name="configuration"/>; null otherwise.</summary>
    public static JsonElement? Find(string recordPath, string configuration)
    {
        if (!File.Exists(recordPath)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(recordPath));
        return doc.RootElement.TryGetProperty("key", out var key) && key.GetString() == Key(configuration)
            ? doc.RootElement.Clone()
            : null;
    }

    /// <summary>Writes the record atomically: key, configuration, and any <paramref name="extra"/> fields.</summary>
    public static void Save(string recordPath, string configuration, Action<Utf8JsonWriter>? extra = null) =>
        AtomicFile.Write(recordPath, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("key", Key(configuration));
            w.WriteString("configuration", configuration);
            extra?.Invoke(w);
            w.WriteEndObject();
        });

    private static string Key(string configuration) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(configuration)));
}
