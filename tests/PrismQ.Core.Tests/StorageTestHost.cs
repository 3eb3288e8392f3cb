using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace PrismQ.Tests.Storage;

/// <summary>Finds and starts <c>PrismQ.TestHost</c> (built beside this test project; the test project references it without its assembly).</summary>
public static class StorageTestHost
{
    /// <summary>The host's dll: tests/PrismQ.TestHost/bin/&lt;Configuration&gt;/&lt;tfm&gt;/PrismQ.TestHost.dll, the configuration and tfm taken from this assembly's folder.</summary>
    public static string DllPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        string tfm = here.Name;
        string configuration = here.Parent!.Name;
        DirectoryInfo tests = here.Parent!.Parent!.Parent!.Parent!;
        foreach (string config in new[] { configuration, "Release", "Debug" })
        {
            string candidate = Path.Combine(tests.FullName, "PrismQ.TestHost", "bin", config, tfm, "PrismQ.TestHost.dll");
            if (File.Exists(candidate)) return candidate;
        }
        string beside = Path.Combine(here.FullName, "PrismQ.TestHost.dll");
        if (File.Exists(beside)) return beside;
        throw new FileNotFoundException($"PrismQ.TestHost.dll not found under {tests.FullName}/PrismQ.TestHost/bin/{configuration}/{tfm}; build the solution first.");
    }

    /// <summary>Starts the host with the arguments; output is read to the end by <see cref="WaitAsync"/>.</summary>
    public static Process Start(params string[] args) => Start(redirectInput: false, args);

    /// <summary>Starts the host with the arguments, its standard input redirected when <paramref name="redirectInput"/> is true.</summary>
    public static Process Start(bool redirectInput, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath());
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    /// <summary>Waits for exit within <paramref name="timeout"/> (killing the process if it is exceeded); returns exit code, stdout, stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> WaitAsync(Process process, TimeSpan timeout)
    {
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        Task exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(timeout)) != exited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"The test host did not exit within {timeout}: {await error}");
        }
        return (process.ExitCode, await output, await error);
    }
}
