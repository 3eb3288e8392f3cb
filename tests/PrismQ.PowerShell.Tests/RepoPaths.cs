using System;
using System.IO;

namespace PrismQ.PowerShell.Tests;

/// <summary>Finds the repository root (the folder holding PrismQ.sln) from the test's output folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "PrismQ.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("PrismQ.sln not found above " + AppContext.BaseDirectory);
    }
}
