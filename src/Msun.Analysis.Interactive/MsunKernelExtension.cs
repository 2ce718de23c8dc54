using Microsoft.DotNet.Interactive;

namespace Msun.Analysis.Interactive;

/// <summary>
/// The kernel extension: .NET Interactive runs it when this assembly is loaded as an extension (from a package's
/// <c>interactive-extensions/dotnet</c> folder); it registers <see cref="ResultFormatters"/>.
/// </summary>
public sealed class MsunKernelExtension : IKernelExtension
{
    /// <inheritdoc />
    public Task OnLoadAsync(Kernel kernel)
    {
        ResultFormatters.Register();
        return Task.CompletedTask;
    }
}
