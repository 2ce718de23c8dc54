using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Study;

/// <summary>
/// Puts a model in <c>eval()</c> mode and, when disposed, gives every module back its own training flag: a study
/// measures the model as it would be deployed (BatchNorm running statistics) and leaves it as it found it.
/// </summary>
public sealed class EvalModeScope : IDisposable
{
    private readonly (nn.Module Module, bool Training)[] modes;

    private EvalModeScope(nn.Module model)
    {
        // named_modules() lists parents before children and train() recurses, so restoring in this order leaves every
        // module with its own saved flag.
        modes = [(model, model.training), .. model.named_modules().Select(p => (p.module, p.module.training))];
        model.eval();
    }

    /// <summary>Saves every module's mode and switches the model to eval mode.</summary>
    public static EvalModeScope Enter(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new EvalModeScope(model);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (module, training) in modes)
            module.train(training);
    }
}
