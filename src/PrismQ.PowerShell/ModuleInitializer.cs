using System.IO;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// Runs when the module is imported (binds the shipped native SQLite, see <c>EngineLoader</c>) and when it is removed (closes the
/// session's open databases).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Installs the resolvers that load the engine and native SQLite from the module folder.</summary>
    public void OnImport()
    {
        string folder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";
        EngineLoader.Install(folder);
    }

    /// <summary>Closes every store the session opened.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => StoreCache.CloseAll();
}
