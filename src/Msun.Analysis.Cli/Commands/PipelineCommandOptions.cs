using System.CommandLine;
using System.Globalization;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using TorchSharp;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// The options <c>msun study</c> and <c>msun reproduce</c> share, declared once and bound to
/// <see cref="ReproductionOptions"/>; the defaults are the record's.
/// </summary>
internal sealed class PipelineCommandOptions
{
    private static readonly ReproductionOptions Defaults = new(ReproductionProfile.Quick);

    public Option<string> Dataset { get; } = new("--dataset") { Description = "Built-in dataset manifest.", DefaultValueFactory = _ => "fashion-mnist" };

    public Option<string?> Root { get; } = new("--root") { Description = "Dataset folder (default: the manifest's)." };

    public Option<string> Budget { get; } = new("--budget", "--profile")
    {
        Description = "Training budget shared by all methods (--profile: the old name, still accepted): " + string.Join("; ", ReproductionProfile.All.Select(p =>
            FormattableString.Invariant($"{p.Name} = {p.Epochs} epoch(s) on {(p.TrainSubset is int t ? t.ToString("N0", CultureInfo.InvariantCulture) : "all")} images, {p.ExpectedTime}"))) + ".",
        DefaultValueFactory = _ => Defaults.Profile.Name,
    };

    public Option<string> Model { get; } = new("--model") { Description = $"Backbone (default {Defaults.Backbone}).", DefaultValueFactory = _ => Defaults.Backbone };

    public Option<string?> Scales { get; } = new("--scales") { Description = "Sizes below the reference used by MST and MSUN, ascending (default: half and three quarters of the reference, 14,21 at 28)." };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of initialisation, data order and subsets.", DefaultValueFactory = _ => Defaults.Seed };

    public Option<string> Device { get; } = new("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => Defaults.Device };

    public Option<int?> Threads { get; } = new("--threads") { Description = "torch intra-op threads (default: torch's choice)." };

    public PipelineCommandOptions() => Budget.AcceptOnlyFromAmong([.. ReproductionProfile.All.Select(p => p.Name)]);

    public IEnumerable<Option> All => [Dataset, Root, Budget, Model, Scales, Seed, Device, Threads];

    /// <summary>The reproduction options of a parsed command line (split as given), after the checks that need no data.</summary>
    public ReproductionOptions Bind(ParseResult parse, int split)
    {
        var device = parse.GetValue(Device)!;
        CliParsing.Device(device);
        if (parse.GetValue(Threads) is < 1 and var threads) throw new ArgumentException($"--threads {threads}: must be a positive number.");
        var model = parse.GetValue(Model)!;
        if (!BackboneRegistry.TryGet(model, out var spec))
            throw new ArgumentException($"--model: unknown backbone '{model}'; known backbones: {string.Join(", ", BackboneRegistry.Names)}.");
        int[]? scales = parse.GetValue(Scales) is { } list ? CliParsing.Sizes(list, "--scales") : null;
        return new ReproductionOptions(ReproductionProfile.Get(parse.GetValue(Budget)!), spec.Name, split, scales, parse.GetValue(Seed), device.ToLowerInvariant());
    }

    /// <summary>Sets the thread count and loads the training and test splits.</summary>
    public (ImageDataset Train, ImageDataset Test) Load(ParseResult parse)
    {
        if (parse.GetValue(Threads) is int t) torch.set_num_threads(t);
        var manifest = DatasetManifestLoader.LoadBuiltIn(parse.GetValue(Dataset)!);
        var root = parse.GetValue(Root);
        return (DatasetLoader.Load(manifest, "train", root), DatasetLoader.Load(manifest, "test", root));
    }

    /// <summary>Step and epoch messages of a pipeline, one time-stamped line each on stderr.</summary>
    public static IProgress<ReproductionProgress> StepLog { get; } =
        new SyncProgress<ReproductionProgress>(p => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {p.Step}: {p.Message}"));
}
