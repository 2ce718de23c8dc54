using Msun.Analysis.Torch.Backbones;
using TorchSharp;

namespace Msun.Analysis.Torch.Tests.Backbones;

/// <summary>Builds each backbone once per test class (VGG-16-BN alone has 138 M parameters), from a fixed seed.</summary>
public sealed class BackboneCache : IDisposable
{
    private readonly Dictionary<string, Backbone> models = [];

    public Backbone Get(string name)
    {
        if (!models.TryGetValue(name, out var model))
        {
            torch.manual_seed(20240327);
            model = BackboneRegistry.Get(name).Create();
            models[name] = model;
        }

        return model;
    }

    public void Dispose()
    {
        foreach (var m in models.Values)
        {
            m.Dispose();
        }
    }
}
