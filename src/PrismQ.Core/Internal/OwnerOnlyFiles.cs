using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PrismQ.Internal;

/// <summary>
/// Creates the files and folders PrismQ makes (the database, the trace database, a backup, their folders and the
/// workers' liveness folder) readable by their owner only on Unix: files 0600, folders 0700. SQLite gives a database's
/// <c>-wal</c>, <c>-shm</c> and <c>-journal</c> files the mode of the database file, so creating the database file
/// first (empty, 0600) covers them too. Existing files and folders are never changed: a database the user made keeps
/// its mode. On Windows nothing is done: the default location is in the user's own profile, and a file inherits its
/// folder's access rules.
/// <para>
/// The modes are set at creation (no window in which the file is readable by others): on net8.0 with
/// <c>FileStreamOptions.UnixCreateMode</c> and <c>Directory.CreateDirectory(path, UnixFileMode)</c>; in the
/// netstandard2.0 build (the one the PowerShell module loads) the same two APIs are found by reflection, as they exist
/// in every runtime from .NET 7 on (PowerShell 7.4 and later). On an older runtime they are missing, and files and
/// folders are created with the process's default mode (its umask) as before.
/// </para>
/// </summary>
internal static class OwnerOnlyFiles
{
    /// <summary>rw------- (0600).</summary>
    public const int FileMode0600 = 0x180;

    /// <summary>rwx------ (0700).</summary>
    public const int FolderMode0700 = 0x1C0;

#if !NET7_0_OR_GREATER
    private static readonly bool IsUnix = !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    private static readonly Type? FileStreamOptionsType = typeof(FileStream).Assembly.GetType("System.IO.FileStreamOptions");
    private static readonly Type? UnixFileModeType = typeof(FileStream).Assembly.GetType("System.IO.UnixFileMode");
#endif

    /// <summary>
    /// Creates <paramref name="folder"/> and any missing parent, each new one owner-only on Unix (0700). Folders that
    /// exist keep their mode. Throws as <see cref="Directory.CreateDirectory(string)"/> does.
    /// </summary>
    public static void CreateDirectory(string folder)
    {
        if (Directory.Exists(folder)) return;
        // CreateDirectory(path, mode) gives the mode to the last folder only: each missing one is created in turn.
        var missing = new Stack<string>();
        for (string? d = Path.GetFullPath(folder); !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Push(d!);
        while (missing.Count > 0) CreateOneDirectory(missing.Pop());
    }

    /// <summary>Creates one folder whose parent exists: owner-only on Unix where the runtime can, else with the default mode.</summary>
    private static void CreateOneDirectory(string folder)
    {
#if NET7_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }
#else
        MethodInfo? create = !IsUnix || UnixFileModeType is null ? null : typeof(Directory).GetMethod(nameof(Directory.CreateDirectory), new[] { typeof(string), UnixFileModeType });
        if (create is not null)
        {
            Invoke(() => create.Invoke(null, new[] { folder, Enum.ToObject(UnixFileModeType!, FolderMode0700) }));
            return;
        }
#endif
        Directory.CreateDirectory(folder);
    }

    /// <summary>
    /// On Unix, creates <paramref name="path"/> as an empty owner-only file (0600) when it does not exist, so SQLite opens
    /// that file (and gives its -wal and -shm the same mode) instead of creating one readable by all. When the file
    /// exists, or another process creates it first, it is left as it is. Does nothing on Windows.
    /// </summary>
    public static void CreateFileIfMissing(string path)
    {
#if NET7_0_OR_GREATER
        if (OperatingSystem.IsWindows() || File.Exists(path)) return;
#else
        if (!IsUnix || File.Exists(path)) return;
#endif
        try
        {
            using FileStream? stream = CreateNew(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it between our check and our create: its creator chose the mode.
        }
    }

    private static FileStream? CreateNew(string path)
    {
#if NET7_0_OR_GREATER
        if (OperatingSystem.IsWindows()) return null;
        return new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
#else
        ConstructorInfo? constructor = FileStreamOptionsType is null ? null : typeof(FileStream).GetConstructor(new[] { typeof(string), FileStreamOptionsType });
        if (constructor is null) return null; // a runtime before .NET 7: SQLite creates the file with the default mode
        object options = Activator.CreateInstance(FileStreamOptionsType!)!;
        FileStreamOptionsType!.GetProperty("Mode")!.SetValue(options, FileMode.CreateNew);
        FileStreamOptionsType.GetProperty("Access")!.SetValue(options, FileAccess.Write);
        FileStreamOptionsType.GetProperty("Share")!.SetValue(options, FileShare.ReadWrite | FileShare.Delete);
        PropertyInfo mode = FileStreamOptionsType.GetProperty("UnixCreateMode")!;
        mode.SetValue(options, Enum.ToObject(Nullable.GetUnderlyingType(mode.PropertyType) ?? mode.PropertyType, FileMode0600));
        return (FileStream)Invoke(() => constructor.Invoke(new[] { path, options }))!;
#endif
    }

#if !NET7_0_OR_GREATER
    /// <summary>Runs a reflected call, rethrowing what it threw (an IOException stays an IOException).</summary>
    private static object? Invoke(Func<object?> call)
    {
        try
        {
            return call();
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }
#endif
}
