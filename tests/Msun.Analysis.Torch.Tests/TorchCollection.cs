namespace Msun.Analysis.Torch.Tests;

/// <summary>TorchSharp tests share native state (threads, seeds): run them one at a time.</summary>
[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchCollection;
