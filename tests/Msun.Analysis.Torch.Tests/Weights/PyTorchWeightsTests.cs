using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Weights;

[Collection("Torch")]
public sealed class PyTorchWeightsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("msun-weights-").FullName;
    private readonly Backbone source;
    private readonly Backbone target;

    public PyTorchWeightsTests()
    {
        var spec = BackboneRegistry.Get("resnet18-small");
        manual_seed(1);
        source = spec.Create();
        manual_seed(2);
        target = spec.Create();
        // Give the buffers non-default values too, so a skipped buffer would show.
        using var noGrad = no_grad();
        foreach (var (name, t) in source.state_dict())
        {
            if (name.EndsWith("running_mean")) t.uniform_(-1, 1);
            if (name.EndsWith("running_var")) t.uniform_(0.5, 2);
            if (name.EndsWith("num_batches_tracked")) t.fill_(7);
        }
    }

    public void Dispose()
    {
        source.Dispose();
        target.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(dir, name);

    private static void AssertSameState(nn.Module expected, nn.Module actual)
    {
        var e = expected.state_dict();
        var a = actual.state_dict();
        Assert.Equal(e.Keys.Order(), a.Keys.Order());
        foreach (var (key, t) in e)
        {
            Assert.Equal(t.dtype, a[key].dtype);
            Assert.True(Same(t, a[key]), $"{key} differs");
        }
    }

    private static bool SameState(nn.Module x, nn.Module y) =>
        x.state_dict().All(p => Same(p.Value, y.state_dict()[p.Key]));

    private static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }

    [Fact]
    public void HandWrittenSafetensorsLoadsIntoARegisteredBackbone()
    {
        var path = PathOf("resnet.safetensors");
        HandWrittenSafetensors.Write(path, source.state_dict());
        Assert.False(SameState(source, target));
        Assert.Equal(WeightFormat.Safetensors, PyTorchWeights.DetectFormat(path));

        var report = PyTorchWeights.Load(target, path);

        Assert.True(report.IsExact);
        Assert.Equal(source.state_dict().Count, report.Loaded.Count);
        Assert.Contains("bn1.num_batches_tracked", report.Loaded);
        Assert.Empty(report.Converted);
        AssertSameState(source, target);
    }

    public static TheoryData<string, string> Defects => new()
    {
        { "missing", "missing keys (1, in the module but not in the file): layer2.0.bn1.running_var" },
        { "extra", "unexpected keys (1, in the file but not in the module): layer9.weight" },
        { "shape", "shape mismatches (1): fc.weight: expected [10, 128], found [10, 64]" },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void ADefectiveFileFailsWithTheListedProblemAndLoadsNothing(string defect, string listed)
    {
        var state = source.state_dict().Select(p => (p.Key, p.Value)).ToList();
        using var extra = ones(3);
        using var narrow = zeros(10, 64);
        switch (defect)
        {
            case "missing": state.RemoveAll(p => p.Key == "layer2.0.bn1.running_var"); break;
            case "extra": state.Add(("layer9.weight", extra)); break;
            case "shape": state[state.FindIndex(p => p.Key == "fc.weight")] = ("fc.weight", narrow); break;
        }

        var path = PathOf($"{defect}.safetensors");
        HandWrittenSafetensors.Write(path, state);
        using var before = target.state_dict()["conv1.weight"].clone();

        var e = Assert.Throws<WeightLoadException>(() => PyTorchWeights.Load(target, path));

        Assert.Contains(listed, e.Message);
        Assert.Contains(path, e.Message);
        Assert.Empty(e.Report.Loaded);
        Assert.True(Same(before, target.state_dict()["conv1.weight"])); // nothing was copied
    }

    [Fact]
    public void OneErrorListsEveryKindOfProblem()
    {
        var state = source.state_dict().Where(p => p.Key != "bn1.weight").Select(p => (p.Key, p.Value)).ToList();
        using var extra = ones(2);
        using var wide = zeros(10, 256);
        state.Add(("head.bias", extra));
        state[state.FindIndex(p => p.Key == "fc.weight")] = ("fc.weight", wide);
        var path = PathOf("all.safetensors");
        HandWrittenSafetensors.Write(path, state);

        var report = Assert.Throws<WeightLoadException>(() => PyTorchWeights.Load(target, path)).Report;

        Assert.Equal(["bn1.weight"], report.Missing);
        Assert.Equal(["head.bias"], report.Unexpected);
        var mismatch = Assert.Single(report.ShapeMismatches);
        Assert.Equal("fc.weight", mismatch.Key);
        Assert.Equal(new long[] { 10, 128 }, mismatch.Expected);
        Assert.Equal(new long[] { 10, 256 }, mismatch.Found);
    }

    [Fact]
    public void NonStrictLoadsWhatMatchesAndReportsTheRest()
    {
        var state = source.state_dict().Where(p => p.Key != "fc.bias").Select(p => (p.Key, p.Value)).ToList();
        using var extra = ones(2);
        state.Add(("aux.weight", extra));
        var path = PathOf("partial.safetensors");
        HandWrittenSafetensors.Write(path, state);
        using var fcBias = target.state_dict()["fc.bias"].clone();

        var report = PyTorchWeights.Load(target, path, new WeightLoadOptions(strict: false));

        Assert.False(report.IsExact);
        Assert.Equal(["fc.bias"], report.Missing);
        Assert.Equal(["aux.weight"], report.Unexpected);
        Assert.True(Same(source.state_dict()["layer3.1.conv2.weight"], target.state_dict()["layer3.1.conv2.weight"]));
        Assert.True(Same(fcBias, target.state_dict()["fc.bias"]));
    }

    [Fact]
    public void PtRoundTripsThroughPyBridgesWriterAndReader()
    {
        var path = PathOf("resnet.pt");
        PyTorchWeights.Save(source, path);
        Assert.Equal(WeightFormat.PyTorch, PyTorchWeights.DetectFormat(path));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp")); // written atomically, no temporary left

        var report = PyTorchWeights.Load(target, path);

        Assert.True(report.IsExact);
        Assert.Equal(WeightFormat.PyTorch, report.Format);
        AssertSameState(source, target);
    }

    [Fact]
    public void PtKeysWithADataParallelPrefixLoadWhenThePrefixIsStripped()
    {
        var path = PathOf("prefixed.pt");
        // What torch.save(nn.DataParallel(model).state_dict()) holds: every key under "module.".
        var prefixed = source.state_dict().ToDictionary(p => "module." + p.Key, p => p.Value);
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(path, prefixed);

        var strictFail = Assert.Throws<WeightLoadException>(() => PyTorchWeights.Load(target, path));
        Assert.True(strictFail.Message.Contains("module.conv1.weight"), strictFail.Message);
        PyTorchWeights.Load(target, path, new WeightLoadOptions(stripPrefix: "module."));
        AssertSameState(source, target);
    }

    [Fact]
    public void TimmStyleKeysLoadThroughPrefixRulesAndTheReportNamesEveryRename()
    {
        // A hand-built safetensors file as a wrapped timm model saves it: everything under "model.", the classifier as
        // "head.fc." instead of torchvision's "fc.".
        var path = PathOf("timm.safetensors");
        HandWrittenSafetensors.Write(path, source.state_dict().Select(p =>
            ("model." + (p.Key.StartsWith("fc.") ? "head." + p.Key : p.Key), p.Value)));
        var rules = new[] { new KeyRename("model.head.fc.", "fc."), new KeyRename("model.", "") };

        var strictFail = Assert.Throws<WeightLoadException>(() => PyTorchWeights.Load(target, path));
        Assert.Equal(source.state_dict().Count, strictFail.Report.Missing.Count);
        Assert.False(SameState(source, target)); // nothing loaded

        var report = PyTorchWeights.Load(target, path, new WeightLoadOptions(renames: rules));
        Assert.True(report.IsExact);
        Assert.Equal(source.state_dict().Count, report.RenamedKeys.Count);
        Assert.Contains(("model.head.fc.weight", "fc.weight"), report.RenamedKeys); // the first matching rule wins
        Assert.Contains(("model.layer2.0.conv1.weight", "layer2.0.conv1.weight"), report.RenamedKeys);
        AssertSameState(source, target);
    }

    [Fact]
    public void TheReportSeparatesMatchedMissingUnexpectedAndMismatchedKeys()
    {
        // Hand-built: fc.bias left out, one extra tensor, everything else under "module.".
        var path = PathOf("partial.safetensors");
        var entries = source.state_dict().Where(p => p.Key != "fc.bias").Select(p => ("module." + p.Key, p.Value)).ToList();
        using var extra = ones(3);
        entries.Add(("module.aux.weight", extra));
        HandWrittenSafetensors.Write(path, entries);
        var rules = new WeightLoadOptions(stripPrefix: "module.");

        var strict = Assert.Throws<WeightLoadException>(() => PyTorchWeights.Load(target, path, rules)).Report;
        Assert.Equal(["fc.bias"], strict.Missing);
        Assert.Equal(["aux.weight"], strict.Unexpected);
        Assert.Empty(strict.Loaded);

        var lenient = PyTorchWeights.Load(target, path, new WeightLoadOptions(strict: false, stripPrefix: "module."));
        Assert.Equal(source.state_dict().Count - 1, lenient.Loaded.Count);
        Assert.Equal(["fc.bias"], lenient.Missing);
        Assert.Equal(["aux.weight"], lenient.Unexpected);
        Assert.Contains("missing keys (1, in the module but not in the file): fc.bias", lenient.Describe());
        Assert.True(Same(source.state_dict()["layer1.0.conv1.weight"], target.state_dict()["layer1.0.conv1.weight"]));

        // A shape mismatch fails even when not strict, names expected and found, and loads nothing.
        var wrong = PathOf("mismatch.safetensors");
        using var narrow = zeros(10, 64);
        HandWrittenSafetensors.Write(wrong, source.state_dict().Select(p => (p.Key, p.Key == "fc.weight" ? narrow : p.Value)));
        manual_seed(9);
        using var fresh = BackboneRegistry.Get("resnet18-small").Create();
        var before = fresh.state_dict()["conv1.weight"].clone();
        var mismatch = Assert.Throws<WeightLoadException>(() => PyTorchWeights.Load(fresh, wrong, new WeightLoadOptions(strict: false))).Report;
        var only = Assert.Single(mismatch.ShapeMismatches);
        Assert.Equal("fc.weight", only.Key);
        Assert.Equal([10L, 128L], only.Expected);
        Assert.Equal([10L, 64L], only.Found);
        Assert.True(Same(before, fresh.state_dict()["conv1.weight"]));
    }

    [Fact]
    public void RenameRulesThatCollideOrCannotApplyAreRefused()
    {
        var path = PathOf("collide.safetensors");
        HandWrittenSafetensors.Write(path, source.state_dict().Select(p => (p.Key, p.Value)).Append(("module.fc.bias", source.state_dict()["fc.bias"])));
        var e = Assert.Throws<WeightFormatException>(() => PyTorchWeights.Load(target, path, new WeightLoadOptions(renames: [new("module.", "")])));
        Assert.Contains("'fc.bias' and 'module.fc.bias' both become 'fc.bias'", e.Message);
        Assert.Contains("renames", Assert.Throws<ArgumentException>(() => new WeightLoadOptions(renames: [new("", "x.")])).Message);
        Assert.Contains("two rules", Assert.Throws<ArgumentException>(() => new WeightLoadOptions(stripPrefix: "m.", renames: [new("m.", "n.")])).Message);
    }

    [Fact]
    public void ATrainingCheckpointLoadsThroughItsStateDictKey()
    {
        var path = PathOf("checkpoint.pt");
        var checkpoint = new System.Collections.Hashtable
        {
            ["state_dict"] = new System.Collections.Hashtable(source.state_dict()),
            ["epoch"] = 3,
        };
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(path, checkpoint);

        var e = Assert.Throws<WeightFormatException>(() => PyTorchWeights.Load(target, path));
        Assert.Contains("stateDictKey", e.Message);
        Assert.Contains("epoch", e.Message);
        PyTorchWeights.Load(target, path, new WeightLoadOptions(stateDictKey: "state_dict"));
        AssertSameState(source, target);
    }

    [Fact]
    public void SafetensorsWrittenBySaveRoundTrips()
    {
        var path = PathOf("saved.safetensors");
        PyTorchWeights.Save(source, path);
        Assert.Equal(WeightFormat.Safetensors, PyTorchWeights.DetectFormat(path));
        Assert.True(PyTorchWeights.Load(target, path).IsExact);
        AssertSameState(source, target);
    }

    [Fact]
    public void Float64FileValuesAreConvertedAndReported()
    {
        var path = PathOf("f64.safetensors");
        var state = source.state_dict().ToList();
        using var fc64 = state.First(p => p.Key == "fc.weight").Value.to_type(ScalarType.Float64);
        HandWrittenSafetensors.Write(path, state.Select(p => (p.Key, p.Key == "fc.weight" ? fc64 : p.Value)));

        var report = PyTorchWeights.Load(target, path);

        Assert.Equal(["fc.weight"], report.Converted);
        Assert.Equal(ScalarType.Float32, target.state_dict()["fc.weight"].dtype);
        AssertSameState(source, target);
    }

    [Fact]
    public void DamagedOrForeignFilesFailWithAFormatError()
    {
        var path = PathOf("short.safetensors");
        HandWrittenSafetensors.Write(path, [("w", source.state_dict()["fc.weight"])]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]); // data cut short
        Assert.Contains("'w'", Assert.Throws<WeightFormatException>(() => PyTorchWeights.Load(target, path)).Message);

        var text = PathOf("notes.txt");
        File.WriteAllText(text, "not weights");
        Assert.Contains("neither", Assert.Throws<WeightFormatException>(() => PyTorchWeights.Load(target, text)).Message);
        Assert.Throws<FileNotFoundException>(() => PyTorchWeights.Load(target, PathOf("absent.pt")));
    }

    [Fact]
    public void TheModelLoaderTakesTheSameKeyRenamesAsTheWeightsLoader()
    {
        // DataParallel-style keys ("module." before every name): the study's model loader refuses them strictly, and
        // loads them exactly with the rename rule the weights loader takes.
        var path = PathOf("wrapped.safetensors");
        HandWrittenSafetensors.Write(path, source.state_dict().Select(p => ("module." + p.Key, p.Value)));
        Assert.Throws<WeightLoadException>(() => Msun.Analysis.Torch.Pipeline.ModelLoader.FromPyTorchWeights("resnet18-small", path));

        using var loaded = Msun.Analysis.Torch.Pipeline.ModelLoader.FromPyTorchWeights("resnet18-small", path,
            loadOptions: new WeightLoadOptions(renames: [new KeyRename("module.", "")]));
        AssertSameState(source, loaded.Model);
    }
}
