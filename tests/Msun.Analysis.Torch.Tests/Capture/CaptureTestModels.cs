using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Msun.Analysis.Torch.Tests.Capture;

/// <summary>Adds a constant to its input in place and hands back the same storage (like ReLU(inplace: true)).</summary>
internal sealed class AddInPlace(double amount) : Module<Tensor, Tensor>(nameof(AddInPlace))
{
    public override Tensor forward(Tensor input) => input.add_(amount).alias();
}

/// <summary>Throws when armed: a forward that fails after the hooked module has run.</summary>
internal sealed class Tripwire() : Module<Tensor, Tensor>(nameof(Tripwire))
{
    public bool Armed { get; set; }

    public override Tensor forward(Tensor input) =>
        Armed ? throw new InvalidOperationException("tripwire") : input.alias();
}

/// <summary>first → bump (in place) → trip, plus a registered module that never runs.</summary>
internal sealed class InPlaceChain : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> first;
    private readonly Module<Tensor, Tensor> bump;
    private readonly Module<Tensor, Tensor> trip;
    private readonly Module<Tensor, Tensor> unused;

    public InPlaceChain() : base(nameof(InPlaceChain))
    {
        first = Linear(5, 3);
        bump = new AddInPlace(100);
        trip = new Tripwire();
        unused = Linear(3, 3);
        RegisterComponents();
    }

    public Module<Tensor, Tensor> First => first;

    public Tripwire Trip => (Tripwire)trip;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = first.call(input);
        var y = bump.call(h);
        return trip.call(y).MoveToOuterDisposeScope();
    }
}

internal static class HookCount
{
    /// <summary>Forward hooks registered on a module and all its descendants (TorchSharp keeps them in protected dictionaries).</summary>
    public static int Total(nn.Module model) =>
        new[] { model }.Concat(model.named_modules().Select(p => p.module)).Sum(Count);

    private static int Count(nn.Module module)
    {
        int total = 0;
        for (var type = module.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var name in new[] { "post_hooks", "pre_hooks", "module_post_hooks", "module_pre_hooks" })
            {
                var field = type.GetField(name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly);
                if (field?.GetValue(module) is System.Collections.ICollection c) total += c.Count;
            }
        }

        return total;
    }
}
