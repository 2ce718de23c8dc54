using System.Text.Json;

namespace Msun.Analysis.Cli.Tests;

/// <summary>A tiny msun train checkpoint (2 steps on 32 Fashion-MNIST images), made once for the study tests.</summary>
public sealed class TinyCheckpoint : IDisposable
{
    public TinyCheckpoint()
    {
        Folder = Path.Combine(Path.GetTempPath(), "msun-study-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Run = Path.Combine(Folder, "run");
        var outcome = MsunProcess.Run("train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "1", "--batch-size", "16",
            "--train-subset", "32", "--test-subset", "32", "--out", Run);
        if (outcome.ExitCode != 0) throw new InvalidOperationException("msun train failed: " + outcome.Stderr);
    }

    public string Folder { get; }

    /// <summary>The run folder holding checkpoint.zip.</summary>
    public string Run { get; }

    public string NewOut() => Path.Combine(Folder, "out-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary><c>msun study-scales</c> and <c>msun recommend-split</c> as users run them (Fashion-MNIST at /usr/share/datasets/fashion-mnist).</summary>
public sealed class StudyCommandTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    /// <summary>A small study of the tiny checkpoint; <paramref name="extra"/> holds option/value pairs that replace or add to the defaults.</summary>
    private string[] Study(string outDir, params string[] extra)
    {
        var options = new List<(string Name, string Value)>
        {
            ("--checkpoint", checkpoint.Run), ("--images", "64"), ("--batch-size", "32"), ("--repeats", "2"), ("--probes", "7,14"),
            ("--threads", "1"), ("--out", outDir),
        };
        for (int i = 0; i < extra.Length; i += 2)
        {
            int at = options.FindIndex(o => o.Name == extra[i]);
            if (at >= 0) options[at] = (extra[i], extra[i + 1]);
            else options.Add((extra[i], extra[i + 1]));
        }
        return ["study-scales", .. options.SelectMany(o => new[] { o.Name, o.Value })];
    }

    [Fact]
    public void ParallelBatchesWriteTheSameProfile()
    {
        // --threads 1 runs each forward on one thread both ways; the CKA adds the batches in the same order.
        var one = checkpoint.NewOut();
        var two = checkpoint.NewOut();
        var sequential = MsunProcess.Run(Study(one));
        Assert.True(sequential.ExitCode == 0, sequential.Stderr);
        var parallel = MsunProcess.Run(Study(two, "--parallel-batches", "2"));
        Assert.True(parallel.ExitCode == 0, parallel.Stderr);
        string Cells(string dir)
        {
            using var profile = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "profile.json")));
            return profile.RootElement.GetProperty("cells").GetRawText();
        }
        Assert.Equal(Cells(one), Cells(two));
        Assert.Contains("\"repeats\"", Cells(two));
    }

    [Fact]
    public void StudiesACheckpointRecommendsASplitAndRefusesToOverwrite()
    {
        var dir = checkpoint.NewOut();
        var run = MsunProcess.Run(Study(dir, "--grid-probe", "7", "--bootstrap", "5", "--permutations", "5", "--statistics-images", "32"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["grid.csv", "grid.json", "profile-summary.csv", "profile.csv", "profile.json"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("ETA", run.Stderr);
        foreach (var block in new[] { "relu", "layer1", "layer2", "layer3", "layer4" })
            Assert.Contains(block, run.Stdout);
        Assert.Contains("±", run.Stdout);
        using (var profile = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "profile.json"))))
        {
            var root = profile.RootElement;
            Assert.Equal("msun-cka-profile/1", root.GetProperty("format").GetString());
            Assert.Equal(10, root.GetProperty("cells").GetArrayLength());
            var provenance = root.GetProperty("provenance");
            Assert.Equal("checkpoint", provenance.GetProperty("model.source").GetString());
            Assert.EndsWith("checkpoint.zip", provenance.GetProperty("model.checkpoint").GetString());
            Assert.Equal("minibatch", provenance.GetProperty("estimator").GetString());
            Assert.Equal(Core.Tests.LinearAlgebra.BlasTests.OpenBlasPackageInstalled() ? "OpenBlas" : "Managed", provenance.GetProperty("blas").GetString());
        }
        Assert.Equal(11, File.ReadAllLines(Path.Combine(dir, "profile-summary.csv")).Length);
        Assert.Equal(21, File.ReadAllLines(Path.Combine(dir, "profile.csv")).Length);

        var split = MsunProcess.Run("recommend-split", dir, "--uncertainty", "none", "--probes", "all");
        Assert.True(split.ExitCode == 0, split.Stderr);
        Assert.StartsWith("Recommended split: ", split.Stdout);
        Assert.Contains("Probe 7: τ = ", split.Stdout);
        using (var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "split.json"))))
        {
            Assert.Equal("msun-split/1", saved.RootElement.GetProperty("format").GetString());
            // split.csv holds the same evidence as split.json, one row per probe and block.
            var fromJson = Msun.Analysis.Core.SplitSelection.SplitRecommendationJson.FromJson(File.ReadAllText(Path.Combine(dir, "split.json")));
            using var csv = new StreamReader(Path.Combine(dir, "split.csv"));
            Assert.Equal(Msun.Analysis.Core.SplitSelection.SplitRecommendationCsv.Rows(fromJson), Msun.Analysis.Core.SplitSelection.SplitRecommendationCsv.Read(csv));
            Assert.Equal(2, saved.RootElement.GetProperty("per_probe").GetArrayLength());
            Assert.InRange(saved.RootElement.GetProperty("split").GetInt32(), 0, 4);
        }

        var before = File.ReadAllText(Path.Combine(dir, "profile.json"));
        var again = MsunProcess.Run(Study(dir));
        Assert.Equal(2, again.ExitCode);
        var line = Assert.Single(again.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("already holds profile.json", line);
        Assert.Contains("--force", line);
        Assert.Equal(before, File.ReadAllText(Path.Combine(dir, "profile.json")));
    }

    [Fact]
    public void BlocksMayBeAnyModulePathsOfTheLoadedCheckpoint()
    {
        var dir = checkpoint.NewOut();
        var run = MsunProcess.Run(Study(dir, "--blocks", "layer1.0.conv1,layer3.1", "--probes", "14"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var profile = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "profile.json")));
        var root = profile.RootElement;
        Assert.Equal(["layer1.0.conv1", "layer3.1"], root.GetProperty("blocks").EnumerateArray().Select(b => b.GetProperty("name").GetString()));
        Assert.Equal(2, root.GetProperty("cells").GetArrayLength());
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["--probes", "7,28"], "--probes: 28 is not smaller than the reference size 28" },
        { ["--probes", "7,x"], "--probes: 'x' is not a positive whole number" },
        { ["--blocks", "relu,layer9"], "--blocks: unknown layer 'layer9'. Stages: relu, layer1, layer2, layer3, layer4. Nearest module paths: layer1," },
        { ["--blocks", "layer1.0.conv"], "Nearest module paths: layer1.0.conv1, layer1.0.conv2," },
        { ["--images", "3"], "--images 3: debiased CKA (unbiased HSIC) needs at least 4 images" },
        { ["--batch-size", "128"], "--images 64 is fewer than --batch-size 128" },
        { ["--model", "vgg16-bn-small"], "--model vgg16-bn-small does not match the checkpoint" },
        { ["--weights", "/tmp/none.pt"], "--weights and --checkpoint are alternatives" },
        { ["--grid-probe", "9"], "--grid-probe 9 is not one of --probes (7,14)" },
        { ["--sigma-fraction", "0.5"], "--sigma-fraction 0.5 applies to --estimator rbf only" },
        { ["--bootstrap", "1"], "--bootstrap 1" },
        { ["--estimator", "streaming"], "--estimator streaming with --activations flatten would hold" },
        { ["--images", "20000"], "--images 20000: the test split of fashion-mnist has only 10000" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputFailsWithOneLineAndWritesNothing(string[] extra, string expected)
    {
        var dir = checkpoint.NewOut();
        MsunProcess.AssertOneLineError(MsunProcess.Run(Study(dir, extra)), "study-scales", expected);
        Assert.False(Directory.Exists(dir));
    }

    [Theory]
    [InlineData("/etc/passwd", "--out /etc/passwd is a file, not a folder")]
    [InlineData("/etc/passwd/study", "cannot be created")]
    [InlineData("/proc/msun-study", "is not writable")]
    public void UnusableOutFails(string outDir, string expected) =>
        MsunProcess.AssertOneLineError(MsunProcess.Run(Study(outDir)), "study-scales", expected);

    [Fact]
    public void MissingModelAndUnknownBackboneFail()
    {
        MsunProcess.AssertOneLineError(MsunProcess.Run("study-scales", "--out", checkpoint.NewOut()), "study-scales", "--checkpoint DIR or --model NAME is required");
        MsunProcess.AssertOneLineError(MsunProcess.Run("study-scales", "--model", "resnet19", "--out", checkpoint.NewOut()), "study-scales", "Unknown backbone 'resnet19'");
        MsunProcess.AssertOneLineError(MsunProcess.Run("study-scales", "--checkpoint", checkpoint.Folder, "--out", checkpoint.NewOut()), "study-scales", "there is no checkpoint.zip");
    }

    [Fact]
    public void RecommendSplitBadInputs()
    {
        var missing = MsunProcess.Run("recommend-split", checkpoint.Folder);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("msun recommend-split: error: ", missing.Stderr);
        Assert.Contains("holds no profile.json", missing.Stderr);
        var threshold = MsunProcess.Run("recommend-split", checkpoint.Folder, "--threshold", "2");
        Assert.Equal(2, threshold.ExitCode);
        Assert.Contains("--threshold '2': expected auto or a number in (0, 1]", threshold.Stderr);
    }
}
