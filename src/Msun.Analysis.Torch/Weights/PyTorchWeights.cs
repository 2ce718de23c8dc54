using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Weights;

/// <summary>
/// Weights saved by PyTorch (<c>torch.save(model.state_dict())</c>, .pt/.pth) or as safetensors, read through
/// TorchSharp.PyBridge and loaded into a module by state-dict key. Registered backbones keep torchvision's
/// module names, so torchvision state dicts load without renaming.
/// </summary>
/// <remarks>
/// Loading is checked before anything is copied: under <see cref="WeightLoadOptions.Strict"/> (the default)
/// any missing key, unexpected key or shape mismatch throws one <see cref="WeightLoadException"/> listing
/// all of them, and the module is left untouched. Shape mismatches fail in non-strict mode too. Values are
/// copied into the module's own tensors (its device and dtype; a dtype change is reported).
/// </remarks>
public static class PyTorchWeights
{
    /// <summary>Loads a state dict file into <paramref name="module"/>.</summary>
    /// <param name="module">The module to fill, e.g. a <see cref="Backbones.Backbone"/> from the registry.</param>
    /// <param name="path">A .pt/.pth file written by <c>torch.save</c> (zip format) or a .safetensors file.</param>
    /// <param name="options">Strictness, format, key prefix; strict with a sniffed format by default.</param>
    /// <returns>What was loaded, and what was missing or unexpected (non-strict mode).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="WeightFormatException">The file cannot be read as the format.</exception>
    /// <exception cref="WeightLoadException">The keys or shapes do not fit the module; nothing was loaded.</exception>
    public static WeightLoadReport Load(nn.Module module, string path, WeightLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new WeightLoadOptions();
        var format = options.Format == WeightFormat.Auto ? DetectFormat(path) : options.Format;
        var stateDict = Read(path, format, options.StateDictKey);
        try
        {
            return LoadStateDict(module, stateDict, path, format, options);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>Reads a state dict file into CPU tensors, keyed as in the file. The caller disposes the tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">Its format; sniffed when <see cref="WeightFormat.Auto"/>.</param>
    /// <param name="stateDictKey">For a PyTorch checkpoint dict: the entry holding the state dict.</param>
    public static Dictionary<string, Tensor> Read(string path, WeightFormat format = WeightFormat.Auto, string? stateDictKey = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"no weights file at {path}.", path);
        if (format == WeightFormat.Auto) format = DetectFormat(path);
        using var stream = File.OpenRead(path);
        return format switch
        {
            WeightFormat.Safetensors => ReadSafetensors(stream, path),
            WeightFormat.PyTorch => ReadPyTorch(stream, path, stateDictKey),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown WeightFormat."),
        };
    }

    /// <summary>Decides the format from the first bytes: a zip signature is PyTorch's format, an 8-byte length followed by '{' is safetensors.</summary>
    /// <exception cref="WeightFormatException">Neither (including PyTorch's legacy non-zip format).</exception>
    public static WeightFormat DetectFormat(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"no weights file at {path}.", path);
        Span<byte> head = stackalloc byte[9];
        int read;
        using (var stream = File.OpenRead(path)) read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read >= 4 && head[0] == 0x50 && head[1] == 0x4B && head[2] == 0x03 && head[3] == 0x04)
            return WeightFormat.PyTorch;
        if (read == 9 && head[8] == (byte)'{')
            return WeightFormat.Safetensors;
        if (read >= 2 && head[0] == 0x80 && head[1] <= 5)
            throw new WeightFormatException(
                $"{path} is a PyTorch file in the legacy (pre-1.6, non-zip) format, which cannot be read here; re-save it with a current torch.save.");
        throw new WeightFormatException($"{path} is neither a PyTorch zip file nor a safetensors file (first bytes: {Convert.ToHexString(head[..read])}).");
    }

    /// <summary>Loads an in-memory state dict into <paramref name="module"/> (see <see cref="Load(nn.Module, string, WeightLoadOptions?)"/> for the rules).</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="stateDict">Key → tensor, any device and dtype.</param>
    /// <param name="source">Where the dict came from, for messages and the report.</param>
    /// <param name="format">The format it was read from, for the report.</param>
    /// <param name="options">Strictness, key rename rules, skipped keys.</param>
    public static WeightLoadReport LoadStateDict(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source,
        WeightFormat format = WeightFormat.Auto, WeightLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new WeightLoadOptions();
        var skip = new HashSet<string>(options.Skip, StringComparer.Ordinal);
        var file = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var fileKeyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var renamed = new List<(string FileKey, string ModuleKey)>();
        foreach (var (rawKey, tensor) in stateDict.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var key = options.Renames.Select(r => r.Apply(rawKey)).FirstOrDefault(k => k is not null) ?? rawKey;
            if (skip.Contains(key)) continue;
            if (!file.TryAdd(key, tensor))
                throw new WeightFormatException(
                    $"{source}: entries '{fileKeyOf[key]}' and '{rawKey}' both become '{key}' under the rename rules {string.Join(", ", options.Renames)}.");
            fileKeyOf[key] = rawKey;
            if (key != rawKey) renamed.Add((rawKey, key));
        }

        var target = module.state_dict();
        var missing = new List<string>();
        var mismatches = new List<ShapeMismatch>();
        var matched = new List<string>();
        foreach (var (key, t) in target)
        {
            if (skip.Contains(key)) continue;
            if (!file.TryGetValue(key, out var found)) missing.Add(key);
            else if (!t.shape.SequenceEqual(found.shape)) mismatches.Add(new ShapeMismatch(key, t.shape, found.shape));
            else matched.Add(key);
        }

        var unexpected = file.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (mismatches.Count > 0 || (options.Strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new WeightLoadException(new WeightLoadReport(source, format, [], missing, unexpected, mismatches, [], renamed));

        var converted = new List<string>();
        using (torch.no_grad())
        {
            foreach (var key in matched)
            {
                var (to, from) = (target[key], file[key]);
                if (to.dtype != from.dtype) converted.Add(key);
                to.copy_(from); // converts dtype and device
            }
        }

        return new WeightLoadReport(source, format, matched, missing, unexpected, [], converted, renamed);
    }

    /// <summary>
    /// Writes the module's state dict for PyTorch (<c>torch.load</c> reads the .pt; <c>safetensors.torch.load_file</c> the other),
    /// atomically: to a temporary file in the same folder, then renamed over <paramref name="path"/>.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="path">Destination.</param>
    /// <param name="format">PyTorch or safetensors (Auto picks by extension: .safetensors, else PyTorch).</param>
    public static void Save(nn.Module module, string path, WeightFormat format = WeightFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (format == WeightFormat.Auto)
            format = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? WeightFormat.Safetensors : WeightFormat.PyTorch;
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            {
                if (format == WeightFormat.Safetensors) module.save_safetensors(stream, leaveOpen: true);
                else module.save_py(stream, leaveOpen: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static Dictionary<string, Tensor> ReadSafetensors(Stream stream, string path)
    {
        SafetensorsHeader.Validate(stream, path);
        try
        {
            return Safetensors.LoadStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new WeightFormatException($"{path}: reading the safetensors data failed: {e.Message}", e);
        }
    }

    private static Dictionary<string, Tensor> ReadPyTorch(Stream stream, string path, string? stateDictKey)
    {
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new WeightFormatException(
                $"{path} could not be read as a PyTorch state dict ({e.GetType().Name}: {e.Message}). "
                + "Save it with torch.save(model.state_dict(), path); a pickled whole model cannot be read.", e);
        }

        if (stateDictKey is not null)
        {
            var inner = table[stateDictKey] as Hashtable;
            if (inner is null)
            {
                string problem = table.ContainsKey(stateDictKey)
                    ? $"{path}: entry '{stateDictKey}' is a {table[stateDictKey]?.GetType().Name ?? "null"}, not a dict of tensors."
                    : $"{path} has no entry '{stateDictKey}'; its entries: {Describe(table)}.";
                DisposeTensors(table);
                throw new WeightFormatException(problem);
            }

            foreach (DictionaryEntry entry in table)
                if (!ReferenceEquals(entry.Value, inner)) DisposeTensors(entry.Value);
            table = inner;
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var others = new List<string>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string key && entry.Value is Tensor t) result.Add(key, t);
            else others.Add($"{entry.Key} ({entry.Value?.GetType().Name ?? "null"})");
        }

        if (others.Count > 0)
        {
            DisposeTensors(table);
            throw new WeightFormatException(
                $"{path} holds entries that are not tensors: {string.Join(", ", others.Order(StringComparer.Ordinal))}. "
                + "If it is a training checkpoint, pass the key of its state dict (WeightLoadOptions.stateDictKey).");
        }

        return result;
    }

    private static void DisposeTensors(object? value)
    {
        if (value is Tensor t) t.Dispose();
        else if (value is Hashtable h)
            foreach (DictionaryEntry e in h) DisposeTensors(e.Value);
    }

    private static string Describe(Hashtable table) =>
        string.Join(", ", table.Keys.Cast<object>().Select(k => k.ToString()).Order(StringComparer.Ordinal));
}
