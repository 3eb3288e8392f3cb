using System.IO;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// Runs when the module is imported (makes sure the engine loader is installed) and when it is removed (closes the
/// session's open databases).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Makes sure the engine loader is installed (the assembly's module initializer has normally done it already).</summary>
    public void OnImport()
    {
        string folder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";
        EngineLoader.Install(Path.Combine(folder, EngineLoader.EngineFolderName));
    }

    /// <summary>Closes every store the session opened.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => StoreCache.CloseAll();
}
