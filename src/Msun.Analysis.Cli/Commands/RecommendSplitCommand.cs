using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// <c>msun recommend-split</c>: reads a CKA profile (a study folder or its profile.json), applies the documented split
/// rule (Msun.Analysis.Core/SplitSelection/README.md), prints the recommendation with its reasoning, and saves
/// split.json and split.csv (the per-block evidence) next to the profile (atomically).
/// </summary>
internal static class RecommendSplitCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("profile") { Description = "A study-scales output folder, or a profile.json." };
        var threshold = new Option<string>("--threshold") { Description = "auto (midpoint of the considered means) or a fixed tau in (0, 1].", DefaultValueFactory = _ => "auto" };
        var probes = new Option<string>("--probes") { Description = "smallest (the largest scale gap) or all (largest split over the probes).", DefaultValueFactory = _ => "smallest" };
        probes.AcceptOnlyFromAmong("smallest", "all");
        var uncertainty = new Option<string>("--uncertainty")
        {
            Description = "How a block's uncertainty enters: none (means), std (mean ± z·std over repeats), sem (mean ± z·std/√k) or ci (bootstrap interval).",
            DefaultValueFactory = _ => "std",
        };
        uncertainty.AcceptOnlyFromAmong("none", "std", "sem", "ci");
        var z = new Option<double>("--z") { Description = "Width of the std or sem band.", DefaultValueFactory = _ => 1.0 };
        var head = new Option<int>("--head-blocks") { Description = "Trailing blocks excluded as the class-specific head.", DefaultValueFactory = _ => 1 };
        var boundary = new Option<string>("--boundary")
        {
            Description = "sensitive-prefix (the blocks before the first recovered one) or through-first-recovered (MSUN's ResNet-50 convention).",
            DefaultValueFactory = _ => "sensitive-prefix",
        };
        boundary.AcceptOnlyFromAmong("sensitive-prefix", "through-first-recovered");
        var force = new Option<bool>("--force") { Description = "Replace split.json and split.csv already next to the profile." };
        var contrast = new Option<double>("--min-contrast") { Description = "Profiles whose considered means span less than this are flat (split 0).", DefaultValueFactory = _ => 0.1 };

        var command = new Command("recommend-split", "Recommend how many leading blocks get a per-scale subnet, from a CKA profile; saves split.json next to it.")
        {
            path, threshold, probes, uncertainty, z, head, boundary, contrast, force,
        };
        command.SetAction(parse => CliErrors.Run("recommend-split", () => Run(
            parse.GetRequiredValue(path), parse.GetValue(threshold)!, parse.GetValue(probes)!, parse.GetValue(uncertainty)!,
            parse.GetValue(z), parse.GetValue(head), parse.GetValue(boundary)!, parse.GetValue(contrast), parse.GetValue(force))));
        return command;
    }

    private static int Run(string path, string threshold, string probes, string uncertainty, double z, int headBlocks, string boundary, double minContrast,
        bool force)
    {
        ThresholdRule rule = ThresholdRule.Midpoint;
        double fixedThreshold = 0.8;
        if (threshold != "auto")
        {
            if (!double.TryParse(threshold, NumberStyles.Float, CultureInfo.InvariantCulture, out fixedThreshold) || !(fixedThreshold > 0 && fixedThreshold <= 1))
                throw new ArgumentException($"--threshold '{threshold}': expected auto or a number in (0, 1].");
            rule = ThresholdRule.Fixed;
        }
        if (!(z > 0) || !double.IsFinite(z))
            throw new ArgumentException(FormattableString.Invariant($"--z {z}: must be a positive number."));
        if (headBlocks < 0)
            throw new ArgumentException($"--head-blocks {headBlocks}: must be zero or positive.");
        if (!(minContrast >= 0 && minContrast <= 1))
            throw new ArgumentException(FormattableString.Invariant($"--min-contrast {minContrast}: must lie in [0, 1]."));

        var profilePath = Directory.Exists(path) ? Path.Combine(path, ScaleStudyResult.ProfileJson) : path;
        if (!File.Exists(profilePath))
            throw new FileNotFoundException(Directory.Exists(path)
                ? $"{Path.GetFullPath(path)} holds no {ScaleStudyResult.ProfileJson}; run msun study-scales --out {path} first."
                : $"{Path.GetFullPath(path)}: no such file or folder.", profilePath);
        profilePath = Path.GetFullPath(profilePath);

        var options = new SplitRuleOptions(
            rule, fixedThreshold, minContrast,
            uncertainty switch
            {
                "none" => UncertaintyRule.None,
                "sem" => UncertaintyRule.StandardErrorBand,
                "ci" => UncertaintyRule.ConfidenceInterval,
                _ => UncertaintyRule.StandardDeviationBand,
            },
            z, headBlocks,
            boundary == "through-first-recovered" ? SplitBoundary.ThroughFirstRecovered : SplitBoundary.SensitivePrefix,
            probes == "all" ? ProbeChoice.All : ProbeChoice.Smallest);

        string existing = Path.Combine(Path.GetDirectoryName(profilePath)!, SplitRecommendationFiles.Json);
        bool replaced = File.Exists(existing);
        if (replaced && !force)
            throw new ArgumentException($"{existing} already exists; pass --force to replace it (and {SplitRecommendationFiles.Csv}).");

        CkaProfile profile;
        try
        {
            profile = CkaProfile.ReadJsonFile(profilePath);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            throw new InvalidDataException($"{profilePath}: {e.Message}", e);
        }

        SplitRecommendation recommendation;
        try
        {
            recommendation = SplitSelector.Recommend(profile, options);
        }
        catch (ArgumentException e)
        {
            string option = options.Uncertainty != UncertaintyRule.None ? $" (with --uncertainty {uncertainty})" : "";
            throw new ArgumentException($"{profilePath}: {e.Message.TrimEnd('.')}{option}.", e);
        }

        var splitPath = SplitRecommendationFiles.Save(recommendation, profilePath);
        Console.Write(recommendation.Explain());
        Console.Error.WriteLine($"msun recommend-split: {(replaced ? "replaced" : "wrote")} {splitPath} and {SplitRecommendationFiles.Csv}");
        return 0;
    }
}
