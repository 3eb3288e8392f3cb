using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>
/// The batch paths cost one statement per batch, not per task: counted from Npgsql's command activities (those whose
/// SQL names this test's schema).
/// </summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresStatementCountTests : IDisposable
{
    private readonly PostgresStoreFactory _factory = new();
    private readonly ConcurrentQueue<string> _statements = new();
    private readonly ActivityListener _listener;

    public StoragePostgresStatementCountTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                string? sql = activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string;
                if (sql is not null && sql.Contains(_factory.Schema, StringComparison.Ordinal)) _statements.Enqueue(sql);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _factory.Dispose();
    }

    private int Count()
    {
        int n = _statements.Count;
        _statements.Clear();
        return n;
    }

    [Fact]
    public async Task A_batch_of_enqueues_and_a_batch_of_transitions_are_one_statement_each()
    {
        PostgresTaskStore store = _factory.OpenPostgres(new StoreSettings());
        await store.EnqueueAsync(new EnqueueRequest("t")); // the queue becomes known
        _statements.Clear();

        await store.EnqueueManyAsync(Enumerable.Range(0, 50).Select(_ => new EnqueueRequest("t")));
        Assert.Equal(1, Count());

        await store.EnqueueManyAsync(Enumerable.Range(0, 50).Select(i => new EnqueueRequest("t") { IdempotencyKey = "k" + (i % 25) }));
        Assert.Equal(2, Count()); // the INSERT, then the read of the 25 conflicting keys

        IReadOnlyList<TaskRecord> held = await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 50 });
        _statements.Clear();
        IReadOnlyList<TransitionResult> results = await store.ApplyTransitionsAsync(held.Select((t, i) => i % 2 == 0
            ? LeaseTransition.Succeed(t.Id, t.LeaseToken!.Value, null)
            : LeaseTransition.Retry(t.Id, t.LeaseToken!.Value, new TaskError("boom"), TimeSpan.Zero)
                .WithOutput(new[] { new TaskOutputRecord(1, DateTimeOffset.UnixEpoch, TaskOutputStream.Information, "x") })).ToList());
        Assert.All(results, r => Assert.Equal(LeaseOutcome.Applied, r.Outcome));
        Assert.Equal(1, Count());

        held = await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 50 });
        _statements.Clear();
        await store.ExtendLeasesAsync(held.Select(t => new TaskLease(t.Id, t.LeaseToken!.Value)).ToList(), TimeSpan.FromMinutes(1));
        Assert.Equal(1, Count());
    }
}
