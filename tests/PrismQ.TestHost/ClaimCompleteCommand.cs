using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using PrismQ.Storage.Sqlite;
using PrismQ.Storage;

namespace PrismQ.TestHost;

/// <summary>
/// <c>claim-complete &lt;db&gt; &lt;worker-id&gt; [batch] [ids-file]</c>: on the store at &lt;db&gt; (a SQLite file path or a PostgreSQL URI), claims up to <c>batch</c> tasks (FIFO) and
/// completes them, until the queue has stayed empty for 20 claims in a row (about a second); prints the number it
/// completed, and writes each completed id on a line of <c>ids-file</c> when given.
/// </summary>
internal sealed class ClaimCompleteCommand : ITestHostCommand
{
    public string Name => "claim-complete";

    public string Usage => "<db> <worker-id> [batch=1] [ids-file]";

    public int Run(string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("claim-complete needs <db> <worker-id>.");
        int batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        string? idsFile = args.Length > 3 ? args[3] : null;
        var completed = new List<long>();
        using (ITaskStore store = StoreLocations.Open(args[0], new QueueOptions()))
        {
            var request = new ClaimRequest(args[1]) { MaxCount = batch };
            int emptyInARow = 0;
            while (emptyInARow < 20)
            {
                IReadOnlyList<TaskRecord> tasks = store.ClaimAsync(request).GetAwaiter().GetResult();
                if (tasks.Count == 0)
                {
                    emptyInARow++;
                    Thread.Sleep(50);
                    continue;
                }
                emptyInARow = 0;
                if (tasks.Count == 1)
                {
                    if (store.CompleteAsync(tasks[0].Id, tasks[0].LeaseToken!.Value).GetAwaiter().GetResult() == LeaseOutcome.Applied) completed.Add(tasks[0].Id);
                }
                else
                {
                    var items = new TaskCompletion[tasks.Count];
                    for (int i = 0; i < tasks.Count; i++) items[i] = new TaskCompletion(tasks[i].Id, tasks[i].LeaseToken!.Value);
                    IReadOnlyList<LeaseOutcome> outcomes = store.CompleteManyAsync(items).GetAwaiter().GetResult();
                    for (int i = 0; i < outcomes.Count; i++)
                    {
                        if (outcomes[i] == LeaseOutcome.Applied) completed.Add(tasks[i].Id);
                    }
                }
            }
        }
        if (idsFile is not null) File.WriteAllLines(idsFile, completed.ConvertAll(id => id.ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine(completed.Count.ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}
