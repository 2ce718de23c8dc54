using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// A backbone made of stages that each are one module, run in order, then a head: the quickest way to add a backbone
/// (see <c>Backbones/README.md</c>). Stage <c>i</c> is registered under its name, the head under <c>head</c>, so the
/// state-dict keys are <c>&lt;stage&gt;.…</c> and <c>head.…</c>.
/// </summary>
/// <remarks>Families whose checkpoints use other module names (torchvision's) write a <see cref="Backbone"/> subclass instead, as <see cref="ResNet"/> does.</remarks>
public sealed class SequentialBackbone : Backbone
{
    private readonly nn.Module<Tensor, Tensor> head;

    /// <summary>Registers the stages and the head and declares the stages; the modules are initialised as they come.</summary>
    /// <param name="stages">Stage name (a plain identifier, the module path) and module, shallow to deep.</param>
    /// <param name="head">Maps the last stage's output to logits [batch, classes].</param>
    /// <param name="inChannels">Input channels, for the checks every backbone shares.</param>
    /// <param name="numClasses">Classes of the head.</param>
    public SequentialBackbone(IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> stages, nn.Module<Tensor, Tensor> head,
        int inChannels, int numClasses) : base(nameof(SequentialBackbone), inChannels, numClasses)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(head);
        if (stages.Count == 0)
            throw new ArgumentException("A backbone needs at least one stage.", nameof(stages));
        foreach (var (name, module) in stages)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('.', StringComparison.Ordinal) || name == "head")
                throw new ArgumentException($"stage name '{name}' must be a non-empty identifier without dots, other than 'head'.", nameof(stages));
            register_module(name, module);
        }

        this.head = head;
        register_module("head", head);
        SetStages(stages.Select(s => new BackboneStage([(s.Name, s.Module)])).ToArray());
    }

    /// <inheritdoc />
    public override Tensor ForwardHead(Tensor features) => head.call(features);
}
