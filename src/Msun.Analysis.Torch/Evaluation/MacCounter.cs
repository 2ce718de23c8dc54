using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>Cost of one executed leaf layer for one image (one row per call; a module called twice gives two rows).</summary>
/// <param name="Name">Module path (<c>named_modules()</c> key); a second call of the same module is suffixed <c>#2</c>, and so on.</param>
/// <param name="Type">The module's .NET type name (<c>Conv2d</c>, <c>BatchNorm2d</c>, ...).</param>
/// <param name="OutputShape">Output shape of the call, batch axis included.</param>
/// <param name="Macs">Multiply-accumulates per image: convolutions and linear layers only.</param>
/// <param name="OtherOps">Per-image operations that are not MACs (BatchNorm, pooling); reported, never added to <paramref name="Macs"/>.</param>
public sealed record LayerMacs(string Name, string Type, IReadOnlyList<long> OutputShape, long Macs, long OtherOps);

/// <summary>Per-layer and total cost of one forward pass, per image.</summary>
/// <param name="InputShape">The input shape that was run (batch axis included); counts are divided by its batch size.</param>
/// <param name="Layers">Executed leaf layers in execution order.</param>
public sealed record MacReport(IReadOnlyList<long> InputShape, IReadOnlyList<LayerMacs> Layers)
{
    /// <summary>Total multiply-accumulates per image (convolutions + linear layers): the figure papers quote (4.1 G for ResNet-50 at 224).</summary>
    public long TotalMacs { get; } = Layers.Sum(l => l.Macs);

    /// <summary>Total non-MAC operations per image (BatchNorm elements, pooling window elements).</summary>
    public long TotalOtherOps { get; } = Layers.Sum(l => l.OtherOps);
}

/// <summary>
/// Counts multiply-accumulates (MACs) per image by running the model once with forward hooks on
/// every leaf module, so only layers that actually execute are counted, at their real shapes.
/// </summary>
/// <remarks>
/// <para>What counts as a MAC (the convention behind the textbook 4.1 G of ResNet-50 and 1.8 G of
/// ResNet-18 at 224): <c>Conv2d</c> = output elements × (C_in / groups) × k_h × k_w (covers grouped
/// and depthwise convolutions); <c>Linear</c> = output elements × in_features. Bias additions are
/// not counted.</para>
/// <para>Reported separately as <see cref="LayerMacs.OtherOps"/> and never added to the MACs:
/// <c>BatchNorm</c> = one multiply-add per output element (it folds into the preceding convolution at
/// inference); <c>MaxPool2d</c>/<c>AvgPool2d</c> = output elements × window; <c>AdaptiveAvgPool2d</c>
/// = the exact sum of its window sizes. Activations, dropout, flatten, additions and concatenations
/// count zero. A leaf that has parameters but an unknown type throws <see cref="NotSupportedException"/>
/// rather than being silently counted as free.</para>
/// <para>The model runs in eval mode without gradients on a zero input on the device of its first
/// parameter; every module's training flag and all hooks are restored, even when the forward throws.</para>
/// </remarks>
public static class MacCounter
{
    /// <summary>Counts MACs per image for one forward pass of <paramref name="module"/> on an input of <paramref name="inputShape"/> (batch axis first).</summary>
    public static MacReport Count(nn.Module<Tensor, Tensor> module, params long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length < 2 || inputShape.Any(d => d < 1))
        {
            throw new ArgumentException(
                $"inputShape must have a batch axis and positive sizes; got [{string.Join(", ", inputShape)}].", nameof(inputShape));
        }

        var batch = inputShape[0];
        var leaves = Leaves(module);
        foreach (var (name, leaf) in leaves)
        {
            if (!IsSupported(leaf) && leaf.parameters().Any())
            {
                throw new NotSupportedException($"MacCounter cannot count layer '{name}' of type {leaf.GetType().Name}: it has parameters but no counting rule.");
            }
        }

        var rows = new List<LayerMacs>();
        var calls = new Dictionary<string, int>();
        var removers = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        var modes = new List<(nn.Module Module, bool Training, int Depth)> { (module, module.training, 0) };
        modes.AddRange(module.named_modules().Select(p => (p.module, p.module.training, p.name.Count(ch => ch == '.') + 1)));
        try
        {
            foreach (var (name, leaf) in leaves)
            {
                removers.Add(leaf.register_forward_hook((m, input, output) =>
                {
                    var n = calls[name] = calls.GetValueOrDefault(name) + 1;
                    var (macs, other) = Cost(m, input.shape, output.shape, batch);
                    rows.Add(new LayerMacs(n == 1 ? name : $"{name}#{n}", TypeName(m), output.shape, macs, other));
                    // TorchSharp's hook delegate is not nullable-annotated; returning null keeps the output unchanged.
                    return null!;
                }));
            }

            module.eval();
            using var noGrad = torch.no_grad();
            var first = module.parameters().FirstOrDefault();
            using var input = torch.zeros(inputShape, dtype: first?.dtype ?? ScalarType.Float32, device: first?.device ?? torch.CPU);
            using var output = module.call(input);
        }
        finally
        {
            foreach (var remover in removers)
            {
                remover.remove();
            }

            // Parents first: train(bool) recurses, so children get their own flag back afterwards.
            foreach (var (m, training, _) in modes.OrderBy(x => x.Depth))
            {
                m.train(training);
            }
        }

        return new MacReport(inputShape, rows);
    }

    /// <summary>MACs of every given backbone (default channels and classes) at every square input size, one row per pair (test size = input size).</summary>
    /// <remarks>Creating each backbone draws from torch's global generator; the counts do not depend on the weights.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A size is below a backbone's <see cref="BackboneSpec.MinimumInputSize"/>.</exception>
    public static IReadOnlyList<MacTableRow> Table(IEnumerable<BackboneSpec> backbones, IEnumerable<int> inputSizes)
    {
        ArgumentNullException.ThrowIfNull(backbones);
        ArgumentNullException.ThrowIfNull(inputSizes);
        var sizes = inputSizes.ToArray();
        var rows = new List<MacTableRow>();
        foreach (var spec in backbones)
        {
            foreach (var size in sizes)
            {
                if (size < spec.MinimumInputSize)
                {
                    throw new ArgumentOutOfRangeException(nameof(inputSizes), size,
                        $"Backbone '{spec.Name}' needs inputs of at least {spec.MinimumInputSize} px.");
                }
            }

            using var model = spec.Create();
            var parameters = model.parameters().Sum(p => p.numel());
            foreach (var size in sizes)
            {
                var report = Count(model, 1, spec.InChannels, size, size);
                rows.Add(MacTableRow.ForBackbone(spec.Name, size, parameters, report.TotalMacs, report.TotalOtherOps));
            }
        }

        return rows;
    }

    /// <summary>MACs of the named registered backbones at every square input size.</summary>
    public static IReadOnlyList<MacTableRow> Table(IEnumerable<string> backboneNames, IEnumerable<int> inputSizes)
    {
        ArgumentNullException.ThrowIfNull(backboneNames);
        return Table(backboneNames.Select(BackboneRegistry.Get).ToArray(), inputSizes);
    }

    private static List<(string Name, nn.Module<Tensor, Tensor> Module)> Leaves(nn.Module root)
    {
        var all = root.named_modules().ToList();
        if (all.Count == 0 && root is nn.Module<Tensor, Tensor> single)
        {
            return [("", single)];
        }

        // A module registered under two paths is hooked once (under its first path), or it would be counted twice per call.
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        return all
            .Where(p => !p.module.named_children().Any() && seen.Add(p.module))
            .Select(p => p.module is nn.Module<Tensor, Tensor> m
                ? (p.name, m)
                : throw new NotSupportedException($"Leaf '{p.name}' ({p.module.GetType().Name}) is not a tensor-to-tensor module; MacCounter cannot hook it."))
            .ToList();
    }

    /// <summary>The layer's type as tables show it: the channels-last max pool is the same layer as MaxPool2d, only run faster.</summary>
    private static string TypeName(nn.Module m) => m is ChannelsLastMaxPool2d ? nameof(MaxPool2d) : m.GetType().Name;

    private static bool IsSupported(nn.Module m) =>
        m is Conv2d or Linear or BatchNorm1d or BatchNorm2d or MaxPool2d or ChannelsLastMaxPool2d or AvgPool2d or AdaptiveAvgPool2d;

    private static (long Macs, long OtherOps) Cost(nn.Module m, long[] input, long[] output, long batch)
    {
        var outPerImage = output.Aggregate(1L, (a, d) => a * d) / batch;
        return m switch
        {
            Conv2d c => (outPerImage * (c.in_channels / c.groups) * c.kernel_size[0] * c.kernel_size[1], 0),
            Linear l => (outPerImage * l.in_features, 0),
            BatchNorm1d or BatchNorm2d => (0, outPerImage),
            MaxPool2d p => (0, outPerImage * p.kernel_size[0] * (p.kernel_size.Length > 1 ? p.kernel_size[1] : p.kernel_size[0])),
            ChannelsLastMaxPool2d p => (0, outPerImage * p.Kernel * p.Kernel),
            AvgPool2d p => (0, outPerImage * p.kernel_size[0] * (p.kernel_size.Length > 1 ? p.kernel_size[1] : p.kernel_size[0])),
            AdaptiveAvgPool2d => (0, input[1] * AdaptiveWindowSum(input[^2], output[^2]) * AdaptiveWindowSum(input[^1], output[^1])),
            _ => (0, 0),
        };
    }

    /// <summary>Sum over the outputs of one axis of adaptive pooling's window length: window i spans [floor(i·in/out), ceil((i+1)·in/out)).</summary>
    private static long AdaptiveWindowSum(long inSize, long outSize)
    {
        long sum = 0;
        for (long i = 0; i < outSize; i++)
        {
            var start = i * inSize / outSize;
            var end = ((i + 1) * inSize + outSize - 1) / outSize;
            sum += end - start;
        }

        return sum;
    }
}
