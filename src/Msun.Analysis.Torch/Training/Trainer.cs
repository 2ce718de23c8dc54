using Msun.Analysis.Core;
using System.Diagnostics;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Unified;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Msun.Analysis.Core.IO;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Torch.Training;

/// <summary>Reported after every optimiser step, for progress bars and benchmarks.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="BatchesInEpoch">Batches in every epoch.</param>
/// <param name="GlobalStep">Optimiser steps taken so far in the run (this one included).</param>
/// <param name="Images">Images in this batch.</param>
/// <param name="Loss">This batch's loss.</param>
/// <param name="LearningRate">Rate used by this step.</param>
/// <param name="EpochElapsed">Training time since the epoch began.</param>
public sealed record BatchProgress(
    int Epoch, int Batch, int BatchesInEpoch, long GlobalStep, int Images, double Loss, double LearningRate, TimeSpan EpochElapsed);

/// <summary>What a call to <see cref="Trainer.Run"/> leaves behind.</summary>
/// <param name="Options">The run's options.</param>
/// <param name="Dataset">The data it trained on.</param>
/// <param name="Objective">The loss, described.</param>
/// <param name="History">Every finished epoch (earlier sessions' included when resumed).</param>
/// <param name="EpochsCompleted">Epochs finished so far.</param>
/// <param name="IsComplete">Whether all <see cref="TrainingOptions.Epochs"/> are done.</param>
/// <param name="CheckpointPath">The checkpoint file.</param>
/// <param name="LogPath">The per-epoch JSON-lines log.</param>
public sealed record TrainingResult(
    TrainingOptions Options, DatasetIdentity Dataset, string Objective, IReadOnlyList<EpochRecord> History, int EpochsCompleted,
    bool IsComplete, string CheckpointPath, string LogPath);

/// <summary>
/// Training stopped because the loss stopped being a finite number; the last good checkpoint is left as it was.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception with a message naming the epoch, the batch and the checkpoint kept.</summary>
    public TrainingDivergedException(string message, int epoch, int batch) : base(message)
    {
        Epoch = epoch;
        Batch = batch;
    }

    /// <summary>1-based epoch of the bad batch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within the epoch.</summary>
    public int Batch { get; }
}

/// <summary>
/// Trains one backbone with a <see cref="TrainingObjective"/>: SGD with momentum and weight decay, linear warm-up
/// then cosine decay (<see cref="LearningRateSchedule"/>), gradient-norm clipping, seeded initialisation and data
/// order; the convolution weights are held channels-last during an epoch (<see cref="ChannelsLastWeights"/>). After every
/// epoch it evaluates on the test split at the reference size, writes a checkpoint atomically
/// (<see cref="Checkpoint"/>) and appends a line to <c>train-log.jsonl</c>; a resumed run continues from the last
/// checkpoint and reaches the same weights as an uninterrupted one.
/// </summary>
/// <remarks>
/// The output folder is locked (<c>.train.lock</c>) while the trainer lives, so two runs cannot interleave
/// checkpoints. Each batch runs in its own dispose scope so memory stays flat. Holds native tensors: dispose it.
/// </remarks>
public sealed class Trainer : IDisposable
{
    private const string LockFileName = ".train.lock";

    // A lock held by another run: ERROR_SHARING_VIOLATION on Windows; on Linux .NET passes flock's errno, EWOULDBLOCK (11).
    private const int SharingViolation = unchecked((int)0x80070020);
    private const int LockWouldBlock = 11;
    private const ulong TrainSubsetStream = 0x7261696E; // stream ids of SeededRandom.DeriveSeed: fixed forever
    private const ulong TestSubsetStream = 0x74657374;
    private const ulong DataOrderStream = 0x6F726465;

    private readonly ImageDataset train;
    private readonly ImageDataset test;
    private readonly Device device;
    private readonly TrainingObjective objective;
    private readonly SGD optimizer;
    private readonly Parameter[] parameters;
    private readonly LearningRateSchedule schedule;
    private readonly ulong dataOrderSeed;
    private readonly int[]? trainSubset; // indices of the seeded training subset into the split given, or null for all of it
    private readonly List<EpochRecord> history = [];
    private readonly FileStream folderLock;
    private long globalStep;

    /// <summary>
    /// Prepares a run in <paramref name="outputDirectory"/>: a fresh one, or with <paramref name="resume"/> the
    /// continuation of the checkpoint there.
    /// </summary>
    /// <param name="options">The run's options.</param>
    /// <param name="train">Training split (square images); <see cref="TrainingOptions.TrainSubset"/> is drawn from it.</param>
    /// <param name="test">Test split, same image shape and classes.</param>
    /// <param name="outputDirectory">Folder for the checkpoint and the log; created if missing.</param>
    /// <param name="resume">Continue from the checkpoint in the folder (which must exist and match these options).</param>
    /// <exception cref="ArgumentException">Options and data do not fit together, or the device is unavailable.</exception>
    /// <exception cref="CheckpointException">
    /// A fresh run would overwrite an existing checkpoint; a resume finds none, an unreadable one, or one from a different run.
    /// </exception>
    public Trainer(TrainingOptions options, ImageDataset train, ImageDataset test, string outputDirectory, bool resume = false)
        : this(options, train, test, outputDirectory, resume, null)
    {
    }

    /// <summary>As the public constructor, with the objective replaced (tests inject failures through it).</summary>
    internal Trainer(TrainingOptions options, ImageDataset train, ImageDataset test, string outputDirectory, bool resume,
        TrainingObjective? objectiveOverride)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Options = options;
        var spec = options.Spec;
        CheckData(options, spec, train, test);
        device = TorchDevices.Resolve(options.Device);

        var seed = unchecked((ulong)options.Seed);
        trainSubset = options.TrainSubset is int nTrain ? SeededSplits.RandomSubset(train.Count, nTrain, SubSeed(seed, TrainSubsetStream)) : null;
        this.train = trainSubset is not null ? train.Subset(trainSubset, $"training subset, seed {options.Seed}") : train;
        this.test = options.TestSubset is int nTest
            ? test.Subset(SeededSplits.RandomSubset(test.Count, nTest, SubSeed(seed, TestSubsetStream)), $"test subset, seed {options.Seed}")
            : test;
        if (this.train.Count < 2)
            throw new ArgumentException($"Training needs at least 2 images; the training split has {this.train.Count}.", nameof(train));
        Dataset = new DatasetIdentity(train.Provenance.DatasetName, this.train.Count, this.test.Count, train.Channels,
            train.ClassNames.Count, train.Height, this.train.Provenance.Describe());
        dataOrderSeed = SeededRandom.DeriveSeed(seed, DataOrderStream);
        // The last partial batch is kept, except a single leftover image (BatchNorm in training mode needs more than one value).
        var remainder = this.train.Count % options.BatchSize;
        StepsPerEpoch = this.train.Count / options.BatchSize + (remainder >= 2 ? 1 : 0);
        schedule = LearningRateSchedule.For(options, StepsPerEpoch);
        objective = objectiveOverride ?? TrainingObjectives.For(options);

        OutputDirectory = Path.GetFullPath(outputDirectory);
        folderLock = PrepareFolder(OutputDirectory);
        try
        {
            CheckpointPath = Checkpoint.PathIn(OutputDirectory);
            LogPath = Path.Combine(OutputDirectory, TrainingLog.FileName);
            var existing = Checkpoint.Exists(OutputDirectory);
            if (!resume && existing)
                throw new CheckpointException(
                    $"{CheckpointPath} already exists; pass --resume to continue it, or choose another output folder (it is never overwritten by a new run).");
            if (resume && !existing)
                throw new CheckpointException($"Nothing to resume: {CheckpointPath} does not exist.");
            CheckpointState? state = null;
            if (resume)
            {
                state = Checkpoint.ReadState(OutputDirectory);
                var differences = state.Differences(options, Dataset);
                if (differences.Count > 0)
                    throw new CheckpointException(
                        $"{CheckpointPath} belongs to a different run ({state.Options.Backbone}, {state.Options.Method.ToName()}, {state.Dataset.Name}): "
                        + string.Join("; ", differences) + ".");
            }

            AtomicFile.DeleteLeftovers(CheckpointPath);
            AtomicFile.DeleteLeftovers(LogPath);

            torch.manual_seed(options.Seed);
            Model = options.Msun is { } msun
                ? new MsunNetwork(msun, train.Channels, train.ClassNames.Count)
                : spec.Create(train.Channels, train.ClassNames.Count);
            Model.to(device);
            // Process-wide and once: the line goes to stderr, where every front end (CLI, notebook, test) shows it.
            if (ConvolutionGradientCheck.Ensure(Model) is { } notice) Console.Error.WriteLine("warning: " + notice);
            parameters = Model.parameters().ToArray();
            optimizer = torch.optim.SGD(parameters, options.LearningRate, options.Momentum, dampening: 0,
                weight_decay: options.WeightDecay, nesterov: false, maximize: false);
            if (state is not null)
            {
                Checkpoint.LoadInto(OutputDirectory, Model, optimizer);
                optimizer.to(device);
                EpochsCompleted = state.EpochsCompleted;
                globalStep = state.GlobalStep;
                history.AddRange(state.History);
            }

            // The log mirrors the checkpoint: epochs after it (from a run killed between the two writes) are dropped.
            TrainingLog.Rewrite(LogPath, history);
        }
        catch
        {
            Model?.Dispose();
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>The run's options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The data the run trains on (after subsets).</summary>
    public DatasetIdentity Dataset { get; }

    /// <summary>The network being trained (on the options' device): a <see cref="Backbone"/>, or an <see cref="MsunNetwork"/> for MSUN.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Absolute path of the output folder.</summary>
    public string OutputDirectory { get; }

    /// <summary>The checkpoint file.</summary>
    public string CheckpointPath { get; }

    /// <summary>The per-epoch log.</summary>
    public string LogPath { get; }

    /// <summary>Optimiser steps per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Epochs finished (restored from the checkpoint on resume).</summary>
    public int EpochsCompleted { get; private set; }

    /// <summary>Records of the finished epochs.</summary>
    public IReadOnlyList<EpochRecord> History => history;

    /// <summary>The loss being minimised, described.</summary>
    public string ObjectiveDescription => objective.Describe();

    /// <summary>
    /// Trains the remaining epochs (or until <paramref name="stopAfterEpoch"/> epochs are complete), checkpointing
    /// after each. Cancelling stops between batches and loses only the running epoch.
    /// </summary>
    /// <param name="epochProgress">Told after each epoch's checkpoint and log line are written.</param>
    /// <param name="batchProgress">Told after each optimiser step.</param>
    /// <param name="stopAfterEpoch">Return once this many epochs are complete (a time-boxed session); all when null.</param>
    /// <param name="cancellationToken">Stops training between batches with <see cref="OperationCanceledException"/>.</param>
    public TrainingResult Run(
        IProgress<EpochRecord>? epochProgress = null, IProgress<BatchProgress>? batchProgress = null,
        int? stopAfterEpoch = null, CancellationToken cancellationToken = default)
    {
        var last = Math.Min(Options.Epochs, stopAfterEpoch ?? Options.Epochs);
        while (EpochsCompleted < last)
        {
            var epoch = EpochsCompleted + 1;
            EpochRecord record;
            // Channels-last while training (faster convolutions), the default order again for the checkpoint.
            using (ChannelsLastWeights.Hold(Model, optimizer))
                record = TrainEpoch(epoch, batchProgress, cancellationToken);
            history.Add(record);
            EpochsCompleted = epoch;
            // Checkpoint first, then the log line: a kill in between leaves a log one line short, which the next
            // start rebuilds from the checkpoint's history.
            Checkpoint.Save(OutputDirectory, CurrentState(), Model, optimizer);
            TrainingLog.Append(LogPath, record);
            epochProgress?.Report(record);
        }

        return new TrainingResult(Options, Dataset, objective.Describe(), history.ToArray(), EpochsCompleted,
            EpochsCompleted == Options.Epochs, CheckpointPath, LogPath);
    }

    /// <summary>Accuracy and mean cross-entropy of the model on the test images at the reference size (eval mode).</summary>
    public (double Accuracy, double Loss) Evaluate()
    {
        Model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            long correct = 0;
            double lossSum = 0;
            var indices = Enumerable.Range(0, test.Count).ToArray();
            for (var start = 0; start < test.Count; start += Options.EvalBatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var batch = indices.AsSpan(start, Math.Min(Options.EvalBatchSize, test.Count - start));
                var (images, labels) = LoadBatch(test, batch);
                var logits = Model.call(images);
                lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(labels).sum().item<long>();
            }

            return ((double)correct / test.Count, lossSum / test.Count);
        }
        finally
        {
            Model.train();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
        folderLock.Dispose();
    }

    /// <summary>
    /// The training images of epoch <paramref name="epoch"/> (1-based) in the order they are used, as indices into the
    /// training split given to the constructor: another implementation can replay exactly the same batches.
    /// </summary>
    public int[] TrainingOrder(int epoch)
    {
        var order = EpochOrder(epoch);
        return trainSubset is null ? order : Array.ConvertAll(order, i => trainSubset[i]);
    }

    /// <summary>Epoch <paramref name="epoch"/>'s order as indices into <see cref="train"/> (the subset, when there is one).</summary>
    private int[] EpochOrder(int epoch)
    {
        var order = new int[train.Count];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        SeededRandom.ForStream(dataOrderSeed, (ulong)epoch).Shuffle(order);
        return order;
    }

    private EpochRecord TrainEpoch(int epoch, IProgress<BatchProgress>? batchProgress, CancellationToken cancellationToken)
    {
        Model.train();
        var order = EpochOrder(epoch);

        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        double lr = 0;
        var watch = Stopwatch.StartNew();
        for (var b = 0; b < StepsPerEpoch; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = b * Options.BatchSize;
            var batch = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start));
            lr = schedule.At(globalStep);
            var (loss, right) = TrainBatch(batch, lr, epoch, b + 1);
            globalStep++;
            lossSum += loss * batch.Length;
            correct += right;
            seen += batch.Length;
            batchProgress?.Report(new BatchProgress(epoch, b + 1, StepsPerEpoch, globalStep, batch.Length, loss, lr, watch.Elapsed));
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var evalWatch = Stopwatch.StartNew();
        var (testAccuracy, testLoss) = Evaluate();
        return new EpochRecord(epoch, lossSum / seen, (double)correct / seen, testAccuracy, testLoss, lr,
            seen / seconds, seconds, evalWatch.Elapsed.TotalSeconds);
    }

    private (double Loss, long Correct) TrainBatch(ReadOnlySpan<int> batch, double lr, int epoch, int batchNumber)
    {
        // Everything this step allocates (batch, activations, loss) is freed here, so memory stays flat.
        using var scope = torch.NewDisposeScope();
        var (images, labels) = LoadBatch(train, batch);
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = lr;
        optimizer.zero_grad();
        var (loss, logits) = objective.Compute(Model, images, labels);
        var value = loss.item<float>();
        if (!float.IsFinite(value))
        {
            // Stop before the step: the weights in memory are still those of the previous step, and the checkpoint on disk
            // (the last finished epoch) is never touched.
            var kept = EpochsCompleted > 0
                ? $"the last good checkpoint ({CheckpointPath}, epoch {EpochsCompleted}) is kept"
                : "no checkpoint had been written yet";
            throw new TrainingDivergedException(
                $"training diverged: the loss is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at epoch {epoch}, batch {batchNumber} of {StepsPerEpoch}; "
                + $"{kept}. Lower the learning rate or check the data.", epoch, batchNumber);
        }

        loss.backward();
        if (Options.GradientClipNorm is double maxNorm)
            nn.utils.clip_grad_norm_(parameters, maxNorm);
        optimizer.step();
        return (value, logits.argmax(1).eq(labels).sum().item<long>());
    }

    private (Tensor Images, Tensor Labels) LoadBatch(ImageDataset data, ReadOnlySpan<int> batch)
    {
        var (images, labels) = data.GetBatch(batch, device);
        if (data.Height != Options.ReferenceSize)
        {
            var resized = MultiScaleResize.Bilinear(images, Options.ReferenceSize, Options.ReferenceSize);
            images.Dispose();
            images = resized;
        }

        return (images, labels);
    }

    private CheckpointState CurrentState() =>
        new(Options, Dataset, EpochsCompleted, globalStep, dataOrderSeed, history.ToArray(),
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown", DateTimeOffset.UtcNow);

    private static int SubSeed(ulong seed, ulong stream) => (int)(SeededRandom.DeriveSeed(seed, stream) & int.MaxValue);

    private static void CheckData(TrainingOptions options, BackboneSpec spec, ImageDataset train, ImageDataset test)
    {
        if (train.Height != train.Width)
            throw new ArgumentException($"Training images are {train.Height}×{train.Width}; training expects square images.", nameof(train));
        if (test.Height != train.Height || test.Width != train.Width || test.Channels != train.Channels)
            throw new ArgumentException(
                $"Test images are {test.Channels}×{test.Height}×{test.Width}; training images are {train.Channels}×{train.Height}×{train.Width}.", nameof(test));
        if (!test.ClassNames.SequenceEqual(train.ClassNames))
            throw new ArgumentException("The test split's classes differ from the training split's.", nameof(test));
        if (options.ReferenceSize < spec.MinimumInputSize)
            throw new ArgumentException(
                $"Reference size {options.ReferenceSize} is below {spec.Name}'s minimum input size {spec.MinimumInputSize}.", nameof(options));
        if (options.TrainSubset is int n && n > train.Count)
            throw new ArgumentException($"A training subset of {n} exceeds the {train.Count} training images.", nameof(options));
        if (options.TestSubset is int m && m > test.Count)
            throw new ArgumentException($"A test subset of {m} exceeds the {test.Count} test images.", nameof(options));
    }

    private static FileStream PrepareFolder(string directory)
    {
        if (File.Exists(directory))
            throw new BadInputException($"Output folder '{directory}' is a file, not a folder.");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"Output folder '{directory}' cannot be created: {ex.Message}", ex);
        }

        var lockPath = Path.Combine(directory, LockFileName);
        try
        {
            // Also proves the folder is writable before any training time is spent.
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new BadInputException($"Output folder '{directory}' is not writable: {ex.Message}", ex);
        }
        catch (IOException ex) when (ex.HResult is SharingViolation or LockWouldBlock)
        {
            throw new CheckpointException($"Output folder '{directory}' is in use by another training run (it holds the lock {lockPath}).", ex);
        }
        catch (IOException ex)
        {
            // Not writable for another reason (a read-only file system, a full disk): .NET's message says which.
            throw new CheckpointException($"Output folder '{directory}' cannot be locked for this run ({lockPath}): {ex.Message}", ex);
        }
    }
}
