using System.IO;
using System.Runtime.CompilerServices;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// Runs when code of this assembly first runs (before any cmdlet or <c>OnImport</c>), installing the loader of the
/// engine's dependencies. See <see cref="EngineLoader"/>.
/// </summary>
internal static class ModuleBootstrap
{
#pragma warning disable CA2255 // The loader must be in place before any code of the module runs.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        string location = typeof(ModuleBootstrap).Assembly.Location;
        if (string.IsNullOrEmpty(location)) return;
        EngineLoader.Install(Path.Combine(Path.GetDirectoryName(location)!, EngineLoader.EngineFolderName));
    }
}
