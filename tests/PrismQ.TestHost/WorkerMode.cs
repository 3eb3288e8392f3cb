using System.Linq;

namespace PrismQ.TestHost;

/// <summary>Kept for branches whose Program.cs still calls <c>WorkerMode.Run(args)</c> with the mode name first; forwards to <see cref="WorkerCommand"/>.</summary>
internal static class WorkerMode
{
    public static int Run(string[] args) => new WorkerCommand().Run(args.Skip(1).ToArray());
}
