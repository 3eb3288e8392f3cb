using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// Makes the module load what it ships, deterministically. The cmdlet assembly and the engine (PrismQ.Core) sit in
/// <c>module/bin</c>, where PowerShell's own probing finds the engine while it reflects over the cmdlets at import;
/// every third-party dependency (Microsoft.Data.Sqlite, SQLitePCLRaw, System.Text.Json, ...) sits apart in
/// <c>module/bin/engine</c>, with the native SQLite of every supported platform under
/// <c>engine/runtimes/&lt;rid&gt;/native</c> (win-x64, win-arm64, linux-x64, linux-arm64, osx-x64, osx-arm64), where
/// nothing but this loader looks. The loader is installed by the assembly's module initializer (<c>ModuleBootstrap</c>)
/// and again, idempotently, by <c>IModuleAssemblyInitializer.OnImport</c>; both run before the engine first needs a
/// dependency (at the first database use).
/// <list type="bullet">
/// <item>PowerShell 7 (.NET): a dependency the engine asks for and the default context cannot supply (absent, or an
/// older version another module loaded) comes from the engine folder into the module's own AssemblyLoadContext
/// (<see cref="EngineContext"/>), where every shipped assembly comes from that folder and <c>e_sqlite3</c> binds to the
/// shipped native file of the current platform. A dependency another module loaded first at the same or a higher
/// version is shared (it satisfies the engine's reference).</item>
/// <item>Windows PowerShell 5.1 (.NET Framework): an <c>AppDomain.AssemblyResolve</c> handler answers any request for an
/// assembly the engine folder ships with the shipped file, whatever version was asked for (this replaces the binding
/// redirects System.Text.Json and System.Memory would need), and <c>e_sqlite3.dll</c> for the process architecture is
/// loaded by full path with <c>LoadLibrary</c> first, so the provider's <c>DllImport</c> finds that module already loaded.</item>
/// </list>
/// </summary>
internal static class EngineLoader
{
    /// <summary>The folder, beside the cmdlet assembly, that holds the engine and its dependencies.</summary>
    public const string EngineFolderName = "engine";

    private static readonly object Gate = new();
    private static string? _folder;

    /// <summary>The runtime identifier whose native SQLite the module ships for this process, or null when none is shipped.</summary>
    public static string? CurrentRid() => Rid(
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
        : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
        : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux" : null,
        RuntimeInformation.ProcessArchitecture);

    /// <summary>The shipped runtime identifier for an OS prefix and architecture, or null.</summary>
    public static string? Rid(string? os, Architecture architecture)
    {
        if (os is null) return null;
        string? arch = architecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            _ => null,
        };
        return arch is null ? null : os + "-" + arch;
    }

    /// <summary>The native file name of SQLite for an OS prefix.</summary>
    public static string NativeFileName(string os) => os switch
    {
        "win" => "e_sqlite3.dll",
        "osx" => "libe_sqlite3.dylib",
        _ => "libe_sqlite3.so",
    };

    /// <summary>The full path of the shipped native SQLite for <paramref name="rid"/> under <paramref name="folder"/>.</summary>
    public static string NativePath(string folder, string rid) =>
        Path.Combine(folder, "runtimes", rid, "native", NativeFileName(rid.Substring(0, rid.IndexOf('-'))));

    /// <summary>
    /// The folder, inside the engine folder, of what only .NET 8 and later load: the PostgreSQL store (PrismQ.Postgres,
    /// Npgsql and its dependencies) and the .NET builds of dependencies whose netstandard builds define types the runtime
    /// has (Microsoft.Bcl.TimeProvider: its .NET 8 build forwards <c>TimeProvider</c> to the runtime's own, so the
    /// netstandard engine, the cmdlets and the .NET 8 PostgreSQL store all see one type).
    /// </summary>
    public const string CoreClrFolderName = "net8.0";

    /// <summary>
    /// The file in <paramref name="folder"/> that holds the assembly, or null when the module does not ship it. On .NET
    /// (PowerShell 7) a file in <see cref="CoreClrFolderName"/> comes first.
    /// </summary>
    public static string? AssemblyPath(string folder, AssemblyName name) => AssemblyPath(folder, name, IsCoreClr);

    /// <summary><see cref="AssemblyPath(string, AssemblyName)"/> for .NET (<paramref name="coreClr"/>) or .NET Framework.</summary>
    public static string? AssemblyPath(string folder, AssemblyName name, bool coreClr)
    {
        if (string.IsNullOrEmpty(name.Name)) return null;
        if (coreClr)
        {
            string modern = Path.Combine(folder, CoreClrFolderName, name.Name + ".dll");
            if (File.Exists(modern)) return modern;
        }
        string path = Path.Combine(folder, name.Name + ".dll");
        return File.Exists(path) ? path : null;
    }

    /// <summary>True on .NET (PowerShell 7), false on .NET Framework (Windows PowerShell 5.1).</summary>
    public static bool IsCoreClr => !RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

    /// <summary>The engine's own load context on .NET, once installed.</summary>
    public static EngineContext? Context { get; private set; }

    /// <summary>
    /// Installs the resolvers for the engine folder (once per process; later calls, and a folder that does not exist,
    /// do nothing: the assembly is then used outside the module layout, as in tests).
    /// </summary>
    /// <remarks>
    /// Never throws: this runs in the assembly's module initializer, where an exception would make the whole cmdlet
    /// assembly unusable (every later use fails with a TypeInitializationException, so Import-Module itself fails).
    /// A failure is kept in <see cref="InstallError"/> and reported as a warning by the first cmdlet that opens a
    /// database; the engine may still work then (with the dependencies PowerShell's own probing finds).
    /// </remarks>
    public static void Install(string folder)
    {
        lock (Gate)
        {
            try
            {
                if (_folder is not null || !Directory.Exists(folder)) return;
                _folder = folder;
                if (IsCoreClr) InstallCoreClr();
                else InstallNetFramework();
            }
            catch (Exception ex)
            {
                InstallError = ex;
            }
        }
    }

    /// <summary>Why <see cref="Install"/> could not set up the loader, or null when it did (or had nothing to do).</summary>
    public static Exception? InstallError { get; private set; }

    /// <summary>The native SQLite file the loader binds for this process, or null when the platform is not shipped.</summary>
    public static string? CurrentNativePath(string folder)
    {
        string? rid = CurrentRid();
        return rid is null ? null : NativePath(folder, rid);
    }

    private static void InstallNetFramework()
    {
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
        {
            string? path = AssemblyPath(_folder!, new AssemblyName(args.Name));
            return path is null ? null : Assembly.LoadFrom(path);
        };
        string? rid = CurrentRid();
        if (rid is not null && rid.StartsWith("win-", StringComparison.Ordinal))
        {
            string native = NativePath(_folder!, rid);
            if (File.Exists(native)) WindowsNative.LoadLibraryW(native);
        }
    }

    // .NET APIs reached by reflection (this assembly targets netstandard2.0).
    private static void InstallCoreClr()
    {
        EngineContext context = EngineContext.Create(_folder!);
        Context = context;
        Type alc = context.Context.GetType().BaseType!;
        object defaultContext = alc.GetProperty("Default", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        EventInfo resolving = alc.GetEvent("Resolving")!;
        var resolver = new DefaultContextResolver(context);
        Delegate callback = Delegate.CreateDelegate(resolving.EventHandlerType!, resolver, typeof(DefaultContextResolver).GetMethod(nameof(DefaultContextResolver.Resolve))!);
        resolving.AddEventHandler(defaultContext, callback);
    }

    /// <summary>Bound (by parameter contravariance) to <c>Func&lt;AssemblyLoadContext, AssemblyName, Assembly?&gt;</c>.</summary>
    internal sealed class DefaultContextResolver
    {
        private readonly EngineContext _context;

        public DefaultContextResolver(EngineContext context) => _context = context;

        public Assembly? Resolve(object requestingContext, AssemblyName name) => _context.Resolve(name);
    }

    private static class WindowsNative
    {
        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
        public static extern IntPtr LoadLibraryW(string path);
    }
}
