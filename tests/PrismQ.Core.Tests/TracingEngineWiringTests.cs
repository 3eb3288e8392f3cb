using System.IO;
using System.Linq;
using System.Threading.Tasks;
using PrismQ.Tests.Storage;
using Xunit;

namespace PrismQ.Tests.Tracing;

/// <summary>The store starts, feeds and finally drains a trace session when <see cref="QueueOptions.Tracing"/> is set.</summary>
public sealed class TracingEngineWiringTests
{
    [Fact]
    public async Task A_traced_store_persists_its_enqueue_events_by_the_time_it_is_disposed()
    {
        using var folder = new TempFolder();
        string db = folder.File("queue.db");
        long[] ids;
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db, Tracing = new TraceOptions() }))
        {
            Assert.NotNull(store.Tracing);
            ids = new long[3];
            for (int i = 0; i < ids.Length; i++) ids[i] = (await store.EnqueueAsync(new EnqueueRequest("traced"))).Task.Id;
        }

        var events = TraceStore.ForQueue(db).Query(new TraceQuery { Kinds = new[] { TraceEventKind.Enqueue } });
        Assert.Equal(ids, events.Select(e => e.TaskId).OrderBy(id => id));
    }

    [Fact]
    public async Task An_untraced_store_creates_no_trace_database()
    {
        using var folder = new TempFolder();
        string db = folder.File("queue.db");
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db }))
        {
            Assert.Null(store.Tracing);
            await store.EnqueueAsync(new EnqueueRequest("untraced"));
        }

        Assert.False(File.Exists(TraceStore.PathForQueue(db)));
    }

    [Fact]
    public void Invalid_trace_options_are_refused_when_the_store_opens()
    {
        using var folder = new TempFolder();
        var ex = Assert.Throws<PrismQException>(() => SqliteTaskStore.Open(new QueueOptions
        {
            DatabasePath = folder.File("queue.db"),
            Tracing = new TraceOptions { IndexRingCapacity = 3 },
        }));
        Assert.Equal(PrismQErrorCode.InvalidOption, ex.Code);
        Assert.Contains("3", ex.Message);
    }
}
