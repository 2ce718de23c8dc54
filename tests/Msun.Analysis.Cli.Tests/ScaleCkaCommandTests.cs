using System.Text.Json;

namespace Msun.Analysis.Cli.Tests;

/// <summary><c>msun scale-cka</c> at a reference size other than the dataset's native one.</summary>
public sealed class ScaleCkaCommandTests
{
    [Fact]
    public void AReferenceAboveTheNativeSizeResizesTheImagesFirst()
    {
        var run = MsunProcess.Run("scale-cka", "--images", "64", "--batch-size", "16", "--reference", "56", "--probes", "14,28", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(56, json.RootElement.GetProperty("reference").GetInt32());
        var probes = json.RootElement.GetProperty("probes").EnumerateArray().ToArray();
        Assert.Equal([14, 28], probes.Select(p => p.GetProperty("probe").GetInt32()));
        double at14 = probes[0].GetProperty("linear").GetDouble(), at28 = probes[1].GetProperty("linear").GetDouble();
        // The 56 px reference is a 2× upsample of the 28 px image, so going down to 28 and back loses little, and
        // down to 14 loses more: CKA decreases with the scale gap and stays in (0, 1].
        Assert.InRange(at28, 0.9, 1.0);
        Assert.InRange(at14, 0.0, at28);
        Assert.Equal(Core.Tests.LinearAlgebra.BlasTests.OpenBlasPackageInstalled() ? "OpenBlas" : "Managed",
            json.RootElement.GetProperty("blas").GetString());
    }

    [Fact]
    public void TheBlasBackendInUseIsRecorded()
    {
        var managed = MsunProcess.RunWithEnvironment(new() { ["MSUN_BLAS"] = "managed" },
            "scale-cka", "--images", "16", "--batch-size", "8", "--probes", "14", "--json");
        Assert.True(managed.ExitCode == 0, managed.Stderr);
        using var json = JsonDocument.Parse(managed.Stdout);
        Assert.Equal("Managed", json.RootElement.GetProperty("blas").GetString());
        Assert.DoesNotContain("OpenBLAS could not be loaded", managed.Stderr); // asked for: no note
    }
}
