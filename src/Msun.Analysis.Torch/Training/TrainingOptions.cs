using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Unified;

namespace Msun.Analysis.Torch.Training;

/// <summary>The MSUN-specific part of <see cref="TrainingOptions"/>; the scales are the options' scales plus the reference size.</summary>
/// <param name="Split">Leading stages per subnet (1..stages−1); <see cref="DefaultSplit"/> by default.</param>
/// <param name="ConstraintWeight">Weight of each pairwise MSE term (paper: 1).</param>
/// <param name="TruncationThreshold">MSE terms below this are dropped (paper: 0.01 for ResNet-50, 0.001 otherwise).</param>
/// <param name="Constraint">False: no scale-invariant constraint (ablation).</param>
public sealed record MsunOptions(
    int Split = MsunOptions.DefaultSplit, double ConstraintWeight = MsunConfig.DefaultConstraintWeight,
    double TruncationThreshold = MsunConfig.DefaultTruncationThreshold, bool Constraint = true)
{
    /// <summary>The default split: 2, stem + first stage, the paper's ResNet-50 split.</summary>
    public const int DefaultSplit = 2;
}

/// <summary>
/// Everything that decides a training run, validated at construction and written into every checkpoint
/// and result so that a number can be traced back to how it was trained. Defaults follow the paper's
/// recipe (SGD momentum 0.9, warm-up then cosine to 0.01 × lr, gradient-norm clipping 1.0) scaled down
/// to a CPU: see each parameter.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Creates validated options.</summary>
    /// <param name="backbone">Registry name (<see cref="BackboneRegistry"/>); an unknown name fails with the list of known ones.</param>
    /// <param name="method">Vanilla, MST or MSUN.</param>
    /// <param name="referenceSize">Side of the square training and test input (28 for Fashion-MNIST as stored; a larger value upsamples bilinearly).</param>
    /// <param name="epochs">Epochs to train; the cosine schedule spans all of them.</param>
    /// <param name="batchSize">Images per optimiser step (MST runs each image at every scale within the same step).</param>
    /// <param name="learningRate">Peak learning rate, reached at the end of warm-up. 0.1 is the usual SGD value for batch 128 from scratch.</param>
    /// <param name="weightDecay">L2 penalty applied by SGD. 5e-4 (the CIFAR-scale default) rather than the paper's ImageNet 2e-5, because the small datasets overfit sooner.</param>
    /// <param name="momentum">SGD momentum (paper: 0.9).</param>
    /// <param name="warmupEpochs">Epochs of linear warm-up from ≈0 to <paramref name="learningRate"/> (paper: 5 of 90; 1 suits short CPU runs). At most <paramref name="epochs"/>.</param>
    /// <param name="minLearningRateFraction">The cosine ends at this fraction of the peak rate (paper: 0.01).</param>
    /// <param name="gradientClipNorm">Maximum global L2 norm of the gradients (paper: 1.0); null disables clipping.</param>
    /// <param name="seed">Seeds torch's generator (weight initialisation) and our data order, so a run is reproducible.</param>
    /// <param name="scales">
    /// MST only: the extra input sizes each batch is shrunk to (then brought back to <paramref name="referenceSize"/>).
    /// Null gives the default: ½ and ¾ of the reference size (14 and 21 at 28). The paper's ratios (32 and 128 of 224,
    /// i.e. 1/7 and 4/7) would make a 4-pixel image at 28, which holds almost nothing of a Fashion-MNIST item; ½ and ¾ keep
    /// the small/mid/reference structure at sizes that still carry the class. Must be empty for Vanilla.
    /// </param>
    /// <param name="trainSubset">Train on a seeded random subset of this many training images (all when null): quick runs.</param>
    /// <param name="testSubset">Evaluate on a seeded random subset of this many test images (all when null).</param>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; CUDA is checked when the trainer starts.</param>
    /// <param name="evalBatchSize">Images per forward pass during evaluation (memory only; results do not depend on it).</param>
    /// <param name="msun">MSUN only (required for it): split and constraint; the scales are <paramref name="scales"/> (ascending, below the reference) plus the reference size.</param>
    /// <param name="backboneSpec">
    /// A backbone that is not in the registry (e.g. defined in a notebook), trained under <paramref name="backbone"/>, which
    /// must be its name and no registered backbone's. Its checkpoints record the name only, so they cannot be resumed or
    /// loaded by name later: train it in one go.
    /// </param>
    /// <param name="names">How the caller names these parameters in messages (the command line's options); the parameter names when null.</param>
    public TrainingOptions(
        string backbone,
        TrainingMethod method,
        int referenceSize,
        int epochs = 10,
        int batchSize = 128,
        double learningRate = 0.1,
        double weightDecay = 5e-4,
        double momentum = 0.9,
        int warmupEpochs = 1,
        double minLearningRateFraction = 0.01,
        double? gradientClipNorm = 1.0,
        int seed = 0,
        IReadOnlyList<int>? scales = null,
        int? trainSubset = null,
        int? testSubset = null,
        string device = TorchDevices.DefaultName,
        int evalBatchSize = 256,
        MsunOptions? msun = null,
        BackboneSpec? backboneSpec = null,
        InputNames? names = null)
    {
        var n = names ?? InputNames.Parameters;
        ArgumentNullException.ThrowIfNull(backbone);
        Spec = backboneSpec is null ? BackboneRegistry.Get(backbone) : Unregistered(backbone, backboneSpec);
        Backbone = Spec.Name;
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, "unknown training method.");
        Positive(referenceSize, nameof(referenceSize), n);
        Positive(epochs, nameof(epochs), n);
        Positive(batchSize, nameof(batchSize), n);
        Positive(evalBatchSize, nameof(evalBatchSize), n);
        var ci = CultureInfo.InvariantCulture;
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), string.Create(ci, $"{n[nameof(learningRate)]} {learningRate}: must be a positive number (and finite)."));
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), string.Create(ci, $"{n[nameof(weightDecay)]} {weightDecay}: must be zero or positive (and finite)."));
        if (!(momentum >= 0 && momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must lie in [0, 1).");
        if (warmupEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), $"{n[nameof(warmupEpochs)]} {warmupEpochs}: must be zero or positive.");
        if (warmupEpochs > epochs)
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), $"{n[nameof(warmupEpochs)]} {warmupEpochs} exceeds {n[nameof(epochs)]} {epochs}.");
        if (!(minLearningRateFraction >= 0 && minLearningRateFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(minLearningRateFraction), minLearningRateFraction, "minLearningRateFraction must lie in [0, 1].");
        if (gradientClipNorm is double clip && (!(clip > 0) || !double.IsFinite(clip)))
            throw new ArgumentOutOfRangeException(nameof(gradientClipNorm), clip, "gradientClipNorm must be a positive finite number (or null for no clipping).");
        if (trainSubset is int ts)
            Positive(ts, nameof(trainSubset), n);
        if (testSubset is int es)
            Positive(es, nameof(testSubset), n);
        ArgumentNullException.ThrowIfNull(device);
        TorchDevices.CheckName(device, n[nameof(device)]);

        if (method == TrainingMethod.Msun && msun is null)
            throw new ArgumentException("msun (split and constraint) is required for the MSUN method.", nameof(msun));
        if (method != TrainingMethod.Msun && msun is not null)
            throw new ArgumentException($"msun applies to the MSUN method only, not {method.ToName()}.", nameof(msun));
        if (method != TrainingMethod.Vanilla && scales is not null)
        {
            // Ascending for MST too: the list is recorded as given, and a silently re-ordered list would not be what was asked.
            for (var i = 1; i < scales.Count; i++)
            {
                if (scales[i] < scales[i - 1])
                    throw new ArgumentException($"scales {string.Join(",", scales)} are out of order: {(method == TrainingMethod.Msun ? "MSUN" : "MST")}'s scales must be ascending.", nameof(scales));
            }
        }

        Method = method;
        ReferenceSize = referenceSize;
        Scales = ResolveScales(method, referenceSize, scales);
        Msun = msun is null ? null : new MsunConfig(Spec, msun.Split, [.. Scales, referenceSize], msun.ConstraintWeight,
            msun.TruncationThreshold, msun.Constraint, names: n);
        Epochs = epochs;
        BatchSize = batchSize;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Momentum = momentum;
        WarmupEpochs = warmupEpochs;
        MinLearningRateFraction = minLearningRateFraction;
        GradientClipNorm = gradientClipNorm;
        Seed = seed;
        TrainSubset = trainSubset;
        TestSubset = testSubset;
        Device = device.ToLowerInvariant();
        EvalBatchSize = evalBatchSize;
    }

    /// <summary>Registry name of the backbone, as registered (canonical case).</summary>
    public string Backbone { get; }

    /// <summary>The backbone trained: the registered one named <see cref="Backbone"/>, or the unregistered spec given.</summary>
    public BackboneSpec Spec { get; }

    /// <summary>Vanilla, MST or MSUN.</summary>
    public TrainingMethod Method { get; }

    /// <summary>Side of the square training and test input.</summary>
    public int ReferenceSize { get; }

    /// <summary>The MSUN configuration (backbone, split, scales incl. the reference, constraint); null for Vanilla and MST.</summary>
    public MsunConfig? Msun { get; }

    /// <summary>MST's and MSUN's extra scales, ascending, each below <see cref="ReferenceSize"/>; empty for Vanilla.</summary>
    public IReadOnlyList<int> Scales { get; }

    /// <summary>Epochs to train.</summary>
    public int Epochs { get; }

    /// <summary>Images per optimiser step.</summary>
    public int BatchSize { get; }

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>SGD weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; }

    /// <summary>Epochs of linear warm-up.</summary>
    public int WarmupEpochs { get; }

    /// <summary>Final learning rate as a fraction of the peak.</summary>
    public double MinLearningRateFraction { get; }

    /// <summary>Gradient-norm clipping threshold; null when clipping is off.</summary>
    public double? GradientClipNorm { get; }

    /// <summary>Seed of torch's generator and of the data order.</summary>
    public int Seed { get; }

    /// <summary>Size of the seeded training subset; null for the whole split.</summary>
    public int? TrainSubset { get; }

    /// <summary>Size of the seeded test subset; null for the whole split.</summary>
    public int? TestSubset { get; }

    /// <summary>Device string (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>).</summary>
    public string Device { get; }

    /// <summary>Evaluation batch size.</summary>
    public int EvalBatchSize { get; }

    /// <summary>Every input size a training batch is seen at: the extra scales, then the reference size.</summary>
    public IReadOnlyList<int> TrainingSizes => [.. Scales, ReferenceSize];

    /// <summary>
    /// The fields that change the trajectory of the weights, as (name, value) in invariant text. Two runs with the
    /// same key follow the same trajectory, so a checkpoint may only be resumed by options with an equal key; the
    /// device, evaluation batch size and test subset may differ.
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> TrajectoryKey() =>
    [
        ("backbone", Backbone),
        ("method", Method.ToName()),
        ("reference_size", Inv(ReferenceSize)),
        ("scales", string.Join(",", Scales.Select(Inv))),
        ("epochs", Inv(Epochs)),
        ("batch_size", Inv(BatchSize)),
        ("lr", Inv(LearningRate)),
        ("weight_decay", Inv(WeightDecay)),
        ("momentum", Inv(Momentum)),
        ("warmup_epochs", Inv(WarmupEpochs)),
        ("min_lr_fraction", Inv(MinLearningRateFraction)),
        ("grad_clip_norm", GradientClipNorm is double c ? Inv(c) : "none"),
        ("seed", Inv(Seed)),
        ("train_subset", TrainSubset is int t ? Inv(t) : "all"),
        // MSUN's own fields; absent for Vanilla/MST, so their checkpoints' keys are unchanged.
        .. Msun?.Key() ?? [],
    ];

    /// <summary>One line for logs: the options that matter, e.g. "resnet18-small mst 28px scales 14,21, 10 epochs, batch 128, ...".</summary>
    public string Describe() =>
        string.Join(", ", TrajectoryKey().Select(p => $"{p.Name}={p.Value}")) + $", device={Device}";

    /// <summary>Writes the options as one JSON object (snake_case names) for provenance.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("backbone", Backbone);
        writer.WriteString("method", Method.ToName());
        writer.WriteNumber("reference_size", ReferenceSize);
        writer.WriteStartArray("scales");
        foreach (var s in Scales)
            writer.WriteNumberValue(s);
        writer.WriteEndArray();
        writer.WriteNumber("epochs", Epochs);
        writer.WriteNumber("batch_size", BatchSize);
        writer.WriteNumber("lr", LearningRate);
        writer.WriteNumber("weight_decay", WeightDecay);
        writer.WriteNumber("momentum", Momentum);
        writer.WriteNumber("warmup_epochs", WarmupEpochs);
        writer.WriteNumber("min_lr_fraction", MinLearningRateFraction);
        if (GradientClipNorm is double c)
            writer.WriteNumber("grad_clip_norm", c);
        else
            writer.WriteNull("grad_clip_norm");
        writer.WriteNumber("seed", Seed);
        WriteNullable(writer, "train_subset", TrainSubset);
        WriteNullable(writer, "test_subset", TestSubset);
        writer.WriteString("device", Device);
        writer.WriteNumber("eval_batch_size", EvalBatchSize);
        if (Msun is not null)
        {
            writer.WritePropertyName("msun");
            Msun.WriteJson(writer);
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads options written by <see cref="WriteJson"/>, validating them again.</summary>
    /// <exception cref="InvalidDataException">A field is missing or has the wrong type.</exception>
    public static TrainingOptions ReadJson(JsonElement e)
    {
        try
        {
            var scales = e.GetProperty("scales").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var method = TrainingMethodNames.Parse(e.GetProperty("method").GetString()!);
            MsunOptions? msun = null;
            if (method == TrainingMethod.Msun)
            {
                var m = MsunConfig.ReadJson(e.GetProperty("msun"));
                msun = new MsunOptions(m.Split, m.ConstraintWeight, m.TruncationThreshold, m.Constraint);
            }

            return new TrainingOptions(
                e.GetProperty("backbone").GetString()!,
                method,
                e.GetProperty("reference_size").GetInt32(),
                e.GetProperty("epochs").GetInt32(),
                e.GetProperty("batch_size").GetInt32(),
                e.GetProperty("lr").GetDouble(),
                e.GetProperty("weight_decay").GetDouble(),
                e.GetProperty("momentum").GetDouble(),
                e.GetProperty("warmup_epochs").GetInt32(),
                e.GetProperty("min_lr_fraction").GetDouble(),
                NullableDouble(e.GetProperty("grad_clip_norm")),
                e.GetProperty("seed").GetInt32(),
                method == TrainingMethod.Vanilla ? [] : scales,
                NullableInt(e.GetProperty("train_subset")),
                NullableInt(e.GetProperty("test_subset")),
                e.GetProperty("device").GetString()!,
                e.GetProperty("eval_batch_size").GetInt32(),
                msun);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Training options in JSON are incomplete or malformed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public bool Equals(TrainingOptions? other) =>
        other is not null && TrajectoryKey().SequenceEqual(other.TrajectoryKey())
        && TestSubset == other.TestSubset && Device == other.Device && EvalBatchSize == other.EvalBatchSize;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Describe(), TestSubset, EvalBatchSize);

    private static BackboneSpec Unregistered(string backbone, BackboneSpec backboneSpec)
    {
        if (!string.Equals(backbone, backboneSpec.Name, StringComparison.Ordinal))
            throw new ArgumentException($"backbone '{backbone}' is not the name of the backbone spec given ('{backboneSpec.Name}').", nameof(backbone));
        // A checkpoint records the name only: under a registered name it would later load as that other network.
        if (BackboneRegistry.TryGet(backboneSpec.Name, out var registered) && !ReferenceEquals(registered, backboneSpec))
            throw new ArgumentException($"backboneSpec: '{backboneSpec.Name}' is a registered backbone's name; give the unregistered one another name.", nameof(backboneSpec));
        return backboneSpec;
    }

    private static IReadOnlyList<int> ResolveScales(TrainingMethod method, int referenceSize, IReadOnlyList<int>? scales)
    {
        if (method == TrainingMethod.Vanilla)
        {
            if (scales is { Count: > 0 })
                throw new ArgumentException("scales apply to MST only; Vanilla trains at the reference size alone.", nameof(scales));
            return [];
        }

        if (scales is null)
        {
            var defaults = MsunConfig.DefaultScalesBelow(referenceSize);
            if (defaults.Length == 0)
                throw new ArgumentException($"referenceSize {referenceSize} is too small for MST's default scales; pass scales explicitly.", nameof(scales));
            return defaults;
        }

        if (scales.Count == 0)
            throw new ArgumentException("MST needs at least one extra scale below the reference size.", nameof(scales));
        foreach (var s in scales)
        {
            if (s < 1 || s >= referenceSize)
                throw new ArgumentOutOfRangeException(nameof(scales), s, $"scale {s} must lie in 1..{referenceSize - 1} (below the reference size {referenceSize}).");
        }

        if (scales.Distinct().Count() != scales.Count)
            throw new ArgumentException($"scales {string.Join(",", scales)} repeat a size.", nameof(scales));
        return scales.Order().ToArray();
    }

    private static void Positive(int value, string parameter, InputNames names)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(parameter, $"{names[parameter]} {value}: must be a positive number.");
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Inv(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v)
            w.WriteNumber(name, v);
        else
            w.WriteNull(name);
    }

    private static int? NullableInt(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();

    private static double? NullableDouble(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();
}
