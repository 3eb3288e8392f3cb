using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

public sealed class LoaderAndCompletionTests
{
    [Theory]
    [InlineData("win", Architecture.X64, "win-x64")]
    [InlineData("win", Architecture.Arm64, "win-arm64")]
    [InlineData("linux", Architecture.X64, "linux-x64")]
    [InlineData("linux", Architecture.Arm64, "linux-arm64")]
    [InlineData("osx", Architecture.X64, "osx-x64")]
    [InlineData("osx", Architecture.Arm64, "osx-arm64")]
    [InlineData("win", Architecture.X86, null)]
    [InlineData(null, Architecture.X64, null)]
    public void Runtime_identifier_per_platform(string? os, Architecture arch, string? rid) => Assert.Equal(rid, EngineLoader.Rid(os, arch));

    [Fact]
    public void The_build_lays_out_an_importable_module_with_native_sqlite_for_six_platforms()
    {
        string bin = Path.Combine(RepoPaths.Root, "module", "bin");
        string engine = Path.Combine(bin, EngineLoader.EngineFolderName);
        foreach (string rid in new[] { "win-x64", "win-arm64", "linux-x64", "linux-arm64", "osx-x64", "osx-arm64" })
            Assert.True(File.Exists(EngineLoader.NativePath(engine, rid)), $"missing native SQLite for {rid}");
        Assert.Equal(new[] { "PrismQ.Core.dll", "PrismQ.PowerShell.dll" }, Directory.GetFiles(bin, "*.dll").Select(Path.GetFileName).OrderBy(n => n));
        foreach (string dll in new[] { "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.provider.e_sqlite3.dll", "System.Text.Json.dll", "Microsoft.Bcl.TimeProvider.dll" })
            Assert.True(File.Exists(Path.Combine(engine, dll)), $"missing {dll}");
        Assert.False(File.Exists(Path.Combine(engine, "System.Management.Automation.dll")), "PowerShell's own assembly must not ship");
        Assert.False(Directory.Exists(Path.Combine(bin, "runtimes")), "native files belong to the engine folder");
        Assert.Equal(Path.Combine(engine, "Microsoft.Data.Sqlite.dll"), EngineLoader.AssemblyPath(engine, new AssemblyName("Microsoft.Data.Sqlite, Version=9.9.9.9")));
        Assert.Null(EngineLoader.AssemblyPath(engine, new AssemblyName("Not.Shipped")));
        Assert.True(File.Exists(EngineLoader.CurrentNativePath(engine)));
    }

    [Fact]
    public void Completion_matches_by_prefix_ignoring_case_and_quotes()
    {
        Assert.Equal(new[] { "Mail", "mail-eu" }, CompletionCore.Matching(new[] { "reports", "mail-eu", "Mail" }, "'ma"));
        Assert.Equal(3, CompletionCore.Matching(new[] { "a", "b", "c" }, "").Count);
        Assert.Empty(CompletionCore.Queues(Path.Combine(Path.GetTempPath(), "prismq-does-not-exist.db"), ""));
    }
}
