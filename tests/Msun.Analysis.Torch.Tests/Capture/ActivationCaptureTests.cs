using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Capture;
using Msun.Analysis.Torch.Cka;
using Msun.Analysis.Torch.Tests.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Capture;

[Collection("Torch")]
public sealed class ActivationCaptureTests(BackboneCache cache) : IClassFixture<BackboneCache>
{
    private Backbone Small()
    {
        var model = cache.Get("resnet18-small");
        model.eval();
        return model;
    }

    private static Tensor Images(int n, int size, int seed)
    {
        manual_seed(seed);
        return rand(n, 1, size, size);
    }

    [Fact]
    public void CopyIsTakenInsideTheHookBeforeALaterModuleChangesTheTensorInPlace()
    {
        manual_seed(11);
        using var model = new InPlaceChain();
        using var x = randn(6, 5);
        using var expected = model.First.forward(x); // what 'first' computes, before any in-place change

        // A naive hook that keeps the tensor and reads it after the forward sees the in-place +100.
        Tensor? kept = null;
        var naive = model.First.register_forward_hook((_, _, output) =>
        {
            kept = output.alias().DetachFromDisposeScope();
            return null!;
        });
        Assert.Equal(1, HookCount.Total(model)); // the counter used by the removal tests does see hooks
        var batch = ActivationCapture.Create(model, ["first"]).Run(x);
        naive.remove();

        var captured = batch["first"].Matrix;
        using var keptCpu = kept!;
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(expected[r, c].ToSingle(), (float)captured[r, c]);
                Assert.Equal(expected[r, c].ToSingle() + 100f, keptCpu[r, c].ToSingle(), 3);
            }
    }

    [Fact]
    public void StageCaptureEqualsRunningTheStagesByHand()
    {
        var model = Small();
        using var x = Images(4, 8, 3);
        var batch = ActivationCapture.ForStages(model).Run(x);
        Assert.Equal(model.Stages.Select(s => s.Name), batch.Names);
        using var noGrad = no_grad();
        for (int i = 0; i < model.Stages.Count; i++)
        {
            using var byHand = model.ForwardStages(x, 0, i + 1);
            var expected = TensorCka.ToFeatureMatrix(byHand, "hand");
            var got = batch[i].Matrix;
            Assert.Equal((expected.Rows, expected.Columns), (got.Rows, got.Columns));
            Assert.Equal(byHand.shape, batch[i].TensorShape);
            for (int r = 0; r < got.Rows; r++)
                for (int c = 0; c < got.Columns; c++)
                    Assert.Equal(expected[r, c], got[r, c], 1e-6);
        }
    }

    [Theory]
    [InlineData("resnet18-small")]
    [InlineData("vgg16-bn-small")]
    [InlineData("densenet-small")]
    [InlineData("mobilenetv2-small")]
    public void EveryStageOfASmallBackboneIsCapturedWithItsDeclaredShape(string name)
    {
        var model = cache.Get(name);
        model.eval();
        var spec = BackboneRegistry.Get(name);
        using var x = Images(2, 16, 12);
        var batch = ActivationCapture.ForStages(model, new CaptureOptions(ActivationPolicy.SpatialMean)).Run(x);
        Assert.Equal(spec.StageNames, batch.Names);
        var declared = spec.StageOutputShapes(16);
        for (int i = 0; i < declared.Count; i++)
        {
            Assert.Equal(declared[i].WithBatch(2), batch[i].TensorShape);
            Assert.Equal(declared[i].Channels, batch[i].Columns);
        }
    }

    [Fact]
    public void ARecycledBatchGetsTheSameValuesInItsOwnArrays()
    {
        var model = Small();
        var capture = ActivationCapture.Create(model, ["layer1", "layer3"]);
        var first = capture.Run(Images(4, 32, 1));
        var fresh = capture.Run(Images(4, 32, 2));
        var recycled = capture.Run(Images(4, 32, 2), first);
        for (int i = 0; i < fresh.Count; i++)
        {
            Assert.Same(first[i].SingleData, recycled[i].SingleData); // written in place, no new array
            Assert.Equal(fresh[i].SingleData!, recycled[i].SingleData!);
            Assert.NotSame(first[i].Matrix, recycled[i].Matrix); // a new matrix: nothing cached on the old one can match it
        }

        // Another input size: the arrays no longer fit and new ones are made; the recycled batch is left as it was.
        var larger = capture.Run(Images(4, 40, 3), recycled);
        var expected = capture.Run(Images(4, 40, 3));
        Assert.NotSame(recycled[0].SingleData, larger[0].SingleData);
        Assert.Equal(expected[0].SingleData!, larger[0].SingleData!);
        Assert.Equal(fresh[0].SingleData!, recycled[0].SingleData!);
    }

    [Fact]
    public void SpatialMeanAveragesOverHeightAndWidthPerChannel()
    {
        var model = Small();
        using var x = Images(3, 8, 4);
        var flat = ActivationCapture.Create(model, ["layer2"]).Run(x)["layer2"];
        var mean = ActivationCapture.Create(model, ["layer2"], new CaptureOptions(ActivationPolicy.SpatialMean)).Run(x)["layer2"];
        long c = flat.TensorShape[1], hw = flat.TensorShape[2] * flat.TensorShape[3];
        Assert.Equal(c * hw, flat.Columns);
        Assert.Equal(c, mean.Columns);
        for (int r = 0; r < 3; r++)
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (int k = 0; k < hw; k++) sum += flat.Matrix[r, (int)(ch * hw + k)]; // C order: channel-major
                Assert.Equal(sum / hw, mean.Matrix[r, ch], 1e-5);
            }
    }

    [Fact]
    public void UnknownLayerFailsWithTheValidNames()
    {
        var model = Small();
        var e = Assert.Throws<ArgumentException>(() => ActivationCapture.Create(model, ["layer9"]));
        Assert.Contains("layer9", e.Message);
        Assert.Contains("Stages: relu, layer1, layer2, layer3, layer4", e.Message);
        // The five paths nearest in edit distance (ties in ordinal order), not the whole tree.
        Assert.Contains("Nearest module paths: layer1, layer2, layer3, layer4, layer1.0 (", e.Message);
        Assert.DoesNotContain("layer1.0.conv1", e.Message);
        var typo = Assert.Throws<ArgumentException>(() => ActivationCapture.Create(model, ["layer2.0.bn"])).Message;
        Assert.Contains("Nearest module paths: layer2.0.bn1, layer2.0.bn2, layer1.0.bn1, layer1.0.bn2, layer2.1.bn1 (", typo);
        Assert.Contains("layer9", Assert.Throws<ArgumentException>(() => ActivationCapture.Create(model, ["layer1", "layer9"])).Message);
        Assert.Contains("repeat", Assert.Throws<ArgumentException>(() => ActivationCapture.Create(model, ["layer1", "layer1"])).Message);
    }

    [Fact]
    public void AnyUserModuleCanBeCapturedByItsNamedModulesPath()
    {
        manual_seed(5);
        using var model = nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("act", nn.ReLU()), ("flat", nn.Flatten()), ("head", nn.Linear(4 * 5 * 5, 2)));
        using var x = randn(3, 1, 5, 5);
        var batch = ActivationCapture.Create(model, ["head", "conv"]).Run(x);
        Assert.Equal(new[] { "head", "conv" }, batch.Names);
        using var logits = model.call(x);
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 2; k++)
                Assert.Equal(logits[r, k].ToSingle(), (float)batch["head"].Matrix[r, k], 5);
        Assert.Equal(new long[] { 3, 4, 5, 5 }, batch["conv"].TensorShape);
        Assert.Contains("head", ActivationCapture.ValidLayerNames(model));
    }

    [Fact]
    public void AModuleCalledTwiceFailsByDefault()
    {
        var model = Small();
        using var x = Images(2, 8, 6);
        // BasicBlock applies its one ReLU module twice.
        var e = Assert.Throws<InvalidOperationException>(() => ActivationCapture.Create(model, ["layer1.0.relu"]).Run(x));
        Assert.Contains("'layer1.0.relu' ran 2 times", e.Message);
        Assert.Contains("KeepAll", e.Message);
        Assert.Equal(0, HookCount.Total(model));
    }

    [Fact]
    public void KeepAllKeepsEveryCallInOrder()
    {
        var model = Small();
        using var x = Images(2, 8, 7);
        var batch = ActivationCapture.Create(model, ["layer1.0.relu", "layer1.0"], new CaptureOptions(multipleCalls: MultipleCalls.KeepAll)).Run(x);
        Assert.Equal(new[] { "layer1.0.relu#0", "layer1.0.relu#1", "layer1.0" }, batch.Names);
        Assert.Equal(1, batch[1].Call);
        // The second ReLU call is the block's output.
        var last = batch["layer1.0.relu#1"].Matrix;
        var block = batch["layer1.0"].Matrix;
        for (int c = 0; c < block.Columns; c += 7)
            Assert.Equal(block[1, c], last[1, c]);
    }

    [Fact]
    public void HooksAreRemovedWhenTheForwardThrows()
    {
        manual_seed(8);
        using var model = new InPlaceChain();
        using var x = randn(4, 5);
        var capture = ActivationCapture.Create(model, ["first"]);
        model.Trip.Armed = true;
        Assert.Equal("tripwire", Assert.Throws<InvalidOperationException>(() => capture.Run(x)).Message);
        Assert.Equal(0, HookCount.Total(model));

        // A later plain forward fires no hook: a hook left behind would now see its second call and throw.
        model.Trip.Armed = false;
        using (var y = model.call(x)) Assert.Equal(new long[] { 4, 3 }, y.shape);
        Assert.Equal(3, capture.Run(x)["first"].Columns);
        Assert.Equal(0, HookCount.Total(model));
    }

    [Fact]
    public void AModuleThatNeverRunsIsReported()
    {
        using var model = new InPlaceChain();
        using var x = randn(4, 5);
        var e = Assert.Throws<InvalidOperationException>(() => ActivationCapture.Create(model, ["first", "unused"]).Run(x));
        Assert.Contains("'unused'", e.Message);
        Assert.Equal(0, HookCount.Total(model));
    }

    [Fact]
    public void NonFiniteActivationsFailWithTheLayerName()
    {
        using var model = nn.Sequential(("log", new LogModule()));
        using var x = tensor(new float[] { 1, -1, 2, 3 }).reshape(2, 2);
        var e = Assert.Throws<ArgumentException>(() => ActivationCapture.Create(model, ["log"]).Run(x));
        Assert.Contains("log", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void Float64ModelsStayFloat64()
    {
        manual_seed(9);
        using var model = nn.Sequential(("lin", nn.Linear(3, 2, dtype: ScalarType.Float64)));
        using var x = randn(4, 3, dtype: ScalarType.Float64);
        var m = ActivationCapture.Create(model, ["lin"]).Run(x)["lin"].Matrix;
        Assert.False(m.IsSinglePrecision);
    }

    private sealed class LogModule() : nn.Module<Tensor, Tensor>(nameof(LogModule))
    {
        public override Tensor forward(Tensor input) => input.log();
    }
}
