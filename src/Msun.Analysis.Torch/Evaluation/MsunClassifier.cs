using Msun.Analysis.Torch.Unified;

namespace Msun.Analysis.Torch.Evaluation;

/// <summary>MSUN under the multi-scale protocol. Here rather than on the network, so that Unified does not know Evaluation.</summary>
public static class MsunClassifier
{
    /// <summary>
    /// The network as a classifier with one branch per scale, each taking the test image at its size, routed to the
    /// smallest nominal size ≥ the test size. The network keeps ownership of the modules.
    /// </summary>
    public static BranchedClassifier AsClassifier(this MsunNetwork network, string name)
    {
        ArgumentNullException.ThrowIfNull(network);
        return new(name, network.Config.Scales.Select((s, i) => new ScaleBranch(s.Name, network.Branch(i), s.Size)).ToArray());
    }
}
