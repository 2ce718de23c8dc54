using Msun.Analysis.Torch.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Capture;

/// <summary>
/// Captures the outputs of named modules of a model through forward hooks, one forward pass at a time.
/// </summary>
/// <remarks>
/// <para>Layer names are <c>named_modules()</c> paths (<c>layer1</c>, <c>features.6</c>, <c>0</c> in a
/// <c>Sequential</c>); for a <see cref="Backbone"/> its stage names are such paths, and the stage's
/// output module is what gets hooked.</para>
/// <para>Each hooked output is copied to the host (reduced per <see cref="ActivationPolicy"/>) inside the
/// hook, before the forward goes on: <c>Sequential</c> disposes intermediates as soon as the next module
/// has them, and later modules may change a tensor in place, so reading it after the forward is wrong.</para>
/// <para>Hooks are registered at the start of <see cref="Run(Tensor)"/> and removed in a <c>finally</c> when it
/// returns or throws, so the model never keeps a hook of ours. Forwards run under <c>no_grad</c>; the
/// training/eval mode is left as the caller set it (CKA studies want <c>eval()</c>). A hook fills the batch of the
/// thread running the forward, so several threads can run one capture at once inside <see cref="HookAcrossThreads"/>
/// (which registers the hooks once: registering them per call would race); outside it, one thread at a time.</para>
/// </remarks>
public sealed class ActivationCapture
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] targets;
    private readonly ThreadLocal<Frame?> running = new(); // what this thread's forward is capturing into
    private HookScope? sharedHooks;

    /// <summary>The outputs captured so far by one forward pass, per target.</summary>
    private sealed record Frame(List<LayerActivation>[] Captured, CapturedBatch? Recycle);

    private ActivationCapture(nn.Module<Tensor, Tensor> model, (string, nn.Module<Tensor, Tensor>)[] targets, CaptureOptions options)
    {
        this.model = model;
        this.targets = targets;
        Options = options;
    }

    /// <summary>The layers captured, in the order asked for.</summary>
    public IReadOnlyList<string> Layers => targets.Select(t => t.Name).ToArray();

    /// <summary>The capture options (policy, multiple-call rule).</summary>
    public CaptureOptions Options { get; }

    /// <summary>Prepares capture of <paramref name="layers"/> of <paramref name="model"/>; nothing is hooked until <see cref="Run(Tensor)"/>.</summary>
    /// <param name="model">The model to run: a registered <see cref="Backbone"/> or any single-tensor TorchSharp module.</param>
    /// <param name="layers">Stage names or <c>named_modules()</c> paths, at least one, no repeats.</param>
    /// <param name="options">Policy and multiple-call rule; defaults when null.</param>
    /// <exception cref="ArgumentException">An unknown name (the message lists the valid ones), a repeated name, no names,
    /// or a module that does not map one tensor to one tensor.</exception>
    public static ActivationCapture Create(nn.Module<Tensor, Tensor> model, IEnumerable<string> layers, CaptureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var targets = ModulePaths.Check(model, layers).ToArray();
        return new ActivationCapture(model, targets, options ?? new CaptureOptions());
    }

    /// <summary>Prepares capture of every stage of a backbone, shallow to deep (the paper's blocks).</summary>
    public static ActivationCapture ForStages(Backbone backbone, CaptureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return Create(backbone, backbone.Stages.Select(s => s.Name), options);
    }

    /// <summary>Every name <see cref="Create"/> accepts for this model (<c>named_modules()</c> paths, in module order).</summary>
    public static IReadOnlyList<string> ValidLayerNames(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.named_modules().Select(p => p.name).Where(n => n.Length > 0).ToArray();
    }

    /// <summary>
    /// Runs <c>model.call(input)</c> once with the hooks attached and returns what they copied.
    /// The model's output is disposed; <paramref name="input"/> is left alone.
    /// </summary>
    /// <exception cref="InvalidOperationException">A hooked module ran more than once under <see cref="MultipleCalls.Error"/>,
    /// or did not run at all (e.g. a container whose children are called directly).</exception>
    /// <exception cref="ArgumentException">An activation is not floating point, or holds NaN/Inf (the message names the layer).</exception>
    public CapturedBatch Run(Tensor input) => Run(input, null);

    /// <summary>
    /// <see cref="Run(Tensor)"/> that writes into the arrays of <paramref name="recycle"/>, an earlier batch of this capture
    /// that nobody reads any more (its activations are overwritten; layers whose size changed get new arrays). For loops that
    /// consume each batch before the next (the study's minibatch and streaming sinks): memory stays flat instead of leaving
    /// a batch's worth of large arrays to the garbage collector every forward.
    /// </summary>
    internal CapturedBatch Run(Tensor input, CapturedBatch? recycle)
    {
        ArgumentNullException.ThrowIfNull(input);
        var frame = new Frame(targets.Select(_ => new List<LayerActivation>()).ToArray(), recycle);
        var ownHooks = sharedHooks is null ? new HookScope(this) : null;
        running.Value = frame;
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            model.call(input);
        }
        finally
        {
            running.Value = null;
            ownHooks?.Dispose();
        }

        var captured = frame.Captured;
        var missing = targets.Where((_, i) => captured[i].Count == 0).Select(t => t.Name).ToArray();
        if (missing.Length > 0)
            throw new InvalidOperationException(
                $"no output was captured for {string.Join(", ", missing.Select(m => $"'{m}'"))}: the module did not run in this forward "
                + "(a container whose children are called one by one never runs as a whole; hook a child or a stage instead).");

        var all = new List<LayerActivation>();
        for (var i = 0; i < targets.Length; i++)
        {
            var calls = captured[i];
            if (calls.Count == 1)
            {
                all.Add(calls[0]);
                continue;
            }

            all.AddRange(calls.Select(a => a.Renamed($"{targets[i].Name}#{a.Call}")));
        }

        int rows = all[0].Rows;
        var odd = all.FirstOrDefault(a => a.Rows != rows);
        if (odd is not null)
            throw new InvalidOperationException(
                $"'{odd.Name}' has {odd.Rows} rows but '{all[0].Name}' has {rows}: dimension 0 of every captured output must index the same examples.");
        return new CapturedBatch(all);
    }

    /// <summary>Runs every batch and keeps all activations in memory (small studies only: memory grows with the examples).</summary>
    public ActivationCollector Collect(IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var collector = new ActivationCollector();
        foreach (var batch in batches)
            collector.Add(Run(batch));
        return collector;
    }

    /// <summary>
    /// Registers the hooks until disposed, so that threads can run <see cref="Run(Tensor)"/> at once (each fills its own
    /// batch); the model's forward must itself be safe to run from several threads (eval mode, no state of its own).
    /// </summary>
    internal IDisposable HookAcrossThreads()
    {
        if (sharedHooks is not null) throw new InvalidOperationException("the capture's hooks are already shared across threads.");
        return sharedHooks = new HookScope(this);
    }

    /// <summary>Our hooks on every target while it lives; a hook fills the frame of the thread that runs the forward.</summary>
    private sealed class HookScope : IDisposable
    {
        private readonly ActivationCapture owner;
        private readonly List<Action> removers = [];

        public HookScope(ActivationCapture owner)
        {
            this.owner = owner;
            try
            {
                for (var i = 0; i < owner.targets.Length; i++)
                {
                    var index = i;
                    removers.Add(owner.targets[i].Module.register_forward_hook((_, _, output) =>
                    {
                        if (owner.running.Value is { } frame) owner.OnOutput(index, output, frame.Captured[index], frame.Recycle);
                        return null!; // leave the output unchanged
                    }).remove);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (var remove in removers) remove();
            removers.Clear();
            if (owner.sharedHooks == this) owner.sharedHooks = null;
        }
    }

    private void OnOutput(int index, Tensor output, List<LayerActivation> calls, CapturedBatch? recycle)
    {
        var name = targets[index].Name;
        if (calls.Count > 0 && Options.MultipleCalls == MultipleCalls.Error)
            throw new InvalidOperationException(
                $"layer '{name}' ran {calls.Count + 1} times in one forward pass; capturing only one call would be arbitrary. "
                + "Hook a module that runs once, or use MultipleCalls.KeepAll to keep every call as name#0, name#1, ….");
        // Only a layer's first call is recycled, from the same position of the earlier batch (one call per layer there too).
        var earlier = recycle is not null && calls.Count == 0 && recycle.Count == targets.Length && recycle[index].Layer == name ? recycle[index] : null;
        calls.Add(ActivationCopy.ToHost(output, name, calls.Count, Options.Policy, earlier));
    }
}
