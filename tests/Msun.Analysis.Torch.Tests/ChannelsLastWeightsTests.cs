using Msun.Analysis.Torch.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests;

/// <summary>
/// Holding weights channels-last changes strides only: the same values, the same function (to float rounding, checked
/// against float64), and everything back in the default order afterwards, so checkpoints can be written.
/// </summary>
[Collection("Torch")]
public class ChannelsLastWeightsTests
{
    [Fact]
    public void StridesAreRecognisedFromTheirDefinition()
    {
        using var t = torch.zeros(2, 3, 4, 5);
        Assert.False(ChannelsLastWeights.IsChannelsLast(t));
        using var cl = ChannelsLastWeights.Copy(t);
        Assert.Equal(new long[] { 3 * 4 * 5, 1, 5 * 3, 3 }, cl.stride()); // N, C, H, W strides of NHWC memory
        Assert.True(ChannelsLastWeights.IsChannelsLast(cl));
        using var oneChannel = ChannelsLastWeights.Copy(torch.zeros(2, 1, 4, 5));
        Assert.False(ChannelsLastWeights.IsChannelsLast(oneChannel)); // both layouts at once: counted as the default
        using var transposed = t.transpose(2, 3);
        Assert.False(ChannelsLastWeights.IsChannelsLast(transposed));
        Assert.Throws<ArgumentException>(() => ChannelsLastWeights.Copy(torch.zeros(3, 4)));
    }

    [Fact]
    public void HoldKeepsValuesAndRestoresTheDefaultOrder() => WithOneDnn(true, () =>
    {
        torch.manual_seed(1);
        using var model = BackboneRegistry.Get("resnet18-small").Create();
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        // A 1×1 kernel or a single input channel is both layouts at once: those stay "default order".
        int fourD = model.parameters().Count(p => p.dim() == 4 && p.shape[1] > 1 && p.shape[2] * p.shape[3] > 1);
        using (ChannelsLastWeights.Hold(model))
        {
            Assert.Equal(fourD, model.parameters().Count(p => ChannelsLastWeights.IsChannelsLast(p)));
            Assert.True(fourD > 10);
            Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.equal(pair.Second).all().item<bool>()));
        }

        Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));
        Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.equal(pair.Second).all().item<bool>()));
    });

    [Fact]
    public void WithOneDnnOffAHoldLeavesTheDefaultOrder() => WithOneDnn(false, () =>
    {
        using var model = BackboneRegistry.Get("resnet18-small").Create();
        using (ChannelsLastWeights.Hold(model))
            Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));
    });

    [Fact]
    public void TheHeldNetworkComputesTheSameLossAndGradientsAsFloat64() => WithOneDnn(true, () =>
    {
        // Reference: the network in float64, default order. Both float32 layouts must be as close to it as float32 allows.
        torch.manual_seed(2);
        using var x = torch.rand(16, 1, 56, 56);
        using var y = torch.randint(0, 10, [16]);
        var (refLoss, refGrads) = LossAndGradients(x, y, float64: true, channelsLast: false);
        var (plainLoss, plainGrads) = LossAndGradients(x, y, float64: false, channelsLast: false);
        var (heldLoss, heldGrads) = LossAndGradients(x, y, float64: false, channelsLast: true);

        double plainError = RelativeError(plainGrads, refGrads), heldError = RelativeError(heldGrads, refGrads);
        // libtorch's channels-last BatchNorm backward sums in float32 without centring first, so its gradients sit further
        // from float64 (5.3e-4 to 6.5e-3 measured on this network, with the thread count, against 2.4e-6 in the default
        // order): far below minibatch noise, and far below the O(1) error of a wrong layout, which the bound would catch.
        Assert.True(heldError < 2e-2, $"channels-last gradients: relative error {heldError:E2} against float64");
        Assert.True(plainError < 2e-5, $"default-order gradients: relative error {plainError:E2} against float64");
        Assert.Equal(refLoss, heldLoss, 1e-5);
        Assert.Equal(refLoss, plainLoss, 1e-5);
    });

    [Fact]
    public void MomentumCreatedDuringAHoldIsRestoredSoTheOptimiserCanBeSaved() => WithOneDnn(true, () =>
    {
        torch.manual_seed(3);
        using var model = BackboneRegistry.Get("resnet18-small").Create();
        using var optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        using (ChannelsLastWeights.Hold(model, optimizer))
        {
            using var loss = nn.functional.cross_entropy(model.call(torch.rand(4, 1, 28, 28)), torch.tensor(new long[] { 0, 1, 2, 3 }));
            loss.backward();
            optimizer.step();
            var buffers = optimizer.state_dict().State.OfType<TorchSharp.Modules.SGD.State>().Select(s => s.momentum_buffer!).ToArray();
            Assert.Contains(buffers, ChannelsLastWeights.IsChannelsLast); // made from channels-last gradients
        }

        Assert.All(optimizer.state_dict().State.OfType<TorchSharp.Modules.SGD.State>(), s => Assert.True(s.momentum_buffer!.is_contiguous()));
        // TorchSharp refuses non-contiguous tensors in both writers.
        using (var writer = new BinaryWriter(new MemoryStream()))
            optimizer.save_state_dict(writer);
        model.save(new MemoryStream());
    });

    private static (double Loss, Tensor[] Gradients) LossAndGradients(Tensor x, Tensor y, bool float64, bool channelsLast)
    {
        torch.manual_seed(20);
        using var model = BackboneRegistry.Get("resnet18-imagenet-w32").Create();
        if (float64) model.to(ScalarType.Float64);
        model.train();
        using var hold = channelsLast ? ChannelsLastWeights.Hold(model) : null;
        using var loss = nn.functional.cross_entropy(model.call(float64 ? x.to(ScalarType.Float64) : x), y);
        loss.backward();
        return (loss.to(ScalarType.Float64).item<double>(),
            model.parameters().Select(p => p.grad!.to(ScalarType.Float64).contiguous().flatten()).ToArray());
    }

    /// <summary>
    /// Runs a check with oneDNN switched as given, then as it was: a hold converts nothing while it is off, and an earlier
    /// test in the process may have switched it off for good (ConvolutionGradientCheck does, where oneDNN's kernels fail).
    /// </summary>
    private static void WithOneDnn(bool on, Action check)
    {
        bool original = LibTorchSwitches.OneDnnIsOn;
        try
        {
            LibTorchSwitches.OneDnnIsOn = on;
            check();
        }
        finally
        {
            LibTorchSwitches.OneDnnIsOn = original;
        }
    }

    /// <summary>‖g − reference‖ / ‖reference‖ over all parameters together.</summary>
    private static double RelativeError(Tensor[] gradients, Tensor[] reference)
    {
        using var g = torch.cat(gradients);
        using var r = torch.cat(reference);
        return (g - r).norm().item<double>() / r.norm().item<double>();
    }
}
