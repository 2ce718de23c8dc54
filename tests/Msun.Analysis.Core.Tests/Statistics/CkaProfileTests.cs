using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Statistics;

public class CkaProfileTests
{
    private static CkaProfile Sample()
    {
        ProfileBlock[] blocks = [new("stem", 1), new("layer,1", 2)];
        CkaProfileCell[] cells =
        [
            new("stem", 32, [0.5, 0.54, 0.52], interval: new IntervalSummary(0.49, 0.55, 0.95, 1000, 0, 7, "percentile bootstrap"),
                nullDistribution: new NullSummary(0.12, 0.01, [new QuantileValue(0.95, 0.14)], 500, 0, 9)),
            new("stem", 128, [0.8, 0.82, 0.81]),
            new("layer,1", 32, [0.86, double.NaN, 0.85]),
            new("layer,1", 128, [0.95, double.NaN, 0.94], NonFinitePolicy.Exclude),
        ];
        return new CkaProfile(blocks, [128, 32], cells, new Dictionary<string, string>
        {
            ["model"] = "resnet50", ["reference_size"] = "224", ["estimator"] = "minibatch unbiased, batch 128", ["seeds"] = "1,2,3",
        });
    }

    [Fact]
    public void JsonRoundTripGivesAnEqualProfile()
    {
        var profile = Sample();
        string json = profile.ToJson();
        Assert.StartsWith("{\n  \"format\": \"msun-cka-profile/1\"", json.ReplaceLineEndings("\n"));
        Assert.Contains("\"NaN\"", json);
        Assert.Contains("\"non_finite\": \"exclude\"", json);
        var back = CkaProfile.FromJson(json);
        Assert.Equal(profile, back);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(0.945, back.Cell("layer,1", 128).Summary.Mean, 12);
        Assert.True(double.IsNaN(back.Cell("layer,1", 32).Summary.Mean));
        Assert.NotEqual(profile, new CkaProfile(profile.Blocks, profile.Probes, profile.Cells, new Dictionary<string, string>()));
    }

    [Fact]
    public void ProbesAreSortedAndCellsOrderedBlockMajor()
    {
        var profile = Sample();
        Assert.Equal([32, 128], profile.Probes);
        Assert.Equal(["stem/32", "stem/128", "layer,1/32", "layer,1/128"], profile.Cells.Select(c => $"{c.Block}/{c.Probe}"));
        Assert.Equal("estimator", profile.Provenance.Keys.First());
    }

    [Fact]
    public void RepeatsCsvIsLongFormat()
    {
        var w = new StringWriter();
        Sample().WriteRepeatsCsv(w);
        string[] lines = w.ToString().Split('\n');
        Assert.Equal("block,block_index,probe,repeat,cka", lines[0]);
        Assert.Equal("stem,1,32,1,0.5", lines[1]);
        Assert.Equal("\"layer,1\",2,32,2,NaN", lines[8]);
        Assert.Equal(14, lines.Length); // header + 12 rows + the empty string after the last newline
    }

    [Fact]
    public void SummaryCsvHasOneRowPerCellAndEmptyFieldsForWhatWasNotComputed()
    {
        var w = new StringWriter();
        Sample().WriteSummaryCsv(w);
        string[] lines = w.ToString().Split('\n');
        Assert.Equal("block,block_index,probe,mean,std,ci_low,ci_high,null_mean,null_std,repeats,non_finite", lines[0]);
        Assert.Equal("stem,1,32,0.52,0.020000000000000018,0.49,0.55,0.12,0.01,3,0", lines[1]);
        Assert.StartsWith("stem,1,128,0.81,", lines[2]);
        Assert.EndsWith(",,,,,3,0", lines[2]);
        Assert.Equal("\"layer,1\",2,32,NaN,NaN,,,,,3,1", lines[3]);
        Assert.StartsWith("\"layer,1\",2,128,0.945,", lines[4]);
    }

    [Fact]
    public void CsvIgnoresTheCurrentCulture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var w = new StringWriter();
            Sample().WriteRepeatsCsv(w);
            Assert.Contains("stem,1,32,2,0.54", w.ToString());
            Assert.Contains("0.52", Sample().ToJson());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void IncompleteOrInconsistentProfilesAreRejected()
    {
        ProfileBlock[] blocks = [new("stem", 1), new("layer1", 2)];
        var none = new Dictionary<string, string>();
        Assert.Contains("block layer1 has no cell for probe 32",
            Assert.Throws<ArgumentException>(() => new CkaProfile(blocks, [32], [new("stem", 32, [0.5])], none)).Message);
        Assert.Contains("more than one cell",
            Assert.Throws<ArgumentException>(() => new CkaProfile(blocks, [32], [new("stem", 32, [0.5]), new("stem", 32, [0.5]), new("layer1", 32, [0.5])], none)).Message);
        Assert.Contains("block layer9, which is not among",
            Assert.Throws<ArgumentException>(() => new CkaProfile(blocks, [32], [new("layer9", 32, [0.5])], none)).Message);
        Assert.Contains("increasing indices",
            Assert.Throws<ArgumentException>(() => new CkaProfile([new("a", 2), new("b", 1)], [32], [new("a", 32, [0.5]), new("b", 32, [0.5])], none)).Message);
        Assert.Contains("at least one block", Assert.Throws<ArgumentException>(() => new CkaProfile([], [32], [], none)).Message);
        Assert.Contains("has no repeats", Assert.Throws<ArgumentException>(() => new CkaProfileCell("stem", 32, [])).Message);
    }

    [Fact]
    public void ForeignOrBrokenJsonIsReportedAsInvalidData()
    {
        Assert.Contains("expected \"format\"", Assert.Throws<InvalidDataException>(() => CkaProfile.FromJson("{\"blocks\": []}")).Message);
        Assert.Throws<InvalidDataException>(() => CkaProfile.FromJson("not json"));
        string json = Sample().ToJson().Replace("\"probe\": 128", "\"probe\": 64");
        Assert.Contains("probe 64", Assert.Throws<InvalidDataException>(() => CkaProfile.FromJson(json)).Message);
    }
}
