using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Torch.Training;

/// <summary>A checkpoint that cannot be used here: missing, unreadable, or written by a different run.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception with a message that names the file and what is wrong.</summary>
    public CheckpointException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>What a checkpoint records about the data, so resuming on other data fails loudly.</summary>
/// <param name="Name">Dataset name (manifest name).</param>
/// <param name="TrainExamples">Training images used (after any subset).</param>
/// <param name="TestExamples">Test images evaluated (after any subset).</param>
/// <param name="Channels">Colour channels.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="ImageSize">Stored image side (before any resize to the reference size).</param>
/// <param name="Provenance">The training split's provenance line.</param>
public sealed record DatasetIdentity(string Name, int TrainExamples, int TestExamples, int Channels, int Classes, int ImageSize, string Provenance);

/// <summary>
/// The JSON part of a checkpoint (<c>state.json</c>): which run it belongs to and where that run stands. The tensors
/// live beside it in the same archive.
/// </summary>
/// <param name="Options">The run's options (their trajectory key must match to resume).</param>
/// <param name="Dataset">The data the run trains on.</param>
/// <param name="EpochsCompleted">Epochs finished; training resumes with epoch <c>EpochsCompleted + 1</c>.</param>
/// <param name="GlobalStep">Optimiser steps taken: the learning-rate schedule's position.</param>
/// <param name="DataOrderSeed">Seed of the data order: epoch e shuffles with <c>SeededRandom(DeriveSeed(DataOrderSeed, e))</c>, so this and the epoch number are the whole RNG state of our data order.</param>
/// <param name="History">Every finished epoch's record, in order (the log is rebuilt from it on resume).</param>
/// <param name="TorchSharpVersion">TorchSharp assembly version that wrote the file.</param>
/// <param name="SavedUtc">When the checkpoint was written.</param>
public sealed record CheckpointState(
    TrainingOptions Options, DatasetIdentity Dataset, int EpochsCompleted, long GlobalStep, ulong DataOrderSeed,
    IReadOnlyList<EpochRecord> History, string TorchSharpVersion, DateTimeOffset SavedUtc)
{
    /// <summary>Version of the archive layout; bumped when entries or fields change meaning.</summary>
    public const int FormatVersion = 1;

    /// <summary>One line naming these exact weights (options, epochs done, save time): the part of a step key that says which checkpoint a result came from.</summary>
    public string Identity() => string.Join("; ", Options.Describe(), $"epochs_completed={EpochsCompleted}",
        $"saved={SavedUtc.ToString("O", CultureInfo.InvariantCulture)}");

    /// <summary>
    /// Every difference between this checkpoint's run and the run described by <paramref name="options"/> and
    /// <paramref name="dataset"/> that would change the weights' trajectory, one readable item each; empty when
    /// the checkpoint may be resumed.
    /// </summary>
    public IReadOnlyList<string> Differences(TrainingOptions options, DatasetIdentity dataset)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataset);
        var problems = new List<string>();
        var mine = Options.TrajectoryKey().ToDictionary(p => p.Name, p => p.Value);
        foreach (var (name, value) in options.TrajectoryKey())
        {
            var saved = mine.GetValueOrDefault(name, "(absent)");
            if (saved != value)
                problems.Add($"{name} {saved} (checkpoint) vs {value} (this run)");
        }

        void Check<T>(string name, T saved, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(saved, now))
                problems.Add($"dataset {name} {saved} (checkpoint) vs {now} (this run)");
        }

        Check("name", Dataset.Name, dataset.Name);
        Check("training images", Dataset.TrainExamples, dataset.TrainExamples);
        Check("channels", Dataset.Channels, dataset.Channels);
        Check("classes", Dataset.Classes, dataset.Classes);
        Check("image size", Dataset.ImageSize, dataset.ImageSize);
        return problems;
    }

    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("format", Checkpoint.FormatName);
        w.WriteNumber("format_version", FormatVersion);
        w.WriteString("backbone", Options.Backbone);
        w.WriteString("method", Options.Method.ToName());
        w.WritePropertyName("options");
        Options.WriteJson(w);
        w.WriteStartObject("dataset");
        w.WriteString("name", Dataset.Name);
        w.WriteNumber("train_examples", Dataset.TrainExamples);
        w.WriteNumber("test_examples", Dataset.TestExamples);
        w.WriteNumber("channels", Dataset.Channels);
        w.WriteNumber("classes", Dataset.Classes);
        w.WriteNumber("image_size", Dataset.ImageSize);
        w.WriteString("provenance", Dataset.Provenance);
        w.WriteEndObject();
        w.WriteNumber("epochs_completed", EpochsCompleted);
        w.WriteNumber("global_step", GlobalStep);
        w.WriteStartObject("data_order");
        w.WriteString("algorithm", "per epoch e: Fisher-Yates shuffle with xoshiro256** seeded by DeriveSeed(seed, e)");
        w.WriteString("seed", DataOrderSeed.ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("next_epoch", EpochsCompleted + 1);
        w.WriteEndObject();
        w.WriteStartArray("history");
        foreach (var r in History)
            r.WriteJson(w);
        w.WriteEndArray();
        w.WriteString("torchsharp_version", TorchSharpVersion);
        w.WriteString("saved_utc", SavedUtc.ToString("O", CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    internal static CheckpointState ReadJson(JsonElement e, string source)
    {
        try
        {
            if (e.GetProperty("format").GetString() != Checkpoint.FormatName)
                throw new CheckpointException($"{source}: state.json is not an msun checkpoint (format '{e.GetProperty("format")}').");
            var version = e.GetProperty("format_version").GetInt32();
            if (version != FormatVersion)
                throw new CheckpointException($"{source}: checkpoint format version {version}; this build reads version {FormatVersion}.");
            var d = e.GetProperty("dataset");
            var dataset = new DatasetIdentity(d.GetProperty("name").GetString()!, d.GetProperty("train_examples").GetInt32(),
                d.GetProperty("test_examples").GetInt32(), d.GetProperty("channels").GetInt32(), d.GetProperty("classes").GetInt32(),
                d.GetProperty("image_size").GetInt32(), d.GetProperty("provenance").GetString()!);
            var order = e.GetProperty("data_order");
            return new CheckpointState(
                TrainingOptions.ReadJson(e.GetProperty("options")),
                dataset,
                e.GetProperty("epochs_completed").GetInt32(),
                e.GetProperty("global_step").GetInt64(),
                ulong.Parse(order.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture),
                e.GetProperty("history").EnumerateArray().Select(EpochRecord.ReadJson).ToArray(),
                e.GetProperty("torchsharp_version").GetString()!,
                DateTimeOffset.Parse(e.GetProperty("saved_utc").GetString()!, CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException
                                       or InvalidDataException or ArgumentException)
        {
            throw new CheckpointException($"{source}: state.json is incomplete or malformed: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// Checkpoint files: one zip archive, <c>checkpoint.zip</c>, in the run's output folder, replaced atomically after
/// every epoch (see <see cref="AtomicFile"/>), so a process killed at any moment leaves the previous complete
/// checkpoint and at worst a temporary file that is ignored and cleaned up.
/// </summary>
/// <remarks>
/// Entries (stored, not compressed: weights do not compress and speed matters):
/// <list type="bullet">
/// <item><c>state.json</c>: <see cref="CheckpointState"/> — format, options, dataset identity, epoch, step, data-order seed, history.</item>
/// <item><c>model.bin</c>: parameters and buffers (BatchNorm running statistics) in TorchSharp's <c>Module.save</c> format.</item>
/// <item><c>optimizer.bin</c>: SGD state (the momentum buffers) in TorchSharp's <c>save_state_dict</c> format.</item>
/// <item><c>torch-rng.bin</c>: torch's CPU generator state (<c>torch.random.get_rng_state</c>), raw bytes.</item>
/// </list>
/// </remarks>
public static class Checkpoint
{
    /// <summary>File name of the checkpoint inside the output folder.</summary>
    public const string FileName = ResultFiles.Checkpoint;

    internal const string FormatName = "msun-checkpoint";

    private const string StateEntry = "state.json";
    private const string ModelEntry = "model.bin";
    private const string OptimizerEntry = "optimizer.bin";
    private const string RngEntry = "torch-rng.bin";

    /// <summary>Path of the checkpoint in <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Whether <paramref name="directory"/> holds a checkpoint (temporary leftovers do not count).</summary>
    public static bool Exists(string directory) => File.Exists(PathIn(directory));

    /// <summary>Writes a checkpoint of the model, the optimiser and torch's generator atomically.</summary>
    public static void Save(string directory, CheckpointState state, nn.Module model, OptimizerHelper optimizer)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        AtomicFile.Write(PathIn(directory), stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            WriteEntry(zip, StateEntry, s =>
            {
                using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
                state.WriteJson(w);
            });
            WriteEntry(zip, ModelEntry, s => model.save(s));
            WriteEntry(zip, OptimizerEntry, s =>
            {
                using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(w);
            });
            WriteEntry(zip, RngEntry, s =>
            {
                using var rng = torch.random.get_rng_state();
                s.Write(rng.data<byte>().ToArray());
            });
        });
    }

    /// <summary>Reads only <c>state.json</c>: cheap, and enough to check that the checkpoint belongs to this run.</summary>
    /// <exception cref="CheckpointException">No checkpoint, or it cannot be read.</exception>
    public static CheckpointState ReadState(string directory)
    {
        var path = PathIn(directory);
        return WithArchive(path, zip =>
        {
            using var doc = JsonDocument.Parse(ReadEntry(zip, StateEntry, path));
            return CheckpointState.ReadJson(doc.RootElement, path);
        });
    }

    /// <summary>
    /// Loads the weights, optimiser state and torch generator state of the checkpoint in <paramref name="directory"/>
    /// into <paramref name="model"/> and <paramref name="optimizer"/>, which must have the architecture the checkpoint
    /// was written from (check <see cref="CheckpointState.Differences"/> first for a readable error).
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint is unreadable or does not fit the model.</exception>
    public static void LoadInto(string directory, nn.Module model, OptimizerHelper optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var path = PathIn(directory);
        WithArchive(path, zip =>
        {
            try
            {
                using (var s = new MemoryStream(ReadEntry(zip, ModelEntry, path)))
                    model.load(s, strict: true);
                using (var s = new MemoryStream(ReadEntry(zip, OptimizerEntry, path)))
                using (var r = new BinaryReader(s))
                    optimizer.load_state_dict(r);
                var rng = ReadEntry(zip, RngEntry, path);
                using var state = torch.tensor(rng, dtype: ScalarType.Byte);
                torch.random.set_rng_state(state);
            }
            catch (Exception ex) when (ex is not CheckpointException)
            {
                throw new CheckpointException($"{path}: its tensors do not fit this model or are damaged: {ex.Message}", ex);
            }

            return 0;
        });
    }

    /// <summary>
    /// Loads only the weights (parameters and BatchNorm buffers) of the checkpoint in <paramref name="directory"/> into
    /// <paramref name="model"/>, strictly: for analysis of a trained model, where the optimiser and the generator state
    /// do not matter. The model must have the checkpoint's architecture (see <see cref="CheckpointState.Options"/>).
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint is unreadable or its tensors do not fit the model.</exception>
    public static void LoadModel(string directory, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var path = PathIn(directory);
        WithArchive(path, zip =>
        {
            try
            {
                using var s = new MemoryStream(ReadEntry(zip, ModelEntry, path));
                model.load(s, strict: true);
            }
            catch (Exception ex) when (ex is not CheckpointException)
            {
                throw new CheckpointException($"{path}: its weights do not fit this model or are damaged: {ex.Message}", ex);
            }

            return 0;
        });
    }

    private static T WithArchive<T>(string path, Func<ZipArchive, T> read)
    {
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: no checkpoint there.");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            return read(zip);
        }
        catch (InvalidDataException ex)
        {
            throw new CheckpointException($"{path}: not a readable checkpoint archive: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new CheckpointException($"{path}: state.json is not valid JSON: {ex.Message}", ex);
        }
    }

    private static void WriteEntry(ZipArchive zip, string name, Action<Stream> write)
    {
        var entry = zip.CreateEntry(name, name == StateEntry ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
        using var s = entry.Open();
        write(s);
    }

    private static byte[] ReadEntry(ZipArchive zip, string name, string path)
    {
        var entry = zip.GetEntry(name) ?? throw new CheckpointException($"{path}: the archive has no '{name}' entry.");
        using var s = entry.Open();
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }
}
