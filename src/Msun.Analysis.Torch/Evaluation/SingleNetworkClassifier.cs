using Msun.Analysis.Core.Results;
using Msun.Analysis.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>
/// A plain network (Vanilla or MST) under the multi-scale protocol: every test image is upsampled back to
/// the reference size (bilinear, align_corners = false) and classified by the one network, so its cost is
/// the network's at the reference size whatever the test size.
/// </summary>
public sealed class SingleNetworkClassifier : IScaleAwareClassifier
{
    private readonly nn.Module<Tensor, Tensor> _network;

    /// <summary>Wraps a network that maps [B, C, R, R] images to logits [B, classes]; the caller keeps ownership of it.</summary>
    /// <param name="name">Model name for the results.</param>
    /// <param name="network">The network (weights already loaded).</param>
    /// <param name="referenceSize">R, the input size the network expects.</param>
    public SingleNetworkClassifier(string name, nn.Module<Tensor, Tensor> network, int referenceSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(referenceSize, 1);
        Name = name;
        _network = network;
        ReferenceSize = referenceSize;
    }

    /// <summary>The size every input is brought back to before the network.</summary>
    public int ReferenceSize { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Branches { get; } = [MacTableRow.SingleNetworkBranch];

    /// <inheritdoc />
    public IReadOnlyList<nn.Module> Modules => [_network];

    /// <inheritdoc />
    public string Route(int testSize)
    {
        CheckSize(testSize);
        return MacTableRow.SingleNetworkBranch;
    }

    /// <inheritdoc />
    public Tensor Logits(string branch, Tensor imagesAtTestSize)
    {
        CheckBranch(branch);
        ArgumentNullException.ThrowIfNull(imagesAtTestSize);
        if (imagesAtTestSize.dim() != 4)
            throw new ArgumentException($"images has shape [{string.Join(",", imagesAtTestSize.shape)}]; expected [B,C,s,s].", nameof(imagesAtTestSize));
        using var scope = NewDisposeScope();
        var input = imagesAtTestSize.shape[2] == ReferenceSize && imagesAtTestSize.shape[3] == ReferenceSize
            ? imagesAtTestSize
            // Upsampling: antialias would change nothing, so the protocol's setting is irrelevant here.
            : MultiScaleResize.Bilinear(imagesAtTestSize, ReferenceSize, ReferenceSize);
        return _network.call(input).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public BranchNetwork CostAt(string branch, int testSize)
    {
        CheckBranch(branch);
        CheckSize(testSize);
        return new BranchNetwork(_network, ReferenceSize);
    }

    /// <inheritdoc />
    public string DescribeInput() =>
        $"single network: test image upsampled back to {ReferenceSize} (bilinear, align_corners=false) before the network";

    private void CheckBranch(string branch)
    {
        if (branch != MacTableRow.SingleNetworkBranch)
            throw new ArgumentException($"'{Name}' has one branch, '{MacTableRow.SingleNetworkBranch}'; got '{branch}'.", nameof(branch));
    }

    private void CheckSize(int testSize)
    {
        if (testSize < 1 || testSize > ReferenceSize)
            throw new ArgumentOutOfRangeException(nameof(testSize), testSize,
                $"test size must be in 1..{ReferenceSize} (the reference size of '{Name}').");
    }
}
