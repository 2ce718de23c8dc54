using System.Text;
using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Core.Tests.Results;

public class ResultFilesTests
{
    private static MultiScaleAccuracy Sample(string model, string scoring, string branch = "network") => new(
        model, scoring, 28,
        [
            new SizeAccuracy(8, branch, [3, 0, 5], [10, 7, 9]),
            new SizeAccuracy(16, branch, [9, 6, 8], [10, 7, 9]),
            new SizeAccuracy(28, "large", [10, 7, 9], [10, 7, 9]),
        ],
        new Dictionary<string, string> { ["seed"] = "7", ["dataset"] = "fashion-mnist/test; subset of 26: \"first\", seeded", ["checkpoint"] = "none" });

    private static IReadOnlyList<MultiScaleAccuracy> Results() =>
    [
        Sample("vanilla, resnet18-small \"v1\"", MultiScaleScoring.Routed),
        Sample("msun", MultiScaleScoring.BestOfBranches, "small"),
        Sample("msun", MultiScaleScoring.Branch("mid")),
    ];

    [Fact]
    public void DerivedNumbersFollowTheCounts()
    {
        var r = Sample("m", MultiScaleScoring.Routed);
        Assert.Equal(26, r.Images);
        Assert.Equal(3, r.Classes);
        Assert.Equal(8.0 / 26, r.Sizes[0].Accuracy, 15);
        Assert.Equal((8.0 / 26 + 23.0 / 26 + 1.0) / 3, r.MeanAccuracy, 15);
        Assert.Equal(23.0 / 26, r.AccuracyAt(16), 15);
        Assert.Contains("8, 16, 28", Assert.Throws<ArgumentException>(() => r.AccuracyAt(12)).Message);
        Assert.Equal([8, 16, 28], r.TestSizes);
    }

    [Fact]
    public void JsonRoundTripKeepsEverything()
    {
        var results = Results();
        using var stream = new MemoryStream();
        MultiScaleResultFiles.WriteJson(stream, results);
        stream.Position = 0;
        var back = MultiScaleResultFiles.ReadJson(stream);
        Assert.Equal(results, back);
        Assert.Contains("\"mean_accuracy\"", MultiScaleResultFiles.ToJson(results));
    }

    [Fact]
    public void CsvRoundTripKeepsTheTableButNotTheProvenance()
    {
        var results = Results();
        var writer = new StringWriter();
        MultiScaleResultFiles.WriteCsv(writer, results);
        string text = writer.ToString();
        Assert.StartsWith("model,scoring,reference_size,size,branch,images,correct,accuracy,class_0_correct,class_0_total,", text);
        Assert.Equal(1 + 9, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var back = MultiScaleResultFiles.ReadCsv(new StringReader(text));
        Assert.Equal(results.Select(r => r.WithProvenance(null)), back);
    }

    [Fact]
    public void FilesRoundTripAndFailedWritesLeaveNothing()
    {
        string dir = Directory.CreateTempSubdirectory("msun-results-").FullName;
        try
        {
            var results = Results();
            MultiScaleResultFiles.WriteJsonFile(Path.Combine(dir, "r.json"), results);
            MultiScaleResultFiles.WriteCsvFile(Path.Combine(dir, "r.csv"), results);
            Assert.Equal(results, MultiScaleResultFiles.ReadJsonFile(Path.Combine(dir, "r.json")));
            Assert.Equal(results.Select(r => r.WithProvenance(null)), MultiScaleResultFiles.ReadCsvFile(Path.Combine(dir, "r.csv")));

            Assert.Throws<DirectoryNotFoundException>(() => MultiScaleResultFiles.WriteCsvFile(Path.Combine(dir, "no", "r.csv"), results));
            Assert.ThrowsAny<IOException>(() => MultiScaleResultFiles.WriteJsonFile(dir, results));
            var mixed = new[] { results[0], new MultiScaleAccuracy("x", "routed", 28, [new SizeAccuracy(8, "network", [1], [2])]) };
            Assert.Throws<ArgumentException>(() => MultiScaleResultFiles.WriteCsvFile(Path.Combine(dir, "mixed.csv"), mixed));
            Assert.Equal(["r.csv", "r.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ReadersRejectInconsistentOrForeignFiles()
    {
        var writer = new StringWriter();
        MultiScaleResultFiles.WriteCsv(writer, [Sample("m", "routed")]);
        string tampered = writer.ToString().Replace(",28,8,network,26,8,", ",28,8,network,26,9,", StringComparison.Ordinal);
        Assert.Contains("disagree", Assert.Throws<InvalidDataException>(() => MultiScaleResultFiles.ReadCsv(new StringReader(tampered))).Message);
        Assert.Contains("lacks column(s) accuracy",
            Assert.Throws<InvalidDataException>(() => MultiScaleResultFiles.ReadCsv(new StringReader("model,scoring,reference_size,size,branch,images,correct\n"))).Message);
        var foreign = new MemoryStream(Encoding.UTF8.GetBytes("{\"format\": \"other/1\", \"results\": []}"));
        Assert.Contains("other/1", Assert.Throws<InvalidDataException>(() => MultiScaleResultFiles.ReadJson(foreign)).Message);
        Assert.Throws<InvalidDataException>(() => MultiScaleResultFiles.ReadJson(new MemoryStream("not json"u8.ToArray())));
    }

    [Fact]
    public void RecordsValidateTheirCounts()
    {
        Assert.Throws<ArgumentException>(() => new SizeAccuracy(8, "network", [3], [2]));
        Assert.Throws<ArgumentException>(() => new SizeAccuracy(8, "network", [1, 2], [2]));
        Assert.Throws<ArgumentException>(() => new SizeAccuracy(8, "network", [0], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SizeAccuracy(0, "network", [0], [1]));
        Assert.Throws<ArgumentException>(() => new MultiScaleAccuracy("m", "routed", 28,
            [new SizeAccuracy(8, "network", [1], [2]), new SizeAccuracy(8, "network", [1], [2])]));
        Assert.Throws<ArgumentException>(() => new MultiScaleAccuracy("m", "routed", 28,
            [new SizeAccuracy(8, "network", [1], [2]), new SizeAccuracy(16, "network", [1], [3])]));
    }

    [Fact]
    public void MacTableRoundTripsThroughJsonAndCsv()
    {
        var table = new MacTable(
        [
            MacTableRow.ForBackbone("resnet18", 224, 11_689_512, 1_814_073_344, 4_315_136),
            new MacTableRow("msun, \"small\"", 8, "small", 8, 1000, 20_000, 300),
            new MacTableRow("vanilla", 8, MacTableRow.SingleNetworkBranch, 28, 701_178, 28_573_184, 122_048),
        ], new Dictionary<string, string> { ["counting"] = "conv + linear", ["classes"] = "10" });

        using var stream = new MemoryStream();
        table.WriteJson(stream);
        stream.Position = 0;
        Assert.Equal(table, MacTable.ReadJson(stream));

        var writer = new StringWriter();
        table.WriteCsv(writer);
        Assert.StartsWith("model,test_size,branch,input_size,parameters,macs,other_ops\nresnet18,224,network,224,11689512,1814073344,4315136\n", writer.ToString());
        Assert.Equal(new MacTable(table.Rows), MacTable.ReadCsv(new StringReader(writer.ToString())));
        Assert.Equal(1.814073344, table.Rows[0].GigaMacs, 12);
        Assert.Throws<InvalidDataException>(() => MacTable.ReadCsv(new StringReader("model,test_size,branch,input_size,parameters,macs,other_ops\nx,1,network,1,1,-5,0\n")));
    }
}
