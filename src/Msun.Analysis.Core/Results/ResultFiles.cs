namespace Msun.Analysis.Core.Results;

/// <summary>
/// The one place that names every result file and folder the toolkit writes and reads; writers, readers, the
/// report's folder search and the pipeline's step records all take their names from here.
/// </summary>
public static class ResultFiles
{
    /// <summary>The layer-wise CKA profile (<see cref="CkaProfile"/>), complete with provenance.</summary>
    public const string ProfileJson = "profile.json";

    /// <summary>The profile's repeats, one row each.</summary>
    public const string ProfileCsv = "profile.csv";

    /// <summary>The profile's summary, one row per block and probe.</summary>
    public const string ProfileSummaryCsv = "profile-summary.csv";

    /// <summary>The block × block grid (<see cref="CkaGridSummary"/>).</summary>
    public const string GridJson = "grid.json";

    /// <summary>The grid's entries.</summary>
    public const string GridCsv = "grid.csv";

    /// <summary>The split recommendation, complete.</summary>
    public const string SplitJson = "split.json";

    /// <summary>The split recommendation's rows.</summary>
    public const string SplitCsv = "split.csv";

    /// <summary>Accuracy per model, scoring and test size (<see cref="MultiScaleAccuracy"/>).</summary>
    public const string AccuracyJson = "accuracy.json";

    /// <summary>Accuracy rows.</summary>
    public const string AccuracyCsv = "accuracy.csv";

    /// <summary>MACs per model and test size (<see cref="MacTable"/>).</summary>
    public const string MacsJson = "macs.json";

    /// <summary>MAC rows.</summary>
    public const string MacsCsv = "macs.csv";

    /// <summary>Accuracy per method, scoring and size as mean ± std over seeds (<see cref="SeedAccuracyTable"/>).</summary>
    public const string SeedsJson = "seeds.json";

    /// <summary>The seed table's rows.</summary>
    public const string SeedsCsv = "seeds.csv";

    /// <summary>Per image and test size, 1 where the routed prediction was right (uint8 [test sizes, images]).</summary>
    public const string RoutedCorrectNpy = "routed-correct.npy";

    /// <summary>The comparison of the methods (<see cref="MethodComparison"/>).</summary>
    public const string ComparisonJson = "comparison.json";

    /// <summary>The comparison's rows.</summary>
    public const string ComparisonCsv = "comparison.csv";

    /// <summary>The comparison in words and tables.</summary>
    public const string VerdictMarkdown = "verdict.md";

    /// <summary>The HTML report of a results folder.</summary>
    public const string Report = "report.html";

    /// <summary>A training run's checkpoint archive.</summary>
    public const string Checkpoint = "checkpoint.zip";

    /// <summary>A training run's log, one JSON line per epoch.</summary>
    public const string TrainingLog = "train-log.jsonl";

    /// <summary>The folder of the CKA study inside a study's results.</summary>
    public const string StudyFolder = "study";

    /// <summary>The folder of one training seed inside a method's folder (<c>vanilla/seed-0/</c>).</summary>
    public static string SeedFolder(int seed) => "seed-" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The record of a finished CKA study step (the hash of its configuration).</summary>
    public const string StudyStepRecord = "study-step.json";

    /// <summary>The record of a finished evaluation step (the hash of its configuration).</summary>
    public const string EvaluationStepRecord = "evaluation-step.json";
}
