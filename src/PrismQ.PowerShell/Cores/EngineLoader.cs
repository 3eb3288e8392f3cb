using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// Makes the module load what it ships, deterministically, at import. The module folder (<c>module/bin</c>) holds the
/// cmdlet assembly, the engine (PrismQ.Core) and its managed dependencies side by side, and the native SQLite library
/// of every supported platform under <c>runtimes/&lt;rid&gt;/native</c> (win-x64, win-arm64, linux-x64, linux-arm64,
/// osx-x64, osx-arm64).
/// <list type="bullet">
/// <item>PowerShell 7 (.NET): when <c>SQLitePCLRaw.provider.e_sqlite3</c> loads, its <c>DllImport("e_sqlite3")</c> is bound
/// to the shipped file of the current platform with <c>NativeLibrary.SetDllImportResolver</c> (reached by reflection:
/// this assembly targets netstandard2.0). If another module already bound that assembly, its binding stays.</item>
/// <item>Windows PowerShell 5.1 (.NET Framework): an <c>AppDomain.AssemblyResolve</c> handler answers any request for an
/// assembly the module ships with the shipped file, whatever version was asked for (this replaces the binding redirects
/// System.Text.Json and System.Memory would need), and <c>e_sqlite3.dll</c> for the process architecture is loaded by full
/// path with <c>LoadLibrary</c>, so the provider's <c>DllImport</c> finds that module already loaded.</item>
/// </list>
/// Not done: loading the engine into its own AssemblyLoadContext on PowerShell 7 (the two-assembly split); a module that
/// loaded another version of Microsoft.Data.Sqlite first can still conflict there (docs/cmdlets/about and README say so).
/// </summary>
internal static class EngineLoader
{
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

    /// <summary>The file in <paramref name="folder"/> that holds the assembly, or null when the module does not ship it.</summary>
    public static string? AssemblyPath(string folder, AssemblyName name)
    {
        if (string.IsNullOrEmpty(name.Name)) return null;
        string path = Path.Combine(folder, name.Name + ".dll");
        return File.Exists(path) ? path : null;
    }

    /// <summary>True on .NET (PowerShell 7), false on .NET Framework (Windows PowerShell 5.1).</summary>
    public static bool IsCoreClr => !RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

    /// <summary>Installs the resolvers for <paramref name="folder"/> (once per process; later calls do nothing).</summary>
    public static void Install(string folder)
    {
        lock (Gate)
        {
            if (_folder is not null) return;
            _folder = folder;
            if (IsCoreClr) InstallCoreClr();
            else InstallNetFramework();
        }
    }

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

    // .NET Core APIs reached by reflection (this assembly targets netstandard2.0).
    private static void InstallCoreClr()
    {
        AppDomain.CurrentDomain.AssemblyLoad += (_, args) =>
        {
            if (IsProvider(args.LoadedAssembly)) BindNative(args.LoadedAssembly);
        };
        foreach (Assembly loaded in AppDomain.CurrentDomain.GetAssemblies())
            if (IsProvider(loaded)) BindNative(loaded);
    }

    private static bool IsProvider(Assembly assembly) =>
        string.Equals(assembly.GetName().Name, "SQLitePCLRaw.provider.e_sqlite3", StringComparison.OrdinalIgnoreCase);

    private static void BindNative(Assembly provider)
    {
        string? rid = CurrentRid();
        if (rid is null) return;
        string native = NativePath(_folder!, rid);
        if (!File.Exists(native)) return;
        Type? nativeLibrary = Type.GetType("System.Runtime.InteropServices.NativeLibrary, System.Runtime.InteropServices");
        Type? resolverType = Type.GetType("System.Runtime.InteropServices.DllImportResolver, System.Runtime.InteropServices");
        if (nativeLibrary is null || resolverType is null) return;
        var resolver = new NativeResolver(native, nativeLibrary);
        Delegate callback = Delegate.CreateDelegate(resolverType, resolver, typeof(NativeResolver).GetMethod(nameof(NativeResolver.Resolve))!);
        try
        {
            nativeLibrary.GetMethod("SetDllImportResolver")!.Invoke(null, new object[] { provider, callback });
        }
        catch (TargetInvocationException ex) when (ex.InnerException is InvalidOperationException)
        {
            // Another module bound this assembly's native library first: its binding stays.
        }
    }

    /// <summary>Resolves <c>e_sqlite3</c> to the shipped file; any other library to the default probing.</summary>
    internal sealed class NativeResolver
    {
        private readonly string _path;
        private readonly MethodInfo _load;

        public NativeResolver(string path, Type nativeLibrary)
        {
            _path = path;
            _load = nativeLibrary.GetMethod("Load", new[] { typeof(string) })!;
        }

        public IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
            libraryName == "e_sqlite3" ? (IntPtr)_load.Invoke(null, new object[] { _path })! : IntPtr.Zero;
    }

    private static class WindowsNative
    {
        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
        public static extern IntPtr LoadLibraryW(string path);
    }
}
