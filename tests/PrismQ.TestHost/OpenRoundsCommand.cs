using System;
using PrismQ.Storage.Sqlite;
using PrismQ.Storage;

namespace PrismQ.TestHost;

/// <summary>
/// <c>open-rounds</c>: reads store locations (SQLite file paths or PostgreSQL URIs) from standard input, one a line; for each, opens the store (its first
/// call on that file) and closes it, then prints <c>ok</c> or <c>error &lt;ErrorCode&gt; &lt;message&gt;</c> on one
/// line. Ends at the end of input. A test drives several of these processes in lock step: each line starts a race.
/// </summary>
internal sealed class OpenRoundsCommand : ITestHostCommand
{
    public string Name => "open-rounds";

    public string Usage => "(paths on standard input)";

    public int Run(string[] args)
    {
        Console.WriteLine("ready");
        string? path;
        while ((path = Console.ReadLine()) is not null)
        {
            try
            {
                using (StoreLocations.Open(path, new QueueOptions()))
                {
                }
                Console.WriteLine("ok");
            }
            catch (PrismQException ex)
            {
                Console.WriteLine($"error {ex.ErrorId} {ex.Message.Replace('\n', ' ')}");
            }
        }
        return 0;
    }
}
