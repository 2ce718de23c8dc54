namespace Msun.Analysis.Torch.Tests;

/// <summary>
/// All TorchSharp tests share one non-parallel collection: libtorch's global state (seed, threads,
/// default dtype) is process-wide, and the machine has two cores.
/// </summary>
[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchCollection
{
}
