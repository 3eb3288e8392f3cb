using System;
using System.Linq;
using System.Reflection;

namespace PrismQ.TestHost;

/// <summary>
/// A small program the tests start as a separate process. Each mode is one subcommand, a class implementing
/// <see cref="ITestHostCommand"/> in its own file; they are found by reflection, so a new mode needs no edit here.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        ITestHostCommand[] commands = typeof(Program).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(ITestHostCommand).IsAssignableFrom(t))
            .Select(t => (ITestHostCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();
        ITestHostCommand? command = args.Length == 0 ? null : commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine("usage: PrismQ.TestHost <mode> [arguments]; modes:");
            foreach (ITestHostCommand c in commands) Console.Error.WriteLine($"  {c.Name} {c.Usage}");
            return 2;
        }
        try
        {
            return command.Run(args.Skip(1).ToArray());
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex.ToString());
            return 1;
        }
    }
}
