using System;
using System.IO;
using System.Reflection;
using System.Reflection.Emit;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// The AssemblyLoadContext the engine runs in on PowerShell 7 (.NET): PrismQ.Core and every dependency the module
/// ships in its <c>engine</c> folder are loaded from there, into this context, even when another module has loaded
/// other versions of the same assemblies (Microsoft.Data.Sqlite, SQLitePCLRaw, System.Text.Json...) into the default
/// context; the native <c>e_sqlite3</c> comes from <c>engine/runtimes/&lt;rid&gt;/native</c>.
/// <para>
/// This assembly targets netstandard2.0, where AssemblyLoadContext cannot be derived from at compile time, so the
/// derived context is emitted at run time: a sealed subclass whose <c>Load</c> and <c>LoadUnmanagedDll</c> overrides
/// call this class. Anything the engine folder does not hold (the framework) is left to the default context.
/// </para>
/// </summary>
internal sealed class EngineContext
{
    private readonly string _folder;
    private readonly MethodInfo _loadFromPath;
    private readonly MethodInfo _loadFromName;
    private readonly MethodInfo _loadUnmanagedFromPath;
    private int _nativeLoads;

    private EngineContext(string folder, Type contextType)
    {
        _folder = folder;
        Type alc = contextType.BaseType!;
        _loadFromPath = alc.GetMethod("LoadFromAssemblyPath", new[] { typeof(string) })!;
        _loadFromName = alc.GetMethod("LoadFromAssemblyName", new[] { typeof(AssemblyName) })!;
        contextType.GetField("Loader")!.SetValue(null, new Func<AssemblyName, Assembly?>(LoadFromFolder));
        contextType.GetField("Native")!.SetValue(null, new Func<object, string, IntPtr>(LoadNative));
        _loadUnmanagedFromPath = alc.GetMethod("LoadUnmanagedDllFromPath", BindingFlags.Instance | BindingFlags.NonPublic, null, new[] { typeof(string) }, null)!;
        Context = Activator.CreateInstance(contextType, "PrismQ")!;
    }

    /// <summary>The System.Runtime.Loader.AssemblyLoadContext instance (named <c>PrismQ</c>).</summary>
    public object Context { get; }

    /// <summary>How many times the native SQLite was bound from the engine folder.</summary>
    public int NativeLoads => _nativeLoads;

    /// <summary>Creates a context over <paramref name="engineFolder"/> (.NET only; throws on .NET Framework).</summary>
    public static EngineContext Create(string engineFolder)
    {
        Type alc = Type.GetType("System.Runtime.Loader.AssemblyLoadContext, System.Runtime.Loader", throwOnError: true)!;
        return new EngineContext(engineFolder, EmitContextType(alc));
    }

    /// <summary>For the default context's <c>Resolving</c> event: an assembly the engine folder ships, loaded (once) into this context; else null.</summary>
    public Assembly? Resolve(AssemblyName name) =>
        EngineLoader.AssemblyPath(_folder, name) is null || FrameworkProvides(name) ? null : (Assembly?)_loadFromName.Invoke(Context, new object[] { name });

    // Load override: our copy when we ship the assembly and the framework does not provide it (at the version asked
    // for or later); else the default context's. Framework assemblies (System.Memory, System.Buffers...) must stay the
    // framework's so that their types (Span<T>...) are the runtime's own.
    private Assembly? LoadFromFolder(AssemblyName name)
    {
        string? path = EngineLoader.AssemblyPath(_folder, name);
        if (path is null || FrameworkProvides(name)) return null;
        return (Assembly?)_loadFromPath.Invoke(Context, new object[] { path });
    }

    /// <summary>
    /// True when the runtime's own folder (the shared framework, or <c>$PSHOME</c> for a self-contained PowerShell) holds
    /// <paramref name="name"/> at its version or later.
    /// </summary>
    public static bool FrameworkProvides(AssemblyName name)
    {
        if (string.IsNullOrEmpty(name.Name)) return false;
        string path = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), name.Name + ".dll");
        if (!File.Exists(path)) return false;
        try
        {
            Version? available = AssemblyName.GetAssemblyName(path).Version;
            return name.Version is null || (available is not null && available >= name.Version);
        }
        catch (Exception ex) when (ex is IOException || ex is BadImageFormatException || ex is UnauthorizedAccessException)
        {
            return false;
        }
    }

    // LoadUnmanagedDll override: the shipped SQLite for this platform, else the default probing (IntPtr.Zero).
    private IntPtr LoadNative(object context, string libraryName)
    {
        string? path = NativePath(libraryName);
        return path is null ? IntPtr.Zero : (IntPtr)_loadUnmanagedFromPath.Invoke(context, new object[] { path })!;
    }

    private string? NativePath(string libraryName)
    {
        string simple = Path.GetFileNameWithoutExtension(libraryName);
        if (simple.StartsWith("lib", StringComparison.Ordinal)) simple = simple.Substring(3);
        if (!string.Equals(simple, "e_sqlite3", StringComparison.Ordinal)) return null;
        string? path = EngineLoader.CurrentNativePath(_folder);
        if (path is null || !File.Exists(path)) return null;
        System.Threading.Interlocked.Increment(ref _nativeLoads);
        return path;
    }

    /// <summary>
    /// Emits <c>sealed class PrismQEngineLoadContext : AssemblyLoadContext</c> with a <c>(string name)</c> constructor
    /// (not collectible) and overrides that forward to the static delegates <c>Loader</c> and <c>Native</c>. The
    /// builder types are not in netstandard2.0's surface, so they are reached by reflection; ILGenerator is.
    /// </summary>
    private static Type EmitContextType(Type alc)
    {
        Type assemblyBuilder = Type.GetType("System.Reflection.Emit.AssemblyBuilder, System.Reflection.Emit", throwOnError: true)!;
        Type access = Type.GetType("System.Reflection.Emit.AssemblyBuilderAccess, System.Reflection.Emit", throwOnError: true)!;
        object assembly = assemblyBuilder.GetMethod("DefineDynamicAssembly", new[] { typeof(AssemblyName), access })!
            .Invoke(null, new[] { new AssemblyName("PrismQ.EngineLoadContext." + Guid.NewGuid().ToString("N")), Enum.ToObject(access, 1) })!;
        object module = Call(assembly, "DefineDynamicModule", new[] { typeof(string) }, "PrismQ.EngineLoadContext");
        object type = Call(module, "DefineType", new[] { typeof(string), typeof(TypeAttributes), typeof(Type) },
            "PrismQEngineLoadContext", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, alc);
        var loader = (FieldInfo)Call(type, "DefineField", new[] { typeof(string), typeof(Type), typeof(FieldAttributes) },
            "Loader", typeof(Func<AssemblyName, Assembly>), FieldAttributes.Public | FieldAttributes.Static);
        var native = (FieldInfo)Call(type, "DefineField", new[] { typeof(string), typeof(Type), typeof(FieldAttributes) },
            "Native", typeof(Func<object, string, IntPtr>), FieldAttributes.Public | FieldAttributes.Static);

        ConstructorInfo baseConstructor = alc.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, new[] { typeof(string), typeof(bool) }, null)!;
        object constructor = Call(type, "DefineConstructor", new[] { typeof(MethodAttributes), typeof(CallingConventions), typeof(Type[]) },
            MethodAttributes.Public, CallingConventions.Standard, new[] { typeof(string) });
        object il = Call(constructor, "GetILGenerator", Type.EmptyTypes);
        Emit(il, OpCodes.Ldarg_0);
        Emit(il, OpCodes.Ldarg_1);
        Emit(il, OpCodes.Ldc_I4_0);
        Emit(il, OpCodes.Call, baseConstructor, typeof(ConstructorInfo));
        Emit(il, OpCodes.Ret);

        // protected override Assembly Load(AssemblyName name) => Loader(name);
        MethodInfo baseLoad = alc.GetMethod("Load", BindingFlags.Instance | BindingFlags.NonPublic, null, new[] { typeof(AssemblyName) }, null)!;
        var load = (MethodInfo)Call(type, "DefineMethod", new[] { typeof(string), typeof(MethodAttributes), typeof(Type), typeof(Type[]) },
            "Load", MethodAttributes.Family | MethodAttributes.Virtual | MethodAttributes.HideBySig, typeof(Assembly), new[] { typeof(AssemblyName) });
        il = Call(load, "GetILGenerator", Type.EmptyTypes);
        Emit(il, OpCodes.Ldsfld, loader, typeof(FieldInfo));
        Emit(il, OpCodes.Ldarg_1);
        Emit(il, OpCodes.Callvirt, typeof(Func<AssemblyName, Assembly>).GetMethod("Invoke")!, typeof(MethodInfo));
        Emit(il, OpCodes.Ret);
        Call(type, "DefineMethodOverride", new[] { typeof(MethodInfo), typeof(MethodInfo) }, load, baseLoad);

        // protected override IntPtr LoadUnmanagedDll(string name) => Native(this, name);
        MethodInfo baseUnmanaged = alc.GetMethod("LoadUnmanagedDll", BindingFlags.Instance | BindingFlags.NonPublic, null, new[] { typeof(string) }, null)!;
        var unmanaged = (MethodInfo)Call(type, "DefineMethod", new[] { typeof(string), typeof(MethodAttributes), typeof(Type), typeof(Type[]) },
            "LoadUnmanagedDll", MethodAttributes.Family | MethodAttributes.Virtual | MethodAttributes.HideBySig, typeof(IntPtr), new[] { typeof(string) });
        il = Call(unmanaged, "GetILGenerator", Type.EmptyTypes);
        Emit(il, OpCodes.Ldsfld, native, typeof(FieldInfo));
        Emit(il, OpCodes.Ldarg_0);
        Emit(il, OpCodes.Ldarg_1);
        Emit(il, OpCodes.Callvirt, typeof(Func<object, string, IntPtr>).GetMethod("Invoke")!, typeof(MethodInfo));
        Emit(il, OpCodes.Ret);
        Call(type, "DefineMethodOverride", new[] { typeof(MethodInfo), typeof(MethodInfo) }, unmanaged, baseUnmanaged);

        return ((TypeInfo)Call(type, "CreateTypeInfo", Type.EmptyTypes)).AsType();
    }

    private static void Emit(object il, OpCode code) =>
        il.GetType().GetMethod("Emit", new[] { typeof(OpCode) })!.Invoke(il, new object[] { code });

    private static void Emit(object il, OpCode code, object operand, Type operandType) =>
        il.GetType().GetMethod("Emit", new[] { typeof(OpCode), operandType })!.Invoke(il, new[] { code, operand });

    private static object Call(object target, string method, Type[] parameterTypes, params object[] arguments) =>
        target.GetType().GetMethod(method, parameterTypes)!.Invoke(target, arguments)!;
}
