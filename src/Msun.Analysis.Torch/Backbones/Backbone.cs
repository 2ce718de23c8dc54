using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Backbones;

/// <summary>
/// One stage of a built backbone: the modules that compute it, in execution order, each with its
/// <c>named_modules()</c> path. The last one's output is the stage output, so a forward hook on
/// <see cref="Module"/> sees exactly what the spec declares.
/// </summary>
public sealed class BackboneStage
{
    /// <summary>Creates a stage from its modules in execution order (path, module).</summary>
    public BackboneStage(IReadOnlyList<(string Path, nn.Module<Tensor, Tensor> Module)> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        if (modules.Count == 0)
        {
            throw new ArgumentException("A stage needs at least one module.", nameof(modules));
        }

        Modules = modules.ToArray();
    }

    /// <summary>Module path of the stage output (the last module); equals the spec's <see cref="StageSpec.Name"/>.</summary>
    public string Name => Modules[^1].Path;

    /// <summary>The module whose output is the stage output: attach capture hooks here.</summary>
    public nn.Module<Tensor, Tensor> Module => Modules[^1].Module;

    /// <summary>Modules run by this stage, in order, with their paths in the backbone.</summary>
    public IReadOnlyList<(string Path, nn.Module<Tensor, Tensor> Module)> Modules { get; }

    /// <summary>Runs the stage's modules in order through <c>call</c> (so hooks fire).</summary>
    /// <remarks>Intermediates are disposed as soon as the next module has them, as <c>Sequential</c> does; the input is left alone.</remarks>
    public Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var (_, m) in Modules)
        {
            var y = m.call(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y))
            {
                x.Dispose();
            }

            x = y;
        }

        return x;
    }
}

/// <summary>
/// A classification backbone seen as an ordered sequence of stages followed by a head:
/// <c>logits = head(stage_n(…stage_1(x)))</c>.
/// </summary>
/// <remarks>
/// <para>Submodule fields keep torchvision's names (<c>conv1</c>, <c>layer1</c>, <c>features</c>,
/// <c>fc</c>, ...) because they are the state_dict keys: PyTorch weights load without renaming. A
/// stage is therefore not always one registered module (ResNet's stem is <c>conv1, bn1, relu,
/// maxpool</c>; a VGG stage is a run of <c>features.i</c>); <see cref="BackboneStage"/> lists the
/// modules it runs. Container modules such as <c>features</c> hold weights but are never called as
/// a whole — hook their children or the stages.</para>
/// <para>How a later MSUN builder splits a network: the shallow part is stages <c>[0, k)</c>, the
/// deep part stages <c>[k, n)</c> plus the head, run with <see cref="ForwardStages"/> and
/// <see cref="ForwardHead"/>. Each scale gets its own instance from its own spec (e.g. a ResNet with
/// a different <see cref="ConvStem"/>), so its shallow stages have independent weights; the deep
/// part comes from one shared instance.</para>
/// </remarks>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    private BackboneStage[] stages = [];

    /// <summary>Passes the module name to TorchSharp and checks the sizes every backbone shares.</summary>
    protected Backbone(string name, int inChannels, int numClasses) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        NumClasses = numClasses;
    }

    /// <summary>Ordered stages, shallow to deep (the paper's 5 blocks).</summary>
    public IReadOnlyList<BackboneStage> Stages => stages;

    /// <summary>Number of classes of the head.</summary>
    public int NumClasses { get; }

    /// <summary>
    /// Paths of modules that hold weights (so a checkpoint of the original network loads strictly) but never run in
    /// <see cref="forward"/>, such as Inception-v3's auxiliary classifier; the MSUN builder leaves them out.
    /// </summary>
    public IReadOnlyList<string> AuxiliaryModules { get; protected init; } = [];

    /// <summary>The stage whose output module has the given path.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public BackboneStage Stage(string name) =>
        stages.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException(
            $"No stage '{name}'. Stages: {string.Join(", ", stages.Select(s => s.Name))}.", nameof(name));

    /// <summary>Runs stages <c>[start, end)</c> on <paramref name="input"/> (the output of stage <c>start − 1</c>, or the image for 0).</summary>
    public Tensor ForwardStages(Tensor input, int start, int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, stages.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, end);
        var x = input;
        for (var i = start; i < end; i++)
        {
            var y = stages[i].Forward(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y))
            {
                x.Dispose();
            }

            x = y;
        }

        return ReferenceEquals(x, input) ? input.alias() : x;
    }

    /// <summary>Maps the last stage's output to logits [batch, classes] (pooling, flatten, classifier).</summary>
    public abstract Tensor ForwardHead(Tensor features);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var features = ForwardStages(input, 0, stages.Length);
        return ForwardHead(features).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sets the stages; call once at the end of the derived constructor, after <c>RegisterComponents()</c>.
    /// Checks that every stage module is reachable through <c>named_modules()</c> under its path.
    /// </summary>
    protected void SetStages(params BackboneStage[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var named = named_modules().ToDictionary(p => p.name, p => p.module);
        foreach (var stage in value)
        {
            foreach (var (path, module) in stage.Modules)
            {
                if (!named.TryGetValue(path, out var found) || !ReferenceEquals(found, module))
                {
                    throw new InvalidOperationException($"Stage module '{path}' is not registered under that path.");
                }
            }
        }

        stages = value;
    }
}
