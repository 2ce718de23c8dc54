namespace Msun.Analysis.Torch.Capture;

/// <summary>How a captured activation becomes one row of features per example.</summary>
public enum ActivationPolicy
{
    /// <summary>
    /// Every dimension after the batch flattened in C order (C×H×W for a conv output): the paper's choice,
    /// which keeps spatial layout and so sees what a change of input scale does to it.
    /// </summary>
    Flatten,

    /// <summary>
    /// Mean over every dimension after the channel one (C features for a conv output): far fewer features,
    /// blind to where in the image a feature fires. Outputs of one or two dimensions are taken as they are.
    /// </summary>
    SpatialMean,
}

/// <summary>What to do when a hooked module runs more than once in one forward pass.</summary>
public enum MultipleCalls
{
    /// <summary>Fail with a message naming the module and the count (the default): one name, one activation.</summary>
    Error,

    /// <summary>
    /// Keep every call. A module that ran once keeps its name; one that ran k &gt; 1 times yields
    /// <c>name#0</c> … <c>name#(k−1)</c> in call order.
    /// </summary>
    KeepAll,
}

/// <summary>Options of activation capture; recorded in the provenance of every result built from it.</summary>
public sealed record CaptureOptions
{
    /// <summary>Creates options, checking that both enums hold defined values.</summary>
    /// <param name="policy">How conv activations become features (flatten, as in the paper, by default).</param>
    /// <param name="multipleCalls">What to do with a module called more than once per forward (fail by default).</param>
    public CaptureOptions(ActivationPolicy policy = ActivationPolicy.Flatten, MultipleCalls multipleCalls = MultipleCalls.Error)
    {
        if (!Enum.IsDefined(policy))
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown ActivationPolicy.");
        if (!Enum.IsDefined(multipleCalls))
            throw new ArgumentOutOfRangeException(nameof(multipleCalls), multipleCalls, "unknown MultipleCalls.");
        Policy = policy;
        MultipleCalls = multipleCalls;
    }

    /// <summary>How conv activations become features.</summary>
    public ActivationPolicy Policy { get; }

    /// <summary>What to do with a module called more than once per forward.</summary>
    public MultipleCalls MultipleCalls { get; }
}
