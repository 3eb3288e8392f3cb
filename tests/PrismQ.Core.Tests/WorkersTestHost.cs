using System;
using System.Diagnostics;
using System.IO;

namespace PrismQ.Tests;

/// <summary>Starts <c>PrismQ.TestHost worker</c> processes (built beside this test project).</summary>
internal static class WorkersTestHost
{
    /// <summary>
    /// The xunit collection of the tests that run several worker processes (the crash tests of both backends): they run
    /// one class after the other, not side by side, so that two soaks never share the machine's cores.
    /// </summary>
    public const string Collection = "Worker processes";

    private static readonly Lazy<string> HostDll = new(FindHostDll);

    public static Process StartWorker(string db, string output, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(HostDll.Value);
        info.ArgumentList.Add("worker");
        info.ArgumentList.Add("--db");
        info.ArgumentList.Add(db);
        info.ArgumentList.Add("--out");
        info.ArgumentList.Add(output);
        foreach (string arg in extra) info.ArgumentList.Add(arg);
        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start the test host");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string FindHostDll()
    {
        // tests/PrismQ.Core.Tests/bin/<Configuration>/<tfm>/ -> tests/PrismQ.TestHost/bin/<Configuration>/<tfm>/
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = testDir.Name;
        string configuration = testDir.Parent!.Name;
        DirectoryInfo testsDir = testDir.Parent!.Parent!.Parent!.Parent!;
        string dll = Path.Combine(testsDir.FullName, "PrismQ.TestHost", "bin", configuration, tfm, "PrismQ.TestHost.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("The test host is not built (build tests/PrismQ.TestHost first).", dll);
        return dll;
    }
}
