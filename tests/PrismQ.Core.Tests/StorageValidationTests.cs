using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Every kind of bad input: a typed error whose message names the value and the rule, and nothing written. Any store.</summary>
public abstract class StorageValidationTests : StoreTestBase
{
    private const int SmallLimit = 100;

    private ITaskStore OpenSmall() => Open(new StoreSettings { Clock = Clock, MaxPayloadBytes = SmallLimit });

    private static async Task<int> CountAll(ITaskStore store) => (await store.QueryAsync(new TaskQuery { Limit = 100_000 })).Count;

    public static IEnumerable<object[]> BadRequests()
    {
        yield return Case(new EnqueueRequest("t", "{bad"), PrismQErrorCode.InvalidPayload, "{bad");
        yield return Case(new EnqueueRequest("t", "{} {}"), PrismQErrorCode.InvalidPayload, "{} {}");
        yield return Case(new EnqueueRequest("t", ""), PrismQErrorCode.InvalidPayload, "Payload");
        yield return Case(new EnqueueRequest("t", "[1,]"), PrismQErrorCode.InvalidPayload, "[1,]");
        yield return Case(new EnqueueRequest("t", "\"" + new string('x', 120) + "\""), PrismQErrorCode.PayloadTooLarge, "122 bytes");
        yield return Case(new EnqueueRequest(""), PrismQErrorCode.InvalidTaskType, "Type is ''");
        yield return Case(new EnqueueRequest("   "), PrismQErrorCode.InvalidTaskType, "Type is '   '");
        yield return Case(new EnqueueRequest(null!), PrismQErrorCode.InvalidTaskType, "Type");
        yield return Case(new EnqueueRequest(new string('t', 201)), PrismQErrorCode.InvalidTaskType, "201 characters");
        yield return Case(new EnqueueRequest("a\nb"), PrismQErrorCode.InvalidTaskType, "a\\u000ab");
        yield return Case(new EnqueueRequest("t") { Queue = "" }, PrismQErrorCode.InvalidQueueName, "Queue is ''");
        yield return Case(new EnqueueRequest("t") { Queue = new string('q', 201) }, PrismQErrorCode.InvalidQueueName, "201 characters");
        yield return Case(new EnqueueRequest("t") { Queue = "q\u0001" }, PrismQErrorCode.InvalidQueueName, "q\\u0001");
        yield return Case(new EnqueueRequest("t") { Delay = TimeSpan.FromSeconds(-1) }, PrismQErrorCode.InvalidDelay, "-00:00:01");
        yield return Case(new EnqueueRequest("t") { Delay = TimeSpan.FromDays(400) }, PrismQErrorCode.InvalidDelay, "400.00:00:00");
        yield return Case(new EnqueueRequest("t") { NotBefore = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero) }, PrismQErrorCode.InvalidDelay, "2030-01-01");
        yield return Case(new EnqueueRequest("t") { NotBefore = DateTimeOffset.MinValue }, PrismQErrorCode.InvalidDelay, "0001-01-01");
        yield return Case(new EnqueueRequest("t") { Delay = TimeSpan.FromSeconds(1), NotBefore = new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero) }, PrismQErrorCode.InvalidDelay, "both set");
        yield return Case(new EnqueueRequest("t") { MaxAttempts = 0 }, PrismQErrorCode.InvalidMaxAttempts, "MaxAttempts is 0");
        yield return Case(new EnqueueRequest("t") { MaxAttempts = 1001 }, PrismQErrorCode.InvalidMaxAttempts, "MaxAttempts is 1001");
        yield return Case(new EnqueueRequest("t") { Timeout = TimeSpan.Zero }, PrismQErrorCode.InvalidArgument, "Timeout is '00:00:00'");
        yield return Case(new EnqueueRequest("t") { IdempotencyKey = " " }, PrismQErrorCode.InvalidArgument, "IdempotencyKey is ' '");
        yield return Case(new EnqueueRequest("t") { IdempotencyKey = new string('k', 401) }, PrismQErrorCode.InvalidArgument, "IdempotencyKey");
    }

    private static object[] Case(EnqueueRequest r, PrismQErrorCode code, string named) => new object[] { r, code, named };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_enqueue_is_refused_with_its_code_and_value_and_writes_nothing(EnqueueRequest request, PrismQErrorCode code, string named)
    {
        ITaskStore store = OpenSmall();
        PrismQException ex = await Assert.ThrowsAsync<PrismQException>(() => store.EnqueueAsync(request));
        Assert.Equal(code, ex.Code);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAll(store));
        Assert.Empty(await store.GetQueueStatsAsync());

        // The same request inside a batch: the batch is refused and the index named.
        PrismQException batch = await Assert.ThrowsAsync<PrismQException>(() => store.EnqueueManyAsync(new[] { new EnqueueRequest("ok"), request }));
        Assert.Equal(code, batch.Code);
        Assert.Contains("Request 1", batch.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAll(store));
    }

    [Fact]
    public async Task Enqueue_many_keeps_committed_batches_and_rolls_back_the_bad_one()
    {
        ITaskStore store = Open();
        IEnumerable<EnqueueRequest> Requests()
        {
            for (int i = 0; i < 7; i++) yield return new EnqueueRequest(i == 5 ? "" : "t", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        PrismQException ex = await Assert.ThrowsAsync<PrismQException>(() => store.EnqueueManyAsync(Requests(), batchSize: 2));
        Assert.Equal(PrismQErrorCode.InvalidTaskType, ex.Code);
        Assert.Contains("Request 5", ex.Message, StringComparison.Ordinal);
        IReadOnlyList<TaskRecord> stored = await store.QueryAsync(new TaskQuery());
        Assert.Equal(new[] { "0", "1", "2", "3" }, stored.Select(t => t.Payload));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(10_001)]
    public async Task Bad_batch_size_is_refused(int batchSize)
    {
        ITaskStore store = Open();
        PrismQException ex = await Assert.ThrowsAsync<PrismQException>(() => store.EnqueueManyAsync(new[] { new EnqueueRequest("t") }, batchSize));
        Assert.Equal(PrismQErrorCode.InvalidBatchSize, ex.Code);
        Assert.Contains(batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAll(store));
    }

    public static IEnumerable<object[]> BadClaims()
    {
        yield return new object[] { new ClaimRequest("w") { Strategy = (SchedulingStrategy)99 }, PrismQErrorCode.InvalidArgument, "'99'" };
        yield return new object[] { new ClaimRequest("w") { MaxCount = 0 }, PrismQErrorCode.InvalidBatchSize, "MaxCount is 0" };
        yield return new object[] { new ClaimRequest("w") { MaxCount = 1001 }, PrismQErrorCode.InvalidBatchSize, "MaxCount is 1001" };
        yield return new object[] { new ClaimRequest("") , PrismQErrorCode.InvalidArgument, "WorkerId is ''" };
        yield return new object[] { new ClaimRequest("w") { Queues = Array.Empty<string>() }, PrismQErrorCode.InvalidQueueName, "empty" };
        yield return new object[] { new ClaimRequest("w") { Queues = new[] { "a\tb" } }, PrismQErrorCode.InvalidQueueName, "a\\u0009b" };
        yield return new object[] { new ClaimRequest("w") { LeaseDuration = TimeSpan.Zero }, PrismQErrorCode.InvalidArgument, "'00:00:00'" };
        yield return new object[] { new ClaimRequest("w") { LeaseDuration = TimeSpan.FromDays(2) }, PrismQErrorCode.InvalidArgument, "'2.00:00:00'" };
        yield return new object[] { new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority, PriorityAging = TimeSpan.Zero }, PrismQErrorCode.InvalidArgument, "PriorityAging is '00:00:00'" };
    }

    [Theory]
    [MemberData(nameof(BadClaims))]
    public async Task Bad_claim_is_refused_and_leases_nothing(ClaimRequest request, PrismQErrorCode code, string named)
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        PrismQException ex = await Assert.ThrowsAsync<PrismQException>(() => store.ClaimAsync(request));
        Assert.Equal(code, ex.Code);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Equal(TaskStatus.Queued, (await store.GetAsync(id))!.Status);
    }

    [Fact]
    public async Task Bad_filters_and_queries_are_refused()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        PrismQException s = await Assert.ThrowsAsync<PrismQException>(() => store.DeleteManyAsync(new TaskFilter { Statuses = new[] { (TaskStatus)42 } }));
        Assert.Equal(PrismQErrorCode.InvalidArgument, s.Code);
        Assert.Contains("'42'", s.Message, StringComparison.Ordinal);
        PrismQException o = await Assert.ThrowsAsync<PrismQException>(() => store.QueryAsync(new TaskQuery { Order = (TaskOrder)7 }));
        Assert.Contains("'7'", o.Message, StringComparison.Ordinal);
        PrismQException l = await Assert.ThrowsAsync<PrismQException>(() => store.QueryAsync(new TaskQuery { Limit = 0 }));
        Assert.Contains("Limit is 0", l.Message, StringComparison.Ordinal);
        PrismQException q = await Assert.ThrowsAsync<PrismQException>(() => store.RetryManyAsync(new TaskFilter { Queue = "" }));
        Assert.Equal(PrismQErrorCode.InvalidQueueName, q.Code);
        PrismQException p = await Assert.ThrowsAsync<PrismQException>(() => store.PauseQueueAsync(new string('p', 300)));
        Assert.Equal(PrismQErrorCode.InvalidQueueName, p.Code);
        Assert.DoesNotContain(await store.GetQueueStatsAsync(), x => x.Paused);
        Assert.NotNull(await store.GetAsync(id));
    }

    [Fact]
    public async Task Bad_lease_operation_arguments_are_refused_and_change_nothing()
    {
        ITaskStore store = OpenSmall();
        await store.EnqueueAsync(new EnqueueRequest("t"));
        TaskRecord c = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
        LeaseToken token = c.LeaseToken!.Value;

        PrismQException result = await Assert.ThrowsAsync<PrismQException>(() => store.CompleteAsync(c.Id, token, "not json"));
        Assert.Equal(PrismQErrorCode.InvalidPayload, result.Code);
        Assert.Contains("not json", result.Message, StringComparison.Ordinal);
        PrismQException big = await Assert.ThrowsAsync<PrismQException>(() => store.CompleteManyAsync(new[] { new TaskCompletion(c.Id, token, "\"" + new string('r', 200) + "\"") }));
        Assert.Equal(PrismQErrorCode.ResultTooLarge, big.Code);
        Assert.Contains("202 bytes", big.Message, StringComparison.Ordinal);
        PrismQException pct = await Assert.ThrowsAsync<PrismQException>(() => store.ReportProgressAsync(c.Id, token, 101, null));
        Assert.Contains("101", pct.Message, StringComparison.Ordinal);
        PrismQException ext = await Assert.ThrowsAsync<PrismQException>(() => store.ExtendLeaseAsync(c.Id, token, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(PrismQErrorCode.InvalidArgument, ext.Code);
        PrismQException pol = await Assert.ThrowsAsync<PrismQException>(() => store.FailAsync(c.Id, token, new TaskError("e"), new RetryPolicy { Factor = 0.5 }));
        Assert.Equal(PrismQErrorCode.InvalidOption, pol.Code);
        Assert.Contains("0.5", pol.Message, StringComparison.Ordinal);

        TaskRecord after = (await store.GetAsync(c.Id))!;
        Assert.Equal(TaskStatus.Running, after.Status);
        Assert.Null(after.Result);
        Assert.Null(after.ProgressPercent);
        Assert.Null(after.LastError);
        Assert.Equal(c.LeaseExpiresAt, after.LeaseExpiresAt);
    }
}
