using Msun.Analysis.Torch.Backbones;
using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Unified;

/// <summary>
/// The Multi-scale Unified Network built from the registry: one independent subnet per scale (stages
/// <c>[0, split)</c> of a per-scale, early-layer-adapted instance of the backbone), a bilinear resize of every subnet
/// output to the unified size, and one shared network (stages <c>[split, n)</c> and the head of one more instance).
/// </summary>
/// <remarks>
/// <para>Registered modules (checkpoint keys and hook paths): <c>subnets.&lt;scale&gt;.&lt;backbone path&gt;</c>
/// (e.g. <c>subnets.small.layer1.0.conv1</c>), <c>unify.&lt;scale&gt;</c> (no weights; hook it for the unified
/// output z), and <c>shared.&lt;backbone path&gt;</c> (e.g. <c>shared.layer2</c>, <c>shared.fc</c>). Only the modules
/// that run are registered: the deep stages of the per-scale instances and the leading stages of the shared instance
/// are never part of the module, so <c>parameters()</c> counts exactly what MSUN has.</para>
/// <para><see cref="forward"/> routes by input size (the smallest nominal size ≥ the input's side), so deployment
/// runs one branch per image; <see cref="ForwardScale"/> runs one chosen subnet.</para>
/// </remarks>
public sealed class MsunNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Backbone[] perScale;
    private readonly Backbone shared;
    private readonly Unify[] unifiers;
    private readonly BranchModule[] branches;
    private readonly int depth;

    /// <summary>Builds a freshly initialised MSUN (weights from torch's global generator: seed it first).</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="inChannels">Input channels; the backbone's default when null.</param>
    /// <param name="numClasses">Classes; the backbone's default when null.</param>
    public MsunNetwork(MsunConfig config, int? inChannels = null, int? numClasses = null) : base(nameof(MsunNetwork))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var spec = config.Spec;
        InChannels = inChannels ?? spec.InChannels;
        depth = spec.Stages.Count;
        var split = config.Split;

        perScale = config.Scales.Select(s => spec.Adapt(s.Adaptation, split).Create(InChannels, numClasses)).ToArray();
        shared = spec.Create(InChannels, numClasses);
        NumClasses = shared.NumClasses;

        var subnets = new ModuleTree("subnets");
        var unify = new ModuleTree("unify");
        unifiers = new Unify[config.Scales.Count];
        // The shared part leaves out the leading stages (each subnet has its own) and modules that never run (auxiliary heads).
        var leading = shared.Stages.Take(split).SelectMany(st => st.Modules.Select(m => m.Path)).Concat(shared.AuxiliaryModules).ToHashSet(StringComparer.Ordinal);
        var subnetTrees = new ModuleTree[config.Scales.Count];
        for (var i = 0; i < perScale.Length; i++)
        {
            var stagePaths = perScale[i].Stages.Take(split).SelectMany(st => st.Modules.Select(m => m.Path)).ToHashSet(StringComparer.Ordinal);
            subnetTrees[i] = ModuleTree.Select(config.Scales[i].Name, perScale[i], stagePaths, include: true);
            subnets.Add(config.Scales[i].Name, subnetTrees[i]);
            unifiers[i] = new Unify(config.UnifiedSize);
            unify.Add(config.Scales[i].Name, unifiers[i]);
        }

        var sharedTree = ModuleTree.Select("shared", shared, leading, include: false);
        register_module("subnets", subnets);
        register_module("unify", unify);
        register_module("shared", sharedTree);
        branches = config.Scales.Select((s, i) => new BranchModule(this, i, subnetTrees[i], unifiers[i], sharedTree)).ToArray();
    }

    /// <summary>The configuration the network was built from.</summary>
    public MsunConfig Config { get; }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Classes of the shared head.</summary>
    public int NumClasses { get; }

    /// <summary>Scale (subnet) names in ascending order of size.</summary>
    public IReadOnlyList<string> ScaleNames => Config.Scales.Select(s => s.Name).ToArray();

    /// <summary>Index of the scale an input of side <paramref name="size"/> is routed to: the smallest nominal size ≥ it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size exceeds the largest scale.</exception>
    public int Route(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        for (var i = 0; i < Config.Scales.Count; i++)
        {
            if (size <= Config.Scales[i].Size)
                return i;
        }

        throw new ArgumentOutOfRangeException(nameof(size), size, $"input size {size} exceeds the largest scale {Config.ReferenceSize} of this MSUN.");
    }

    /// <summary>Logits of the routed branch for square images [B, C, s, s] at their native size.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ForwardScale(Route((int)input.shape[^1]), input);
    }

    /// <summary>Single-scale entry point: logits of subnet <paramref name="scale"/> (then unification and the shared network) for images at any size it accepts.</summary>
    public Tensor ForwardScale(int scale, Tensor images)
    {
        using var scope = NewDisposeScope();
        var (logits, _) = ForwardWithUnified(scale, images);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Logits and the unified subnet output z (what the scale-invariant constraint compares) of one scale; both belong to the caller.</summary>
    public (Tensor Logits, Tensor Unified) ForwardWithUnified(int scale, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(scale, perScale.Length);
        if (images.dim() != 4 || images.shape[1] != InChannels)
            throw new ArgumentException($"images has shape [{string.Join(",", images.shape)}]; expected [B,{InChannels},H,W].", nameof(images));
        using var scope = NewDisposeScope();
        var features = perScale[scale].ForwardStages(images, 0, Config.Split);
        var unified = unifiers[scale].call(features);
        var deep = shared.ForwardStages(unified, Config.Split, depth);
        var logits = shared.ForwardHead(deep);
        return (logits.MoveToOuterDisposeScope(), unified.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The training forward: the reference-size batch shrunk to every scale ("down to s", bilinear, align_corners =
    /// false, no antialias), each through its subnet, unified, and through the shared network.
    /// </summary>
    /// <returns>Logits and unified outputs per scale, in scale order; they belong to the caller.</returns>
    public (Tensor[] Logits, Tensor[] Unified) ForwardAllScales(Tensor imagesAtReference)
    {
        ArgumentNullException.ThrowIfNull(imagesAtReference);
        var r = Config.ReferenceSize;
        var logits = new Tensor[perScale.Length];
        var unified = new Tensor[perScale.Length];
        for (var i = 0; i < perScale.Length; i++)
        {
            var size = Config.Scales[i].Size;
            var x = size == r ? imagesAtReference : new MultiScaleResize(new MultiScaleResizeOptions(r, size, ScaleMode.Down)).Apply(imagesAtReference);
            (logits[i], unified[i]) = ForwardWithUnified(i, x);
            if (!ReferenceEquals(x, imagesAtReference))
                x.Dispose();
        }

        return (logits, unified);
    }

    /// <summary>The module that runs for one scale (subnet → unify → shared), for MAC counts and evaluation; owned by this network.</summary>
    public nn.Module<Tensor, Tensor> Branch(int scale) => branches[scale];

    /// <summary>Parameters of one branch: its subnet plus the shared network (what one deployed image uses).</summary>
    public long BranchParameters(int scale) => branches[scale].parameters().Sum(p => p.numel());

    /// <summary>Resizes a subnet output to the unified size (bilinear, align_corners = false); a module so hooks can read z.</summary>
    private sealed class Unify : nn.Module<Tensor, Tensor>
    {
        private readonly int size;

        public Unify(int size) : base(nameof(Unify)) => this.size = size;

        public override Tensor forward(Tensor input) =>
            input.shape[2] == size && input.shape[3] == size ? input.alias() : MultiScaleResize.Bilinear(input, size, size);
    }

    /// <summary>One branch as a module whose children are exactly the modules it runs (so MacCounter and parameter counts see them).</summary>
    private sealed class BranchModule : nn.Module<Tensor, Tensor>
    {
        private readonly MsunNetwork owner;
        private readonly int scale;

        public BranchModule(MsunNetwork owner, int scale, nn.Module subnet, nn.Module unify, nn.Module shared) : base("MsunBranch")
        {
            this.owner = owner;
            this.scale = scale;
            register_module("subnet", subnet);
            register_module("unify", unify);
            register_module("shared", shared);
        }

        public override Tensor forward(Tensor input) => owner.ForwardScale(scale, input);
    }
}

/// <summary>A container that registers a chosen part of another module's tree under the same relative paths.</summary>
internal sealed class ModuleTree : nn.Module
{
    public ModuleTree(string name) : base(name)
    {
    }

    public void Add(string name, nn.Module module) => register_module(name, module);

    /// <summary>
    /// The part of <paramref name="root"/> selected by module paths: with <paramref name="include"/> the listed
    /// modules (and their subtrees), otherwise everything except them. A child wholly selected is registered as it
    /// is; a child partly selected becomes a container holding the selected part.
    /// </summary>
    public static ModuleTree Select(string name, nn.Module root, IReadOnlySet<string> paths, bool include)
    {
        var tree = new ModuleTree(name);
        Fill(tree, root, "", paths, include);
        return tree;
    }

    private static void Fill(ModuleTree tree, nn.Module node, string prefix, IReadOnlySet<string> paths, bool include)
    {
        foreach (var (childName, child) in node.named_children())
        {
            var path = prefix + childName;
            var listed = paths.Contains(path);
            var listedBelow = paths.Any(p => p.StartsWith(path + ".", StringComparison.Ordinal));
            if (listed)
            {
                if (include)
                    tree.Add(childName, child);
            }
            else if (listedBelow)
            {
                var sub = new ModuleTree(childName);
                Fill(sub, child, path + ".", paths, include);
                tree.Add(childName, sub);
            }
            else if (!include)
            {
                tree.Add(childName, child);
            }
        }
    }
}
