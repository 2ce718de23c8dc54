using System.Text.Json;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// <c>msun train</c> as users run it. Needs Fashion-MNIST at /usr/share/datasets/fashion-mnist (Debian's
/// dataset-fashion-mnist); the one real run is 2 steps on 32 images.
/// </summary>
public class TrainCommandTests
{
    private static string[] Tiny(string outDir, params string[] extra) =>
    [
        "train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "1", "--batch-size", "16",
        "--train-subset", "32", "--test-subset", "32", "--out", outDir, .. extra,
    ];

    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "msun-train-cli-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["train", "--model", "resnet19", "--method", "vanilla", "--out", NewFolder()], "Known backbones: resnet18, resnet50" },
        { ["train", "--method", "vanilla", "--out", NewFolder()], "--model is required" },
        { ["train", "--model", "resnet18-small", "--out", NewFolder()], "--method is required" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "0", "--out", NewFolder()], "--epochs 0: must be a positive number" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--batch-size", "-3", "--out", NewFolder()], "--batch-size -3" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--lr", "0", "--out", NewFolder()], "--lr 0: must be a positive number" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--weight-decay", "-1", "--out", NewFolder()], "--weight-decay -1" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--epochs", "2", "--warmup-epochs", "3", "--out", NewFolder()], "--warmup-epochs 3 exceeds --epochs 2" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--scales", "14", "--out", NewFolder()], "--scales applies to --method mst only" },
        { ["train", "--model", "resnet18-small", "--method", "mst", "--scales", "14,28", "--out", NewFolder()], "--scales: 28 is not below the reference size 28" },
        { ["train", "--model", "resnet18-small", "--method", "mst", "--scales", "14,x", "--out", NewFolder()], "'x' is not a positive whole number" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--train-subset", "70000", "--out", NewFolder()], "--train-subset 70000 exceeds the 60000" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--device", "tpu", "--out", NewFolder()], "device 'tpu'" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--device", "cuda", "--out", NewFolder()], "torch.cuda.is_available()" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--resume", "--out", NewFolder()], "--resume: there is no checkpoint.zip" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--out", "/etc/passwd"], "is a file, not a folder" },
        { ["train", "--model", "resnet18-small", "--method", "vanilla", "--out", "/etc/passwd/run"], "cannot be created" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputFailsWithOneLineNamingTheProblem(string[] args, string expected)
    {
        MsunProcess.AssertOneLineError(MsunProcess.Run(args), "train", expected);
    }

    [Fact]
    public void TrainsLogsAndRefusesToOverwriteThenResumes()
    {
        var dir = NewFolder();
        try
        {
            var run = MsunProcess.Run(Tiny(dir));
            Assert.True(run.ExitCode == 0, run.Stderr);
            using (var summary = JsonDocument.Parse(run.Stdout))
            {
                Assert.Equal("resnet18-small", summary.RootElement.GetProperty("backbone").GetString());
                Assert.True(summary.RootElement.GetProperty("complete").GetBoolean());
                Assert.Equal(32, summary.RootElement.GetProperty("dataset").GetProperty("train_examples").GetInt32());
            }

            Assert.Contains("epoch 1/1", run.Stderr);
            Assert.Contains("ETA", run.Stderr);
            var line = Assert.Single(File.ReadAllLines(Path.Combine(dir, "train-log.jsonl")));
            using (var record = JsonDocument.Parse(line))
            {
                Assert.Equal(1, record.RootElement.GetProperty("epoch").GetInt32());
                Assert.InRange(record.RootElement.GetProperty("accuracy").GetDouble(), 0, 1);
            }

            var again = MsunProcess.Run(Tiny(dir));
            Assert.Equal(2, again.ExitCode);
            Assert.Contains("already exists; pass --resume", again.Stderr);

            var other = MsunProcess.Run("train", "--model", "vgg16-bn-small", "--out", dir, "--resume");
            Assert.Equal(2, other.ExitCode);
            Assert.Contains("backbone resnet18-small (checkpoint) vs vgg16-bn-small (this run)", other.Stderr);

            // Options default to the checkpoint's; the run is complete, so there is nothing left to do.
            var resumed = MsunProcess.Run("train", "--out", dir, "--resume");
            Assert.True(resumed.ExitCode == 0, resumed.Stderr);
            Assert.Contains("nothing to do", resumed.Stderr);
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }
}
