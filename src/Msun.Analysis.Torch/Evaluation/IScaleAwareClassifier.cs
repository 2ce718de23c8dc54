using TorchSharp;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>The network that runs for one branch at one test size, and the input size it runs at: what a MAC count needs.</summary>
/// <param name="Network">The module that runs (for a multi-scale model: the subnet plus the shared network).</param>
/// <param name="InputSize">The square input size the module is run at.</param>
public sealed record BranchNetwork(nn.Module<Tensor, Tensor> Network, int InputSize);

/// <summary>
/// A classifier as the multi-scale test protocol sees it: it is handed each test image at the test size
/// (already shrunk from the reference size) and decides what to do with it. A single network (Vanilla,
/// MST) has one branch and upsamples the image back to its reference size; a multi-scale model (MSUN)
/// has one branch per scale, takes the image at its native size and routes it by size.
/// </summary>
/// <remarks>
/// The evaluator puts every module of <see cref="Modules"/> in eval mode, runs without gradients and
/// restores the training flags afterwards; implementations need not do either. A trained checkpoint is
/// plugged in by loading its weights into the modules before wrapping them.
/// </remarks>
public interface IScaleAwareClassifier
{
    /// <summary>The model's name, recorded with every result (e.g. <c>vanilla resnet18-small</c>).</summary>
    string Name { get; }

    /// <summary>Branch names in a fixed order; a single network has one (<c>network</c>).</summary>
    IReadOnlyList<string> Branches { get; }

    /// <summary>Every module whose training flag the evaluator switches to eval and restores.</summary>
    IReadOnlyList<nn.Module> Modules { get; }

    /// <summary>The branch a deployed model uses for an input of the given test size.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No branch takes this size.</exception>
    string Route(int testSize);

    /// <summary>Logits [B, classes] of <paramref name="branch"/> for images [B, C, s, s] at the test size s; the caller owns the result.</summary>
    Tensor Logits(string branch, Tensor imagesAtTestSize);

    /// <summary>The module that runs for <paramref name="branch"/> at <paramref name="testSize"/>, and its input size (for MAC counts).</summary>
    BranchNetwork CostAt(string branch, int testSize);

    /// <summary>One line for provenance: what the model does with a test image (e.g. "upsampled back to 28, bilinear").</summary>
    string DescribeInput();
}
