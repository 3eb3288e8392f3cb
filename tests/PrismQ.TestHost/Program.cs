using System;

namespace PrismQ.TestHost;

/// <summary>A small program the tests start as a separate process. Each mode is one subcommand.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: PrismQ.TestHost <mode> [options]");
        return 2;
    }
}
