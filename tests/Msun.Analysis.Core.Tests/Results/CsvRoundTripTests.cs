using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Results;
using Msun.Analysis.Core.SplitSelection;
using Msun.Analysis.Core.Statistics;

namespace Msun.Analysis.Core.Tests.Results;

/// <summary>Write → read → equal for every result type's CSV (and the JSON of the grid and the split), and the CSV dialect itself.</summary>
public class CsvRoundTripTests
{
    private static CkaProfile Profile(bool withStatistics)
    {
        ProfileBlock[] blocks = [new("stem", 1), new("layer \"1\",a", 2), new("layer2", 4)];
        var cells = new List<CkaProfileCell>();
        foreach (var b in blocks)
            foreach (int p in new[] { 7, 21 })
            {
                double[] repeats = [0.1 * b.Index + p / 100.0, -0.0125 * b.Index, 1.0 / 3 + b.Index, b.Name == "layer2" && p == 7 ? double.NaN : 0.25];
                cells.Add(withStatistics && b.Index == 1
                    ? new CkaProfileCell(b.Name, p, repeats, interval: new IntervalSummary(0.1, 0.2, 0.95, 100, 0, 3, "percentile"),
                        nullDistribution: new NullSummary(-0.01, 0.02, [], 50, 0, 4))
                    : new CkaProfileCell(b.Name, p, repeats));
            }

        return new CkaProfile(blocks, [21, 7], cells, withStatistics ? new Dictionary<string, string> { ["model"] = "m" } : new Dictionary<string, string>());
    }

    private static CkaGridSummary Grid()
    {
        string[] rows = ["stem", "layer,1"], columns = ["stem", "layer,1", "layer2"];
        var grids = Enumerable.Range(0, 3).Select(r =>
        {
            var v = new double[2, 3];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++) v[i, j] = i == 1 && j == 2 && r == 1 ? double.NaN : 1.0 / (1 + i + j + r) - 0.1;
            return new CkaGrid(rows, columns, v, new string?[2, 3], "linear", 64, 2, null);
        }).ToArray();
        return new CkaGridSummary(14, grids, new Dictionary<string, string> { ["kernel"] = "linear", ["batch_size"] = "64" });
    }

    private static string Write(Action<TextWriter> write)
    {
        var w = new StringWriter();
        write(w);
        return w.ToString();
    }

    [Fact]
    public void ProfileRepeatsCsvReadsBackTheSameProfile()
    {
        var profile = Profile(withStatistics: false);
        string csv = Write(profile.WriteRepeatsCsv);
        Assert.StartsWith("block,block_index,probe,repeat,cka\nstem,1,7,1,", csv);
        Assert.Contains("\"layer \"\"1\"\",a\",2,7,2,-0.025\n", csv);
        Assert.Contains("layer2,4,7,4,NaN\n", csv);
        var back = CkaProfile.ReadRepeatsCsv(new StringReader(csv));
        Assert.Equal(profile, back);
        Assert.Equal(csv, Write(back.WriteRepeatsCsv));
    }

    [Fact]
    public void ProfileRepeatsCsvWithAGapOrAnUnknownColumnLayoutIsRejected()
    {
        Assert.Contains("has repeats 1, 3; expected 1..2",
            Assert.Throws<InvalidDataException>(() => CkaProfile.ReadRepeatsCsv(new StringReader("block,block_index,probe,repeat,cka\na,1,7,1,0.5\na,1,7,3,0.5\n"), "p.csv")).Message);
        Assert.Contains("p.csv: the header lacks column(s) cka",
            Assert.Throws<InvalidDataException>(() => CkaProfile.ReadRepeatsCsv(new StringReader("block,block_index,probe,repeat\n"), "p.csv")).Message);
        Assert.Contains("row 1: column cka is 'x', not a number",
            Assert.Throws<InvalidDataException>(() => CkaProfile.ReadRepeatsCsv(new StringReader("block,block_index,probe,repeat,cka\na,1,7,1,x\n"), "p.csv")).Message);
    }

    [Fact]
    public void ProfileSummaryCsvRowsRoundTripWithTheirEmptyFields()
    {
        var profile = Profile(withStatistics: true);
        var rows = profile.SummaryRows();
        Assert.Equal(0.1, rows[0].IntervalLow);
        Assert.Null(rows[2].IntervalLow);
        string csv = Write(profile.WriteSummaryCsv);
        Assert.Contains(",,,,4,0\n", csv); // no interval, no null: four empty fields
        var back = CkaProfile.ReadSummaryCsv(new StringReader(csv));
        Assert.Equal(rows, back);
        Assert.True(double.IsNaN(back.Single(r => r.Block == "layer2" && r.Probe == 7).Mean));
        Assert.Equal(csv, Write(w => CkaProfile.WriteSummaryCsv(w, back)));
    }

    [Fact]
    public void GridJsonAndCsvRoundTrip()
    {
        var grid = Grid();
        var back = CkaGridSummary.FromJson(grid.ToJson());
        Assert.Equal(grid, back);
        Assert.Equal(grid.ToJson(), back.ToJson());
        Assert.Equal("linear", back.Repeats[0].Kernel);
        Assert.Equal(64, back.Repeats[0].BatchSize);

        string csv = Write(grid.WriteCsv);
        Assert.StartsWith("row_block,column_block,probe,mean,std,repeats,non_finite\nstem,stem,14,", csv);
        Assert.Contains("\"layer,1\",layer2,14,NaN,NaN,3,1\n", csv);
        var entries = CkaGridSummary.ReadCsv(new StringReader(csv));
        Assert.Equal(grid.Entries(), entries);
        Assert.Equal(grid.Mean[1, 0], entries.Single(e => e.RowBlock == "layer,1" && e.ColumnBlock == "stem").Mean);
        Assert.Equal(csv, Write(w => CkaGridSummary.WriteCsv(w, entries)));
    }

    [Fact]
    public void GridJsonErrorsNameTheProblem()
    {
        Assert.Contains("g.json: expected \"format\": \"msun-cka-grid/1\"; got none",
            Assert.Throws<InvalidDataException>(() => CkaGridSummary.FromJson("{}", "g.json")).Message);
        string json = Grid().ToJson().Replace("\"probe\": 14", "\"probe\": \"x\"", StringComparison.Ordinal);
        Assert.StartsWith("g.json: invalid CKA grid JSON", Assert.Throws<InvalidDataException>(() => CkaGridSummary.FromJson(json, "g.json")).Message);
        var grid = Grid();
        string mean = grid.Mean[0, 0].ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        string text = grid.ToJson();
        int at = text.IndexOf(mean, text.IndexOf("\"mean\"", StringComparison.Ordinal), StringComparison.Ordinal);
        string tampered = text[..at] + "0.123" + text[(at + mean.Length)..];
        Assert.Contains("disagrees with the mean of the repeats", Assert.Throws<InvalidDataException>(() => CkaGridSummary.FromJson(tampered, "g.json")).Message);
    }

    [Fact]
    public void SplitJsonAndCsvRoundTrip()
    {
        var split = SplitSelector.Recommend(new[] { "stem", "layer1", "layer2", "layer3", "layer4" }, new[] { 0.52, 0.86, 0.84, 0.77, 0.39 }, new[] { 0.05, 0.02, 0.03, 0.2, 0.1 }, 32);
        string json = SplitRecommendationJson.ToJson(split, "/p/profile.json");
        var back = SplitRecommendationJson.FromJson(json, "s.json");
        Assert.Equal(json, SplitRecommendationJson.ToJson(back, "/p/profile.json"));
        Assert.Equal(split.Explain(), back.Explain());
        Assert.Equal(split.Options, back.Options);
        Assert.Equal(split.Probes.Single().Blocks, back.Probes.Single().Blocks);
        Assert.Equal("/p/profile.json", SplitRecommendationJson.SourceOf(json));

        string csv = Write(w => SplitRecommendationCsv.Write(w, split));
        Assert.StartsWith("probe,threshold,probe_split,block,block_index,mean,lower,upper,status\n", csv);
        // Independent expectation: the stem's ±1 std band is 0.52 ∓ 0.05, and it lies below τ.
        var stemRow = csv.Split('\n')[1].Split(',');
        Assert.Equal(["32", "stem", "1", "0.52", "sensitive"], new[] { stemRow[0], stemRow[3], stemRow[4], stemRow[5], stemRow[8] });
        Assert.Equal(0.47, double.Parse(stemRow[6], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal(0.57, double.Parse(stemRow[7], System.Globalization.CultureInfo.InvariantCulture), 12);
        var rows = SplitRecommendationCsv.Read(new StringReader(csv));
        Assert.Equal(SplitRecommendationCsv.Rows(split), rows);
        Assert.Contains("row 1: status 'bogus'",
            Assert.Throws<InvalidDataException>(() => SplitRecommendationCsv.Read(new StringReader(csv.Replace("sensitive", "bogus")))).Message);
    }

    [Fact]
    public void SplitJsonWithoutTheNewerFieldStillReads()
    {
        var split = SplitSelector.Recommend(new[] { "a", "b", "c", "d" }, new[] { 0.3, 0.9, 0.85, 0.2 }, null, 14, new SplitRuleOptions(uncertainty: UncertaintyRule.None));
        string json = SplitRecommendationJson.ToJson(split);
        string older = System.Text.RegularExpressions.Regex.Replace(json, "\\s*\"sensitive_prefix_at_means\": \\d+,", "");
        Assert.NotEqual(json, older);
        Assert.Equal(json, SplitRecommendationJson.ToJson(SplitRecommendationJson.FromJson(older)));
        Assert.Contains("s.json: invalid split JSON",
            Assert.Throws<InvalidDataException>(() => SplitRecommendationJson.FromJson(json.Replace("\"midpoint\"", "\"median\""), "s.json")).Message);
    }

    [Fact]
    public void TheDialectQuotesOnlyWhenNeededAndRejectsBrokenQuoting()
    {
        var table = new MacTable([new MacTableRow("=cmd|' /C calc'!A0", 8, "a\"b", 28, 1, 2, 3), new MacTableRow("line\nbreak", 9, "-x", 28, 1, 2, 3)]);
        string csv = Write(table.WriteCsv);
        Assert.Equal("model,test_size,branch,input_size,parameters,macs,other_ops\n=cmd|' /C calc'!A0,8,\"a\"\"b\",28,1,2,3\n\"line\nbreak\",9,-x,28,1,2,3\n", csv);
        Assert.Equal(table, MacTable.ReadCsv(new StringReader(csv)));
        var e = Assert.Throws<InvalidDataException>(() => MacTable.ReadCsv(new StringReader("model,test_size,branch,input_size,parameters,macs,other_ops\n\"open,8,n,28,1,2,3\n"), "m.csv"));
        Assert.StartsWith("m.csv: ", e.Message);
        Assert.Contains("row 1 has 6 fields; the header has 7",
            Assert.Throws<InvalidDataException>(() => MacTable.ReadCsv(new StringReader("model,test_size,branch,input_size,parameters,macs,other_ops\nm,8,n,28,1,2\n"), "m.csv")).Message);
    }
}
