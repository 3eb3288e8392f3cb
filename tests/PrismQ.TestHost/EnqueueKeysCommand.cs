using System;
using System.Globalization;
using PrismQ.Storage.Sqlite;
using PrismQ.Storage;

namespace PrismQ.TestHost;

/// <summary>
/// <c>enqueue-keys &lt;db&gt; &lt;prefix&gt; &lt;count&gt;</c>: on the store at &lt;db&gt; (a SQLite file path or a PostgreSQL URI), enqueues tasks with idempotency keys
/// <c>prefix0</c>..<c>prefix{count-1}</c> one by one, and prints how many of them it created (the others existed).
/// </summary>
internal sealed class EnqueueKeysCommand : ITestHostCommand
{
    public string Name => "enqueue-keys";

    public string Usage => "<db> <prefix> <count>";

    public int Run(string[] args)
    {
        if (args.Length < 3) throw new ArgumentException("enqueue-keys needs <db> <prefix> <count>.");
        int count = int.Parse(args[2], CultureInfo.InvariantCulture);
        int created = 0;
        using (ITaskStore store = StoreLocations.Open(args[0], new QueueOptions()))
        {
            for (int i = 0; i < count; i++)
            {
                var request = new EnqueueRequest("keyed") { IdempotencyKey = args[1] + i.ToString(CultureInfo.InvariantCulture) };
                if (store.EnqueueAsync(request).GetAwaiter().GetResult().Created) created++;
            }
        }
        Console.WriteLine(created.ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}
