using System;

namespace PrismQ.TestHost;

/// <summary>A small program the tests start as a separate process. Each mode is one subcommand.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "worker") return WorkerMode.Run(args);
        Console.Error.WriteLine("usage: PrismQ.TestHost <mode> [options]");
        return 2;
    }
}
