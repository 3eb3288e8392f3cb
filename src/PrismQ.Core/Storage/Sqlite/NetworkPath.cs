using System;
using System.IO;
using System.Runtime.InteropServices;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// Detects a database path on a network share, where SQLite's WAL mode does not work (its shared-memory index
/// needs one machine). Only what is cheap and certain is detected: UNC paths and mapped network drives on Windows.
/// </summary>
internal static class NetworkPath
{
    /// <summary>True for <c>\\server\share\...</c> (and <c>//server/share</c>), but not for the local device prefixes <c>\\?\</c> and <c>\\.\</c> unless they name a UNC path.</summary>
    public static bool IsUnc(string path)
    {
        if (path.Length < 3) return false;
        bool sep0 = path[0] == '\\' || path[0] == '/';
        bool sep1 = path[1] == '\\' || path[1] == '/';
        if (!sep0 || !sep1) return false;
        if (path[2] == '?' || path[2] == '.')
        {
            // \\?\UNC\server\share is a UNC path; \\?\C:\ and \\.\ devices are local.
            return path.Length >= 8 && path.Substring(4, 4).Equals("UNC\\", StringComparison.OrdinalIgnoreCase);
        }
        return true;
    }

    /// <summary>True when the full path is on a network share, as far as the platform tells cheaply (Windows only).</summary>
    public static bool IsOnNetworkShare(string fullPath)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return false;
        if (IsUnc(fullPath)) return true;
        try
        {
            string? root = Path.GetPathRoot(fullPath);
            return root is not null && root.Length > 0 && new DriveInfo(root).DriveType == DriveType.Network;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
