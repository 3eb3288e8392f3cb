using System.IO;
using System.Runtime.CompilerServices;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// Runs when this assembly is first touched, before PowerShell reflects over its types at import (which already needs the
/// engine's types, such as <c>TaskStatus</c>), so that the engine resolves from the module's <c>engine</c> folder from the
/// very first load. See <see cref="EngineLoader"/>.
/// </summary>
internal static class ModuleBootstrap
{
#pragma warning disable CA2255 // A module initializer is exactly what a binary module's loader needs: it must run before type scanning.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        string location = typeof(ModuleBootstrap).Assembly.Location;
        if (string.IsNullOrEmpty(location)) return;
        EngineLoader.Install(Path.Combine(Path.GetDirectoryName(location)!, EngineLoader.EngineFolderName));
    }
}
