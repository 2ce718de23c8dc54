using System.Text.Json;
using Msun.Analysis.Core.IO;

namespace Msun.Analysis.Torch.Pipeline;

/// <summary>
/// The pipeline's one rule for "this step already finished with this configuration", and the list of steps a run
/// reused. A computed step (study, evaluation) is finished when its record (<see cref="KeyedStep"/>: the hash of the
/// configuration that produced its outputs) matches and every output file exists; a training step is finished when
/// its checkpoint, which records its own options, holds every epoch. Either way the reuse is reported the same way.
/// </summary>
public sealed class FinishedSteps(IProgress<ReproductionProgress>? progress)
{
    private readonly List<string> reused = [];

    /// <summary>The steps reused so far, in order (<c>train vanilla</c>, <c>study</c>, ...).</summary>
    public IReadOnlyList<string> Reused => reused;

    /// <summary>The step's record when it finished with <paramref name="configuration"/> and its outputs are all there; the reuse is reported.</summary>
    /// <param name="step">The step's name in progress lines and in <see cref="Reused"/>.</param>
    /// <param name="recordPath">The step's record file.</param>
    /// <param name="configuration">Everything that determines the outputs (checkpoint identity, options, data).</param>
    /// <param name="outputs">The files the step wrote; the first is named in the progress line.</param>
    public JsonElement? Find(string step, string recordPath, string configuration, params string[] outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (!outputs.All(File.Exists) || KeyedStep.Find(recordPath, configuration) is not { } record)
            return null;
        Reuse(step, $"reusing {outputs.FirstOrDefault() ?? recordPath} (same configuration)");
        return record;
    }

    /// <summary>Records that the step finished with <paramref name="configuration"/>, after its outputs are written.</summary>
    public static void Record(string recordPath, string configuration, Action<Utf8JsonWriter>? extra = null) =>
        KeyedStep.Save(recordPath, configuration, extra);

    /// <summary>
    /// Removes the temporary files a killed run left under <paramref name="root"/> mid-write (their writer is gone;
    /// the files they were replacing are intact), saying how many. Runs before any step, so a rerun leaves a clean folder.
    /// </summary>
    public void RemoveInterruptedWrites(string root)
    {
        var removed = AtomicFile.DeleteLeftoversOfDeadWriters(root);
        if (removed.Count > 0)
            progress?.Report(new ReproductionProgress("cleanup",
                $"removed {removed.Count} temporary file(s) of an interrupted write, e.g. {Path.GetRelativePath(root, removed[0])}"));
    }

    /// <summary>Notes and reports a step found finished by its own record (a complete checkpoint).</summary>
    public void Reuse(string step, string message)
    {
        reused.Add(step);
        progress?.Report(new ReproductionProgress(step, message));
    }
}
