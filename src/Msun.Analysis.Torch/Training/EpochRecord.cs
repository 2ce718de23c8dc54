using System.Text;
using System.Text.Json;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Torch.Training;

/// <summary>What one finished epoch measured: one line of <c>train-log.jsonl</c> and one entry of a checkpoint's history.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean training loss per image (for MST, the sum over scales).</param>
/// <param name="TrainAccuracy">Fraction of training images classified right at the reference size, in train mode while learning (a running figure).</param>
/// <param name="TestAccuracy">Fraction of test images classified right at the reference size after the epoch (eval mode): the log's <c>accuracy</c>.</param>
/// <param name="TestLoss">Mean cross-entropy on the test images at the reference size.</param>
/// <param name="LearningRate">Rate used by the epoch's last step.</param>
/// <param name="ImagesPerSecond">Training images per second of training time (each image counted once, however many scales it is run at).</param>
/// <param name="Seconds">Training time of the epoch (batches only).</param>
/// <param name="EvalSeconds">Time spent evaluating on the test images.</param>
public sealed record EpochRecord(
    int Epoch, double Loss, double TrainAccuracy, double TestAccuracy, double TestLoss, double LearningRate,
    double ImagesPerSecond, double Seconds, double EvalSeconds)
{
    /// <summary>The record as one compact JSON object (snake_case; a non-finite number is written as null).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
            WriteJson(w);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the record as one JSON object.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteNumber("epoch", Epoch);
        Number(w, "loss", Loss);
        Number(w, "train_accuracy", TrainAccuracy);
        Number(w, "accuracy", TestAccuracy);
        Number(w, "test_loss", TestLoss);
        Number(w, "lr", LearningRate);
        Number(w, "images_per_second", ImagesPerSecond);
        Number(w, "seconds", Seconds);
        Number(w, "eval_seconds", EvalSeconds);
        w.WriteEndObject();
    }

    /// <summary>Reads a record written by <see cref="WriteJson"/> (null numbers come back as NaN).</summary>
    /// <exception cref="InvalidDataException">A field is missing or has the wrong type.</exception>
    public static EpochRecord ReadJson(JsonElement e)
    {
        try
        {
            return new EpochRecord(e.GetProperty("epoch").GetInt32(), Get(e, "loss"), Get(e, "train_accuracy"), Get(e, "accuracy"),
                Get(e, "test_loss"), Get(e, "lr"), Get(e, "images_per_second"), Get(e, "seconds"), Get(e, "eval_seconds"));
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"An epoch record is incomplete or malformed: {ex.Message}", ex);
        }
    }

    private static double Get(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble();
    }

    // JSON has no NaN or infinity: a diverged loss is written as null rather than making the line unreadable.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
            w.WriteNumber(name, value);
        else
            w.WriteNull(name);
    }
}

/// <summary>
/// The per-epoch log, <c>train-log.jsonl</c>: one JSON object per line. Appended after each checkpoint and rewritten
/// from the checkpoint's history when a run starts or resumes, so it never lists an epoch the checkpoint lacks.
/// </summary>
public static class TrainingLog
{
    /// <summary>File name of the log inside the output folder.</summary>
    public const string FileName = ResultFiles.TrainingLog;

    /// <summary>Appends one line and flushes it to disk.</summary>
    public static void Append(string path, EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var bytes = Encoding.UTF8.GetBytes(record.ToJson() + "\n");
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Replaces the log by <paramref name="records"/> atomically (temp file + rename).</summary>
    public static void Rewrite(string path, IEnumerable<EpochRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var text = string.Concat(records.Select(r => r.ToJson() + "\n"));
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Reads every line of a log.</summary>
    public static IReadOnlyList<EpochRecord> Read(string path)
    {
        var records = new List<EpochRecord>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
                continue;
            using var doc = JsonDocument.Parse(line);
            records.Add(EpochRecord.ReadJson(doc.RootElement));
        }

        return records;
    }
}
