using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using Msun.Analysis.Torch.Data;
using Msun.Analysis.Torch.Pipeline;
using Msun.Analysis.Torch.Study;
using Msun.Analysis.Torch.Tests.Data;
using static TorchSharp.torch;
using CoreCka = Msun.Analysis.Core.Cka.Cka;

namespace Msun.Analysis.Torch.Tests.Study;

/// <summary>
/// The real Fashion-MNIST test split (Debian's dataset-fashion-mnist) and a freshly initialised resnet18-small, built once.
/// torch runs single-threaded meanwhile (restored at the end): the batches are tiny, and on a loaded 2-core machine
/// torch's intra-op threads spin against the BLAS threads of the CKA and make the tests several times slower.
/// </summary>
public sealed class StudyFixture : IDisposable
{
    private readonly int threads = get_num_threads();

    public StudyFixture()
    {
        set_num_threads(1);
        Data = DatasetLoader.Load(DatasetManifestLoader.LoadBuiltIn("fashion-mnist"), "test");
        Model = ModelLoader.FreshlyInitialised("resnet18-small", seed: 7);
    }

    public ImageDataset Data { get; }

    public LoadedBackbone Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        set_num_threads(threads);
    }
}

[Collection("Torch")]
public sealed class ScaleStudyTests(StudyFixture fixture) : IClassFixture<StudyFixture>
{
    private static readonly string[] Stages = ["relu", "layer1", "layer2", "layer3", "layer4"];

    private static ScaleStudyOptions Small(int seed = 3, StudyEstimator estimator = StudyEstimator.Minibatch,
        ActivationPolicy activations = ActivationPolicy.Flatten, int images = 96, int repeats = 2) =>
        new(28, [14, 7], images, repeats, seed, estimator, batchSize: 32, activations: activations);

    [Fact]
    public void ProfileHasEveryBlockAndProbeWithProvenanceAndIsDeterministic()
    {
        var options = Small();
        var first = ScaleStudy.Run(fixture.Model, fixture.Data, options).Profile;
        Assert.Equal(Stages, first.Blocks.Select(b => b.Name));
        Assert.Equal([1, 2, 3, 4, 5], first.Blocks.Select(b => b.Index));
        Assert.Equal([7, 14], first.Probes);
        Assert.Equal(10, first.Cells.Count);
        foreach (var cell in first.Cells)
        {
            Assert.Equal(2, cell.Repeats.Count);
            Assert.All(cell.Repeats, v => Assert.InRange(v, -1.0, 1.0 + 1e-12));
            Assert.NotEqual(cell.Repeats[0], cell.Repeats[1]); // different subsets
            Assert.Null(cell.Interval);
            Assert.Null(cell.NullDistribution);
        }
        var p = first.Provenance;
        Assert.Equal("fresh-initialisation", p["model.source"]);
        Assert.Equal("resnet18-small", p["model.backbone"]);
        Assert.Equal("minibatch", p["estimator"]);
        Assert.Equal("linear", p["kernel"]);
        Assert.Equal("32", p["batch_size"]);
        Assert.Equal("96", p["examples_per_repeat"]);
        Assert.Equal("3", p["seed"]);
        Assert.Equal("28", p["reference_size"]);
        Assert.Equal("7,14", p["probes"]);
        Assert.Contains("down to the probe size then up to 28", p["transform"]);
        Assert.StartsWith("fashion-mnist/test", p["dataset"]);
        Assert.StartsWith("flatten", p["activations"]);

        var again = ScaleStudy.Run(fixture.Model, fixture.Data, options).Profile;
        Assert.Equal(first, again);
        Assert.Equal(first.ToJson(), again.ToJson());

        // The seed picks the subsets: subset i depends on (seed, i) only.
        var subsets = ScaleStudy.Subsets(fixture.Data.Count, options);
        Assert.Equal(subsets[0], ScaleStudy.Subsets(fixture.Data.Count, Small(repeats: 3))[0]);
        Assert.NotEqual(subsets[0], ScaleStudy.Subsets(fixture.Data.Count, Small(seed: 4))[0]);
    }

    [Theory]
    [InlineData(StudyEstimator.Minibatch, ActivationPolicy.Flatten)]
    [InlineData(StudyEstimator.Rbf, ActivationPolicy.Flatten)]
    [InlineData(StudyEstimator.Streaming, ActivationPolicy.SpatialMean)]
    public void IdenticalInputsGiveCkaOne(StudyEstimator estimator, ActivationPolicy activations)
    {
        // probe = reference is refused by the options; the library's probe-input seam feeds the reference batch itself.
        var options = Small(estimator: estimator, activations: activations, images: 64, repeats: 1);
        var profile = ScaleStudy.Run(fixture.Model, fixture.Data, options, (reference, _) => reference.clone(), null, default).Profile;
        Assert.Equal("custom probe input (library test seam)", profile.Provenance["transform"]);
        Assert.All(profile.Cells, c => Assert.Equal(1.0, c.Repeats[0], 1e-9));
    }

    [Fact]
    public void MinibatchStudyOfSeveralProbesMatchesOneComparisonPerProbe()
    {
        // The probes' sinks share the reference side's Grams (SharedRowGrams); each probe on its own, through
        // ScaleComparison's unshared sink on the same batches, must give the same values.
        var options = Small(images: 64, repeats: 1);
        var profile = ScaleStudy.Run(fixture.Model, fixture.Data, options).Profile;
        var subset = ScaleStudy.Subsets(fixture.Data.Count, options)[0];
        foreach (int probe in options.Probes)
        {
            using var scope = NewDisposeScope();
            var resize = new MultiScaleResize(new MultiScaleResizeOptions(28, probe));
            var batches = new[] { 0, 32 }.Select(start => fixture.Data.GetBatch(subset.AsSpan(start, 32), CPU).Images)
                .Select(images => (images, resize.Apply(images))).ToArray();
            var alone = ScaleComparison.Run(fixture.Model.Model, Stages, batches);
            for (int i = 0; i < Stages.Length; i++)
                Assert.Equal(alone.PerLayer[i].Value, profile.Cell(Stages[i], probe).Repeats[0], 1e-12);
        }
    }

    [Fact]
    public void StreamingMatchesInMemoryCkaOnTheSameSubset()
    {
        // 100 images in batches of 32: the streaming estimator takes the short final batch of 4 too.
        var options = new ScaleStudyOptions(28, [14], 100, 1, seed: 11, StudyEstimator.Streaming, batchSize: 32, activations: ActivationPolicy.SpatialMean);
        var profile = ScaleStudy.Run(fixture.Model, fixture.Data, options).Profile;
        Assert.Equal("100", profile.Provenance["examples_per_repeat"]);

        var subset = ScaleStudy.Subsets(fixture.Data.Count, options)[0];
        using var scope = NewDisposeScope();
        var (images, _) = fixture.Data.GetBatch(subset, CPU);
        var probe = new MultiScaleResize(new MultiScaleResizeOptions(28, 14)).Apply(images);
        var inMemory = ScaleComparison.Run(fixture.Model.Model, Stages, [(images, probe)],
            new ScaleComparisonOptions(StudyEstimator.InMemory, new CaptureOptions(ActivationPolicy.SpatialMean), hsic: HsicEstimator.Unbiased));
        for (int i = 0; i < Stages.Length; i++)
            Assert.Equal(inMemory.PerLayer[i].Value, profile.Cell(Stages[i], 14).Repeats[0], 1e-9);
    }

    [Fact]
    public void BootstrapNullAndGridAreReportedAndConsistent()
    {
        var options = new ScaleStudyOptions(28, [7, 14], 64, 2, seed: 5, batchSize: 32,
            bootstrapResamples: 10, permutations: 10, statisticsImages: 64, gridProbe: 7);
        var reports = new List<ScaleStudyProgress>();
        var result = ScaleStudy.Run(fixture.Model, fixture.Data, options, new Recorder(reports));

        // Work by hand: subsets 2 repeats × 2 batches × (2 probes × 5 blocks) = 40 units; statistics per probe
        // 5 blocks × (10 + 10 resamples) × 2 batches of the 64 statistics images = 200, for 2 probes = 400.
        Assert.Equal(5, Stages.Length);
        Assert.All(reports, r => Assert.Equal(440, r.TotalWork));
        Assert.Equal(40, reports.Last(r => r.Phase == "subsets").Work);
        Assert.Equal([240, 440], reports.Where(r => r.Phase == "statistics").Select(r => r.Work));
        Assert.Equal(4 + 2, reports[^1].Steps); // by steps the subsets would look like 4 of 6 done; by work they are 40 of 440
        var afterSubsets = reports.Last(r => r.Phase == "subsets");
        Assert.Equal(TimeSpan.FromSeconds(100), Msun.Analysis.Torch.Pipeline.Eta.Remaining(TimeSpan.FromSeconds(10), afterSubsets.Work, afterSubsets.TotalWork));
        foreach (var cell in result.Profile.Cells)
        {
            Assert.NotNull(cell.Interval);
            Assert.Equal(10, cell.Interval!.Resamples);
            Assert.True(cell.Interval.Low <= cell.Interval.High);
            Assert.NotNull(cell.NullDistribution);
            // Without pairing, debiased CKA centres on 0; the paired value is far above it.
            Assert.InRange(cell.NullDistribution!.Mean, -0.2, 0.2);
            Assert.True(cell.Summary.Mean > cell.NullDistribution.Mean + 0.2);
        }
        var grid = Assert.IsType<CkaGridSummary>(result.Grid);
        Assert.Equal(7, grid.Probe);
        Assert.Equal(Stages, grid.RowBlocks);
        Assert.Equal(2, grid.Repeats.Count);
        for (int i = 0; i < Stages.Length; i++)
            Assert.Equal(result.Profile.Cell(Stages[i], 7).Summary.Mean, grid.Mean[i, i], 1e-12);
        Assert.Contains("\"format\": \"msun-cka-grid/1\"", grid.ToJson());
    }

    [Fact]
    public void CompressionKeepsEveryCkaOfEveryResample()
    {
        var rng = new Core.Statistics.SeededRandom(9);
        const int n = 12, d = 40;
        var parts = new[] { 0, 1 }.Select(k =>
        {
            var values = new float[6 * d];
            for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextGaussian() + 3);
            return new LayerActivation("x", "x", 0, [6, d], values, null, 6, d);
        }).ToArray();
        var original = FeatureMatrix.FromRowMajor("x", parts.SelectMany(p => p.SingleData!).ToArray(), n, d);
        var compressed = ScaleStudy.Compress(parts, "x");
        Assert.Equal(n, compressed.Columns);
        var other = FeatureMatrix.FromRowMajor("y", Enumerable.Range(0, n * 5).Select(_ => rng.NextGaussian()).ToArray(), n, 5);
        for (int trial = 0; trial < 5; trial++)
        {
            var rows = rng.Resample(n);
            foreach (var options in new[] { new CkaOptions(CkaKernel.Linear, HsicEstimator.Unbiased), new CkaOptions(CkaKernel.Rbf(0.5), HsicEstimator.Biased) })
                Assert.Equal(CoreCka.Compute(original.SelectRows(rows), other.SelectRows(rows), options).Value,
                    CoreCka.Compute(compressed.SelectRows(rows), other.SelectRows(rows), options).Value, 1e-9);
        }
    }

    [Fact]
    public void BadOptionsAndBlocksFailWithNamedProblems()
    {
        Assert.Contains("not smaller than the reference size 28", Assert.ThrowsAny<ArgumentException>(() => new ScaleStudyOptions(28, [14, 28])).Message);
        Assert.Contains("fewer than one batch of 128", Assert.ThrowsAny<ArgumentException>(() => new ScaleStudyOptions(28, [14], imagesPerSubset: 100)).Message);
        Assert.Contains("at least 4 images", Assert.ThrowsAny<ArgumentException>(() => new ScaleStudyOptions(28, [14], imagesPerSubset: 3, batchSize: 4)).Message);
        Assert.Contains("not among the probes", Assert.ThrowsAny<ArgumentException>(() => new ScaleStudyOptions(28, [14], gridProbe: 7)).Message);
        Assert.Contains("RBF estimator only", Assert.ThrowsAny<ArgumentException>(() => new ScaleStudyOptions(28, [14], sigmaFraction: 1.0)).Message);

        var unknown = new ScaleStudyOptions(28, [14], 64, 1, batchSize: 32, blocks: ["relu", "layer9"]);
        var e = Assert.Throws<ArgumentException>(() => ScaleStudy.Check(fixture.Model, fixture.Data, unknown));
        Assert.Contains("resnet18-small: unknown layer 'layer9'. Stages: relu, layer1, layer2, layer3, layer4. Nearest module paths: layer1,", e.Message);

        var streaming = new ScaleStudyOptions(28, [14], 64, 1, estimator: StudyEstimator.Streaming, batchSize: 32);
        Assert.Contains("spatial-mean", Assert.Throws<ArgumentException>(() => ScaleStudy.Check(fixture.Model, fixture.Data, streaming)).Message);

        var tooMany = new ScaleStudyOptions(28, [14], 20000, 1, batchSize: 32);
        Assert.Contains("has only 10000", Assert.Throws<ArgumentException>(() => ScaleStudy.Check(fixture.Model, fixture.Data, tooMany)).Message);
    }

    [Fact]
    public void BlocksAreMeasuredInNetworkOrderAndFilesAreNotOverwritten()
    {
        var options = new ScaleStudyOptions(28, [14], 32, 1, batchSize: 32, blocks: ["layer3", "relu"]);
        var result = ScaleStudy.Run(fixture.Model, fixture.Data, options);
        Assert.Equal([("relu", 1), ("layer3", 4)], result.Profile.Blocks.Select(b => (b.Name, b.Index)));
        using var folder = new TempFolder();
        var dir = Path.Combine(folder.Path, "out");
        var written = result.Save(dir);
        Assert.Equal([ScaleStudyResult.ProfileJson, ScaleStudyResult.ProfileCsv, ScaleStudyResult.ProfileSummaryCsv], written.Select(Path.GetFileName));
        Assert.Equal(result.Profile, CkaProfile.FromJson(File.ReadAllText(Path.Combine(dir, ScaleStudyResult.ProfileJson))));
        Assert.Throws<IOException>(() => result.Save(dir));
        Assert.Equal(3, result.Save(dir, overwrite: true).Count);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
    }

    private sealed class Recorder(List<ScaleStudyProgress> reports) : IProgress<ScaleStudyProgress>
    {
        public void Report(ScaleStudyProgress value) => reports.Add(value);
    }

    /// <summary>A network the registry does not know, defined here: a plain stack with a two-output branch module inside.</summary>
    private sealed class Unregistered : TorchSharp.torch.nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.torch.nn.Module<Tensor, Tensor> stem, body, pool, head;
        private readonly Split split;

        public Unregistered() : base(nameof(Unregistered))
        {
            stem = nn.Sequential(nn.Conv2d(1, 8, 3, stride: 2, padding: 1), nn.ReLU());
            body = nn.Sequential(nn.Conv2d(8, 16, 3, stride: 2, padding: 1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding: 1), nn.ReLU());
            split = new Split();
            pool = nn.AdaptiveAvgPool2d(1);
            head = nn.Sequential(nn.Flatten(), nn.Linear(16, 10));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var (a, b) = split.call(body.call(stem.call(x)));
            return head.call(pool.call(a + b)).MoveToOuterDisposeScope();
        }

        /// <summary>Returns two tensors: not a block the study can take.</summary>
        private sealed class Split : TorchSharp.torch.nn.Module<Tensor, (Tensor, Tensor)>
        {
            public Split() : base(nameof(Split)) { }

            public override (Tensor, Tensor) forward(Tensor x) => (x.relu(), x.neg().relu());
        }
    }

    [Fact]
    public void AnyModuleIsStudiedAtTheModulePathsGivenInTheirOrder()
    {
        manual_seed(11);
        using var net = new Unregistered();
        using var model = LoadedBackbone.FromModule(net, ["stem.0", "body.1", "body.3", "head.1"], inChannels: 1, name: "unregistered");
        var options = new ScaleStudyOptions(28, [14, 7], 64, 2, batchSize: 32);
        var profile = ScaleStudy.Run(model, fixture.Data, options).Profile;

        Assert.Equal([("stem.0", 1), ("body.1", 2), ("body.3", 3), ("head.1", 4)], profile.Blocks.Select(b => (b.Name, b.Index)));
        Assert.Equal("stem.0 8×14×14; body.1 16×7×7; body.3 16×7×7; head.1 10×1×1", profile.Provenance["block_shapes"]); // measured: no spec
        Assert.Equal("unregistered", profile.Provenance["model.backbone"]);
        Assert.All(profile.Cells, c => Assert.All(c.Repeats, v => Assert.InRange(v, -1.0, 1.0 + 1e-12)));
        Assert.Equal(profile, ScaleStudy.Run(model, fixture.Data, options).Profile); // deterministic
        Assert.True(net.training); // modes restored; the caller's module is not disposed with the study model

        var unknown = Assert.Throws<ArgumentException>(() => LoadedBackbone.FromModule(net, ["body.2", "stem.9"], 1));
        Assert.Contains("unknown layer 'stem.9'. Nearest module paths: stem.0, stem.1, stem, body.0, body.1 (", unknown.Message);
        var tuple = Assert.Throws<ArgumentException>(() => LoadedBackbone.FromModule(net, ["split"], 1));
        Assert.Contains("layer 'split' is a Split, which does not map one tensor to one tensor", tuple.Message);
    }

    [Fact]
    public void AStudyOfTheRegisteredBackboneAsAPlainModuleGivesTheSameProfile()
    {
        // The same weights through both doors: the registry's stages and FromModule with the same paths.
        var options = new ScaleStudyOptions(28, [14], 64, 1, batchSize: 32);
        var registered = ScaleStudy.Run(fixture.Model, fixture.Data, options).Profile;
        using var plain = LoadedBackbone.FromModule(fixture.Model.Model, fixture.Model.Blocks, 1, "resnet18-small");
        var asModule = ScaleStudy.Run(plain, fixture.Data, options).Profile;
        Assert.Equal(registered.Cells.Select(c => c.Repeats[0]), asModule.Cells.Select(c => c.Repeats[0]));
        Assert.Equal(registered.Provenance["block_shapes"], asModule.Provenance["block_shapes"]); // measured = declared

        // Module paths inside the stages of a registered backbone, in the order given.
        var inner = new ScaleStudyOptions(28, [14], 64, 1, batchSize: 32, blocks: ["layer1.0.conv1", "layer3.1"]);
        var profile = ScaleStudy.Run(fixture.Model, fixture.Data, inner).Profile;
        Assert.Equal([("layer1.0.conv1", 1), ("layer3.1", 2)], profile.Blocks.Select(b => (b.Name, b.Index)));
        Assert.Equal("layer1.0.conv1 16×28×28; layer3.1 64×7×7", profile.Provenance["block_shapes"]);
    }

    [Theory]
    [InlineData(StudyEstimator.Minibatch, ActivationPolicy.Flatten)]
    [InlineData(StudyEstimator.Rbf, ActivationPolicy.Flatten)]
    [InlineData(StudyEstimator.Streaming, ActivationPolicy.SpatialMean)]
    public void BatchesRunInParallelGiveTheProfileOfOneBatchAtATime(StudyEstimator estimator, ActivationPolicy activations)
    {
        // Every forward runs on one libtorch thread either way (the fixture's count, the workers' own), and the CKA adds the
        // batches in the same order: the values must be identical, the grid and the progress too.
        var options = new ScaleStudyOptions(28, [7, 14], 96, 3, seed: 2, estimator, batchSize: 32, activations: activations, gridProbe: 14);
        var sequentialReports = new List<ScaleStudyProgress>();
        var sequential = ScaleStudy.Run(fixture.Model, fixture.Data, options with { ParallelBatches = 1 }, new Recorder(sequentialReports));
        var parallelReports = new List<ScaleStudyProgress>();
        var parallel = ScaleStudy.Run(fixture.Model, fixture.Data, options with { ParallelBatches = 3 }, new Recorder(parallelReports));

        Assert.Equal(sequential.Profile.Cells.SelectMany(c => c.Repeats), parallel.Profile.Cells.SelectMany(c => c.Repeats));
        Assert.Equal(sequential.Profile, parallel.Profile);
        Assert.Equal(sequential.Grid!.Repeats.SelectMany(g => g.Values.Cast<double>()), parallel.Grid!.Repeats.SelectMany(g => g.Values.Cast<double>()));
        Assert.Equal(sequentialReports, parallelReports);
        Assert.Equal(1, get_num_threads()); // the workers' single thread did not leak into the caller's setting
    }

    [Fact]
    public void AFailingForwardOnAWorkerStopsTheStudyWithItsError()
    {
        var options = new ScaleStudyOptions(28, [7, 14], 96, 3, seed: 2, batchSize: 32) with { ParallelBatches = 2 };
        int calls = 0;
        Tensor Probe(Tensor reference, int size)
        {
            if (Interlocked.Increment(ref calls) == 9) throw new InvalidOperationException("probe 9 failed");
            return new MultiScaleResize(new MultiScaleResizeOptions(28, size)).Apply(reference);
        }

        var error = Assert.Throws<InvalidOperationException>(() => ScaleStudy.Run(fixture.Model, fixture.Data, options, Probe, null, default));
        Assert.Equal("probe 9 failed", error.Message);
        Assert.Equal(1, get_num_threads());
        // The model is left usable, without hooks of ours: a later study gives the same values as before.
        var again = ScaleStudy.Run(fixture.Model, fixture.Data, options with { ParallelBatches = 1 }).Profile;
        Assert.Equal(again, ScaleStudy.Run(fixture.Model, fixture.Data, options).Profile);
    }
}
