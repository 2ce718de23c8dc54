using System.Text.Json;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Cli.Tests;

public class MacsCommandTests
{
    private const long ResNet18At224 = 1_814_073_344;

    [Fact]
    public void TablePrintsResNet18AtTheTextbookCount()
    {
        var outcome = MsunProcess.Run("macs", "--model", "resnet18", "--sizes", "28,32,224");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal("", outcome.Stderr);
        var lines = outcome.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length); // caption, header, one row per size
        Assert.Matches(@"^model\s+test size\s+branch\s+input\s+parameters\s+MACs\s+MACs \(M\)\s+other ops$", lines[1]);
        Assert.Matches(@"^resnet18\s+224\s+network\s+224\s+11,689,512\s+1,814,073,344\s+1,814\.07\s", lines[4]);
    }

    [Fact]
    public void JsonAndCsvCarryTheSameRows()
    {
        string dir = Directory.CreateTempSubdirectory("msun-macs-").FullName;
        try
        {
            string csv = Path.Combine(dir, "macs.csv");
            var outcome = MsunProcess.Run("macs", "--model", "ResNet18", "--sizes", "32, 224", "--json", "--csv", csv);
            Assert.True(outcome.ExitCode == 0, outcome.Stderr);
            using var json = JsonDocument.Parse(outcome.Stdout);
            Assert.Equal(MacTable.JsonFormat, json.RootElement.GetProperty("format").GetString());
            var rows = json.RootElement.GetProperty("rows");
            Assert.Equal(2, rows.GetArrayLength());
            Assert.Equal(ResNet18At224, rows[1].GetProperty("macs").GetInt64());
            Assert.Equal(224, rows[1].GetProperty("input_size").GetInt32());
            Assert.Equal("1000", json.RootElement.GetProperty("provenance").GetProperty("classes").GetString());

            var table = MacTable.ReadCsvFile(csv);
            Assert.Equal([32, 224], table.Rows.Select(r => r.TestSize));
            Assert.Equal(ResNet18At224, table.Rows[1].Macs);
            Assert.Equal(["macs.csv"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void UpsampleToGivesTheVanillaCostAtEveryTestSize()
    {
        var outcome = MsunProcess.Run("macs", "--model", "resnet18-small", "--sizes", "8,16,28", "--upsample-to", "28", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        using var json = JsonDocument.Parse(outcome.Stdout);
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal([8, 16, 28], rows.Select(r => r.GetProperty("test_size").GetInt32()));
        Assert.All(rows, r => Assert.Equal(28, r.GetProperty("input_size").GetInt32()));
        Assert.Single(rows.Select(r => r.GetProperty("macs").GetInt64()).Distinct());

        var native = MsunProcess.Run("macs", "--model", "resnet18-small", "--sizes", "28", "--json");
        using var nativeJson = JsonDocument.Parse(native.Stdout);
        Assert.Equal(nativeJson.RootElement.GetProperty("rows")[0].GetProperty("macs").GetInt64(), rows[0].GetProperty("macs").GetInt64());
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["--model", "resnet19", "--sizes", "224"], "--model: unknown backbone 'resnet19'; known backbones: resnet18, resnet50," },
        { ["--sizes", "224"], "--model is required; known backbones: resnet18" },
        { ["--model", "resnet18", "--sizes", "0,32"], "--sizes: 0 is not a positive size" },
        { ["--model", "resnet18", "--sizes", "-8"], "--sizes: -8 is not a positive size" },
        { ["--model", "resnet18", "--sizes", ""], "--sizes: the list is empty" },
        { ["--model", "resnet18", "--sizes", " , "], "--sizes: the list is empty" },
        { ["--model", "resnet18", "--sizes", "32,big"], "--sizes: 'big' is not a positive whole number" },
        { ["--model", "vgg16-bn", "--sizes", "16,64"], "--sizes: 16 is below the minimum input size 32 of vgg16-bn" },
        { ["--model", "resnet18-small", "--sizes", "8,32", "--upsample-to", "28"], "--sizes: 32 exceeds --upsample-to 28" },
        { ["--model", "vgg16-bn", "--sizes", "8", "--upsample-to", "16"], "--upsample-to: 16 is below the minimum input size 32 of vgg16-bn" },
        { ["--model", "resnet18-small", "--classes", "0"], "--classes: 0 is not a positive number of classes" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputFailsWithOneLineNamingTheOptionAndWritesNothing(string[] args, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("msun-macs-").FullName;
        try
        {
            var outcome = MsunProcess.Run(["macs", .. args, "--csv", Path.Combine(dir, "out.csv")]);
            MsunProcess.AssertOneLineError(outcome, "macs", expected);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void UnwritableCsvPathFailsAndLeavesNothing()
    {
        string dir = Directory.CreateTempSubdirectory("msun-macs-").FullName;
        try
        {
            string missing = Path.Combine(dir, "no-such-folder", "out.csv");
            MsunProcess.AssertOneLineError(MsunProcess.Run("macs", "--model", "resnet18-small", "--sizes", "28", "--csv", missing), "macs",
                $"--csv: cannot write '{missing}': folder {Path.Combine(dir, "no-such-folder")} does not exist");

            string folder = Directory.CreateDirectory(Path.Combine(dir, "a-folder")).FullName;
            MsunProcess.AssertOneLineError(MsunProcess.Run("macs", "--model", "resnet18-small", "--sizes", "28", "--csv", folder), "macs",
                $"--csv: cannot write '{folder}': it is a directory");
            Assert.Equal([folder], Directory.GetFileSystemEntries(dir));
            Assert.Empty(Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
