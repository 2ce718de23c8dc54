using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// The options <c>msun study</c> and <c>msun reproduce</c> share, declared once; defaults come from
/// <see cref="ReproductionOptions"/> and <see cref="ReproductionBudget"/>.
/// </summary>
/// <param name="defaultSeeds">The command's default for <c>--seeds</c>.</param>
internal sealed class PipelineCommandOptions(int defaultSeeds)
{
    private static readonly ReproductionOptions Defaults = new(ReproductionBudget.Quick);

    public Option<string> Dataset { get; } = new("--dataset") { Description = "Built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };

    public Option<string?> Root { get; } = new("--root") { Description = "Dataset folder (default: the manifest's)." };

    public Option<string> Budget { get; } = NewBudget();

    public Option<int> Seed { get; } = new("--seed") { Description = "First training seed; also seeds the study's subsets and the evaluation images.", DefaultValueFactory = _ => Defaults.Seed };

    public Option<int> Seeds { get; } = new("--seeds")
    {
        Description = "Train every method this many times (seeds --seed, --seed + 1, ...); the intervals cover seeds and test images.",
        DefaultValueFactory = _ => defaultSeeds,
    };

    public Option<string> Device { get; } = new("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => Defaults.Device };

    public Option<int?> Threads { get; } = new("--threads") { Description = "torch threads (default: torch's choice); on a CPU the study runs this many batches at once, one thread each." };

    public IEnumerable<Option> All => [Dataset, Root, Budget, Seed, Seeds, Device, Threads];

    /// <summary>The checked values that need no data: budget, device (lower case), seeds.</summary>
    public (ReproductionBudget Budget, string Device, int Seeds) Check(ParseResult parse)
    {
        var device = parse.GetValue(Device)!;
        CliParsing.Device(device);
        if (parse.GetValue(Threads) is < 1 and var threads) throw new ArgumentException($"--threads {threads}: must be a positive number.");
        int seeds = parse.GetValue(Seeds);
        if (seeds < 1) throw new ArgumentException($"--seeds {seeds}: train every method at least once.");
        return (ReproductionBudget.Get(parse.GetValue(Budget)!), device.ToLowerInvariant(), seeds);
    }

    /// <summary>The registry spec of a --model value; the error lists the known backbones.</summary>
    public static BackboneSpec Backbone(string model) => BackboneRegistry.TryGet(model, out var spec)
        ? spec
        : throw new ArgumentException($"--model: unknown backbone '{model}'; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");

    /// <summary>Sets the thread count and loads the training and test splits.</summary>
    public (ImageDataset Train, ImageDataset Test) Load(ParseResult parse)
    {
        if (parse.GetValue(Threads) is int t) torch.set_num_threads(t);
        return DatasetLoader.LoadTrainAndTest(DatasetManifestLoader.LoadBuiltIn(parse.GetValue(Dataset)!), parse.GetValue(Root));
    }

    /// <summary>Step and epoch messages of a pipeline, one time-stamped line each on stderr.</summary>
    public static IProgress<ReproductionProgress> StepLog { get; } =
        new SyncProgress<ReproductionProgress>(p => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {p.Step}: {p.Message}"));

    private static Option<string> NewBudget()
    {
        var budget = new Option<string>("--budget", "--profile")
        {
            Description = "Training budget shared by all methods (--profile: its old name, still accepted); smoke also shrinks the CKA study: " + string.Join("; ", ReproductionBudget.All.Select(p =>
                FormattableString.Invariant($"{p.Name} = {p.Epochs} epoch(s) on {(p.TrainSubset is int t ? t.ToString("N0", CultureInfo.InvariantCulture) : "all")} images, {p.ExpectedTime}"))) + ".",
            DefaultValueFactory = _ => Defaults.Budget.Name,
        };
        budget.AcceptOnlyFromAmong([.. ReproductionBudget.All.Select(p => p.Name)]);
        return budget;
    }
}
