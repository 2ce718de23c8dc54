using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core.Numpy;
using Msun.Analysis.Core.Tests;

namespace Msun.Analysis.Cli.Tests;

public class CkaCommandTests
{
    private static string Reference(string file) => Path.Combine(TestPaths.CkaReferenceDirectory, file);

    private static double ExpectedFromCsv(string caseName, string kernel, string fraction, string debiased)
    {
        string line = File.ReadLines(Reference("expected.csv"))
            .Single(l => l.StartsWith($"{caseName},", StringComparison.Ordinal) && l.Contains($",{kernel},{fraction},{debiased},", StringComparison.Ordinal));
        return double.Parse(line.Split(',')[^1], CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("gauss_vs_noisy", "linear", "", "false")]
    [InlineData("float32_offset_1e4", "linear", "", "true")]
    [InlineData("tanh_layer", "rbf", "0.5", "true")]
    [InlineData("conv_4d_vs_pooled", "rbf", "2.0", "false")]
    public void JsonOutputCarriesTheValueAndItsProvenance(string caseName, string kernel, string fraction, string debiased)
    {
        var args = new List<string> { "cka", Reference($"{caseName}_x.npy"), Reference($"{caseName}_y.npy"), "--kernel", kernel, "--json" };
        if (fraction.Length > 0) args.AddRange(["--sigma-fraction", fraction]);
        if (debiased == "true") args.Add("--debiased");
        var outcome = MsunProcess.Run([.. args]);
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        using var json = JsonDocument.Parse(outcome.Stdout);
        var root = json.RootElement;
        Assert.Equal(ExpectedFromCsv(caseName, kernel, fraction, debiased), root.GetProperty("cka").GetDouble(), 1e-9);
        Assert.Equal(kernel, root.GetProperty("kernel").GetString());
        Assert.Equal(debiased == "true", root.GetProperty("debiased").GetBoolean());
        Assert.Equal(debiased == "true" ? "unbiased" : "biased", root.GetProperty("estimator").GetString());
        Assert.True(root.GetProperty("n").GetInt64() > 0);
        Assert.True(root.GetProperty("d1").GetInt32() > 0);
        Assert.Contains(root.GetProperty("form").GetString(), new[] { "gram", "feature" });
        if (kernel == "rbf") Assert.Contains("median of all n^2", root.GetProperty("sigma_rule").GetString());
        else Assert.Equal(JsonValueKind.Null, root.GetProperty("sigma_rule").ValueKind);
    }

    [Fact]
    public void UndefinedValueIsNullWithAReason()
    {
        string dir = Directory.CreateTempSubdirectory("msun-cli-").FullName;
        Npy.Write(Path.Combine(dir, "dead.npy"), new NpyArray([6, 2], new double[12]));
        Npy.Write(Path.Combine(dir, "live.npy"), new NpyArray([6, 2], Enumerable.Range(0, 12).Select(i => (double)(i * i % 7)).ToArray()));
        var outcome = MsunProcess.Run("cka", Path.Combine(dir, "dead.npy"), Path.Combine(dir, "live.npy"), "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var json = JsonDocument.Parse(outcome.Stdout);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("cka").ValueKind);
        Assert.False(json.RootElement.GetProperty("defined").GetBoolean());
        Assert.Contains("dead.npy", json.RootElement.GetProperty("undefined_reason").GetString());
        Directory.Delete(dir, true);
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["cka", "no-such-file.npy", Reference("tiny_n5_y.npy")], "no-such-file.npy: no such file" },
        { ["cka", Reference("expected.csv"), Reference("tiny_n5_y.npy")], "expected.csv: bad magic" },
        { ["cka", Reference("tiny_n5_x.npy"), Reference("gauss_vs_noisy_y.npy")], "tiny_n5_x.npy has 5 rows (5×3) but gauss_vs_noisy_y.npy has 60" },
        { ["cka", Reference("tiny_n5_x.npy"), Reference("tiny_n5_y.npy"), "--sigma-fraction", "0.5"], "apply to --kernel rbf only" },
        { ["cka", Reference("tiny_n5_x.npy"), Reference("tiny_n5_y.npy"), "--kernel", "rbf", "--sigma-fraction", "-1"], "positive finite" },
        { ["cka", Reference("tiny_n5_x.npy"), Reference("tiny_n5_y.npy"), "--batch-size", "2"], "at least 4 examples" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputFailsWithOneLineNamingTheProblem(string[] args, string expected)
    {
        MsunProcess.AssertOneLineError(MsunProcess.Run(args), "cka", expected);
    }

    [Fact]
    public void TinyCaseNeedsFourExamplesForTheDebiasedEstimatorOnly()
    {
        string dir = Directory.CreateTempSubdirectory("msun-cli-").FullName;
        Npy.Write(Path.Combine(dir, "a.npy"), new NpyArray([3, 2], new double[] { 1, 2, 3, 5, 8, 13 }));
        Npy.Write(Path.Combine(dir, "b.npy"), new NpyArray([3, 1], new float[] { 1, 0, 2 }));
        Assert.Equal(0, MsunProcess.Run("cka", Path.Combine(dir, "a.npy"), Path.Combine(dir, "b.npy")).ExitCode);
        var outcome = MsunProcess.Run("cka", Path.Combine(dir, "a.npy"), Path.Combine(dir, "b.npy"), "--debiased");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("needs at least 4 examples; a.npy and b.npy have 3", outcome.Stderr);
        Directory.Delete(dir, true);
    }
}
