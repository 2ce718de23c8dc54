using Msun.Analysis.Reports.Tests;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// The bad-option catalogue of every command (black box): numbers out of range or not numbers, unordered or repeated
/// size lists, splits beyond the backbone's depth, unknown names, options that do not go together. Each case must
/// answer with exit code 2 and one stderr line naming the option, and change nothing: the sandbox (where --out points)
/// and the checkpoint stay byte-identical, no output folder appears.
/// </summary>
public sealed class OptionCatalogueTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    private static readonly string[] Train =
        ["train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "1", "--train-subset", "32", "--test-subset", "32", "--batch-size", "16", "--out", "{out}"];
    private static readonly string[] Evaluate = ["evaluate", "--checkpoint", "{ckpt}", "--images", "16", "--out", "{out}"];
    private static readonly string[] StudyScales =
        ["study-scales", "--checkpoint", "{ckpt}", "--images", "32", "--batch-size", "16", "--repeats", "1", "--probes", "7,14", "--out", "{out}"];
    private static readonly string[] Macs = ["macs", "--model", "resnet18-small"];
    private static readonly string[] Reproduce = ["reproduce", "--profile", "smoke", "--out", "{out}"];
    private static readonly string[] Study = ["study", "--profile", "smoke", "--out", "{out}"];
    private static readonly string[] ScaleCka = ["scale-cka", "--images", "16", "--batch-size", "8", "--probes", "7,14"];
    private static readonly string[] RecommendSplit = ["recommend-split", "{profile}"];

    /// <summary>Base arguments with option/value pairs replaced or added (a lone flag is added as it is).</summary>
    private static string[] With(string[] baseArgs, params string[] changes)
    {
        var args = baseArgs.ToList();
        for (int i = 0; i < changes.Length; i++)
        {
            bool hasValue = i + 1 < changes.Length && !changes[i + 1].StartsWith("--", StringComparison.Ordinal);
            int at = args.IndexOf(changes[i]);
            if (at >= 0 && hasValue) args[at + 1] = changes[i + 1];
            else if (at < 0)
            {
                args.Add(changes[i]);
                if (hasValue) args.Add(changes[i + 1]);
            }

            if (hasValue) i++;
        }

        return [.. args];
    }

    public static TheoryData<string, string[], string> Cases() => new()
    {
        // train: numbers
        { "train-epochs-zero", With(Train, "--epochs", "0"), "--epochs 0: must be a positive number" },
        { "train-epochs-negative", With(Train, "--epochs", "-3"), "--epochs -3: must be a positive number" },
        { "train-epochs-not-a-number", With(Train, "--epochs", "abc"), "Cannot parse argument 'abc' for option '--epochs'" },
        { "train-lr-nan", With(Train, "--lr", "NaN"), "--lr NaN: must be a positive number" },
        { "train-truncation-nan", With(Train, "--method", "msun", "--truncation", "NaN"), "--truncation NaN: must be zero or positive" },
        { "train-reference-zero", With(Train, "--reference-size", "0"), "--reference-size 0: must be a positive number" },
        { "train-test-subset-zero", With(Train, "--test-subset", "0"), "--test-subset 0: must be a positive number" },
        { "train-scales-unordered", With(Train, "--method", "mst", "--scales", "21,14"), "--scales 21,14: the sizes are out of order (14 after 21)" },
        { "train-scales-duplicated", With(Train, "--method", "mst", "--scales", "14,14"), "--scales: 14 is listed twice" },
        { "train-scales-above-reference", With(Train, "--method", "mst", "--scales", "14,56"), "--scales: 56 is larger than the reference size 28" },
        { "train-split-beyond-depth", With(Train, "--method", "msun", "--split", "9"), "split 9 is outside 1..4: resnet18-small has 5 stages" },
        { "train-split-zero", With(Train, "--method", "msun", "--split", "0"), "--split 0: must be at least 1" },
        // train: names and combinations
        { "train-unknown-method", With(Train, "--method", "blah"), "Argument 'blah' not recognized. Must be one of:" },
        { "train-unknown-dataset", With(Train, "--dataset", "mnist9"), "No built-in manifest 'mnist9'; built-in manifests: cifar-10" },
        { "train-split-without-msun", With(Train, "--split", "2"), "--split, --constraint-weight, --truncation and --no-constraint apply to --method msun only" },
        // evaluate
        { "evaluate-sizes-unordered", With(Evaluate, "--sizes", "14,7"), "--sizes 14,7: the sizes are out of order" },
        { "evaluate-sizes-duplicated", With(Evaluate, "--sizes", "7,7"), "--sizes: 7 is listed twice" },
        { "evaluate-images-negative", With(Evaluate, "--images", "-5"), "--images -5: must be a positive number" },
        { "evaluate-batch-zero", With(Evaluate, "--batch-size", "0"), "--batch-size 0: must be a positive number" },
        { "evaluate-batch-not-a-number", With(Evaluate, "--batch-size", "NaN"), "Cannot parse argument 'NaN' for option '--batch-size'" },
        { "evaluate-unknown-split", With(Evaluate, "--split", "validation"), "validation" },
        { "evaluate-unknown-device", With(Evaluate, "--device", "tpu"), "device 'tpu'" },
        // study-scales
        { "study-scales-probes-unordered", With(StudyScales, "--probes", "14,7"), "--probes 14,7: the sizes are out of order" },
        { "study-scales-probes-duplicated", With(StudyScales, "--probes", "7,7"), "--probes: 7 is listed twice" },
        { "study-scales-probe-above-reference", With(StudyScales, "--probes", "7,56"), "--probes: 56 is not smaller than the reference size 28" },
        { "study-scales-repeats-zero", With(StudyScales, "--repeats", "0"), "--repeats 0: at least one subset is needed" },
        { "study-scales-permutations-one", With(StudyScales, "--permutations", "1"), "--permutations 1" },
        { "study-scales-statistics-images-two", With(StudyScales, "--statistics-images", "2"), "--statistics-images 2" },
        { "study-scales-unknown-estimator", With(StudyScales, "--estimator", "exact"), "Argument 'exact' not recognized" },
        { "study-scales-threads-zero", With(StudyScales, "--threads", "0"), "--threads 0: must be a positive number" },
        { "study-scales-parallel-batches-zero", With(StudyScales, "--parallel-batches", "0"), "--parallel-batches 0: must be a positive number" },
        // macs
        { "macs-sizes-unordered", With(Macs, "--sizes", "28,14"), "--sizes 28,14: the sizes are out of order" },
        { "macs-sizes-duplicated", With(Macs, "--sizes", "28,28"), "--sizes: 28 is listed twice" },
        { "macs-split-beyond-depth", With(Macs, "--msun-split", "9"), "split 9 is outside 1..4" },
        { "macs-split-with-upsample", With(Macs, "--msun-split", "2", "--upsample-to", "28"), "--upsample-to does not apply with --msun-split" },
        { "macs-classes-zero", With(Macs, "--classes", "0"), "--classes: 0 is not a positive number of classes" },
        { "macs-unknown-model", With(Macs, "--model", "resnet19"), "--model: unknown backbone 'resnet19'" },
        // reproduce
        { "reproduce-unknown-budget", With(Reproduce, "--profile", "huge"), "Argument 'huge' not recognized" },
        { "reproduce-threads-zero", With(Reproduce, "--threads", "0"), "--threads 0: must be a positive number" },
        { "reproduce-scales-above-reference", With(Reproduce, "--scales", "14,56"), "scale 56 must lie in 1..27" },
        // study
        { "study-unknown-budget", With(Study, "--profile", "huge"), "Argument 'huge' not recognized" },
        { "study-split-beyond-depth", With(Study, "--split", "9"), "split 9 is outside 1..4" },
        { "study-unknown-dataset", With(Study, "--dataset", "mnist9"), "No built-in manifest 'mnist9'" },
        { "study-unknown-device", With(Study, "--device", "tpu"), "device 'tpu'" },
        { "study-seed-not-a-number", With(Study, "--seed", "x"), "Cannot parse argument 'x' for option '--seed'" },
        // scale-cka
        { "scale-cka-images-three", With(ScaleCka, "--images", "3"), "--images 3: at least 4 images are needed" },
        { "scale-cka-reference-zero", With(ScaleCka, "--reference", "0"), "--reference 0: must be a positive size" },
        { "scale-cka-probes-unordered", With(ScaleCka, "--probes", "14,7"), "--probes 14,7: the sizes are out of order" },
        // recommend-split
        { "recommend-split-threshold-zero", With(RecommendSplit, "--threshold", "0"), "--threshold '0': expected auto or a number in (0, 1]" },
        { "recommend-split-z-nan", With(RecommendSplit, "--z", "NaN"), "--z NaN: must be a positive number" },
        { "recommend-split-head-negative", With(RecommendSplit, "--head-blocks", "-1"), "--head-blocks -1: must be zero or positive" },
        { "recommend-split-contrast-above-one", With(RecommendSplit, "--min-contrast", "2"), "--min-contrast 2: must lie in [0, 1]" },
        { "recommend-split-unknown-uncertainty", With(RecommendSplit, "--uncertainty", "mad"), "Argument 'mad' not recognized" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadOptionIsOneLineNamingItAndChangesNothing(string name, string[] args, string expected)
    {
        string sandbox = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "catalogue-" + name)).FullName;
        File.WriteAllText(Path.Combine(sandbox, "keep.txt"), "earlier work");
        string profileFolder = Directory.CreateDirectory(Path.Combine(sandbox, "study")).FullName;
        File.WriteAllText(Path.Combine(profileFolder, "profile.json"), SampleResults.Profile("vanilla resnet18-small").ToJson());
        var sandboxBefore = FolderState.Snapshot(sandbox);
        var checkpointBefore = FolderState.Snapshot(checkpoint.Run);
        string[] resolved = [.. args.Select(a => a.Replace("{out}", Path.Combine(sandbox, "out"), StringComparison.Ordinal)
            .Replace("{ckpt}", checkpoint.Run, StringComparison.Ordinal).Replace("{profile}", profileFolder, StringComparison.Ordinal))];

        MsunProcess.AssertOneLineError(MsunProcess.Run(resolved), args[0], expected);
        FolderState.AssertUnchanged(sandboxBefore, sandbox);
        FolderState.AssertUnchanged(checkpointBefore, checkpoint.Run);
    }
}
