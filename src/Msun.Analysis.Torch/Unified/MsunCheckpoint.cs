using Msun.Analysis.Torch.Training;

namespace Msun.Analysis.Torch.Unified;

/// <summary>Loads an MSUN trained by <see cref="Trainer"/> from its checkpoint, refusing one of another configuration.</summary>
public static class MsunCheckpoint
{
    /// <summary>
    /// Builds the network recorded in the checkpoint in <paramref name="directory"/> and loads its weights strictly.
    /// </summary>
    /// <param name="directory">The run folder holding <c>checkpoint.zip</c>.</param>
    /// <param name="expected">When given, the checkpoint's configuration must equal it; the error lists every differing field.</param>
    /// <returns>The network (caller owns it) and the checkpoint's state.</returns>
    /// <exception cref="CheckpointException">Missing or unreadable, not an MSUN checkpoint, another configuration, or weights that do not fit.</exception>
    public static (MsunNetwork Network, CheckpointState State) Load(string directory, MsunConfig? expected = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        var state = Checkpoint.ReadState(full);
        var config = state.Options.Msun
            ?? throw new CheckpointException(
                $"{Checkpoint.PathIn(full)} holds a {state.Options.Method.ToName()} {state.Options.Backbone}, not an MSUN model.");
        if (expected is not null && config.Differences(expected) is { Count: > 0 } differences)
            throw new CheckpointException(
                $"{Checkpoint.PathIn(full)} holds another MSUN configuration: {string.Join("; ", differences)} (checkpoint vs requested). "
                + $"Checkpoint: {config.Describe()}; requested: {expected.Describe()}.");
        var network = new MsunNetwork(config, state.Dataset.Channels, state.Dataset.Classes);
        try
        {
            Checkpoint.LoadModel(full, network);
        }
        catch
        {
            network.Dispose();
            throw;
        }

        return (network, state);
    }
}
