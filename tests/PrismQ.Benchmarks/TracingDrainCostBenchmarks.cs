using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using PrismQ.Tracing;

namespace PrismQ.Benchmarks;

/// <summary>
/// What the drain pays per event at the store: one batch of <see cref="Events"/> index events written in one
/// transaction, by the trace sink (multi-row INSERTs bound by position through SQLitePCLRaw) against the baseline of one
/// Microsoft.Data.Sqlite INSERT per event with reused parameters (how the sink wrote before). Each operation writes new
/// sequence numbers, so every row is really inserted.
/// </summary>
[MemoryDiagnoser]
public class TracingDrainCostBenchmarks
{
    private const int Events = 8192;
    private BenchmarkDatabase _db = null!;
    private SqliteTraceSink _sink = null!;
    private SqliteConnection _baseline = null!;
    private readonly TraceBatch _batch = new();
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _db = new BenchmarkDatabase("drain-cost");
        _sink = new SqliteTraceSink(Path.Combine(_db.Folder, "sink.trace.db"), new TraceOptions());
        _sink.Open();
        _baseline = TraceSchema.Open(Path.Combine(_db.Folder, "baseline.trace.db"), readOnly: false);
        TraceSchema.Ensure(_baseline);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink.Dispose();
        _baseline.Dispose();
        _db.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void One_insert_per_event_Microsoft_Data_Sqlite()
    {
        Fill();
        using SqliteTransaction transaction = _baseline.BeginTransaction(deferred: false);
        using SqliteCommand insert = _baseline.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT OR IGNORE INTO trace_events(source_id, lane, seq, ts, kind, task_id, attempt, worker_slot, value, flags) " +
                             "VALUES(1, $l, $q, $t, $k, $task, $a, $w, $v, $f);";
        SqliteParameter lane = insert.Parameters.Add("$l", SqliteType.Integer);
        SqliteParameter seq = insert.Parameters.Add("$q", SqliteType.Integer);
        SqliteParameter ts = insert.Parameters.Add("$t", SqliteType.Integer);
        SqliteParameter kind = insert.Parameters.Add("$k", SqliteType.Integer);
        SqliteParameter task = insert.Parameters.Add("$task", SqliteType.Integer);
        SqliteParameter attempt = insert.Parameters.Add("$a", SqliteType.Integer);
        SqliteParameter worker = insert.Parameters.Add("$w", SqliteType.Integer);
        SqliteParameter value = insert.Parameters.Add("$v", SqliteType.Integer);
        SqliteParameter flags = insert.Parameters.Add("$f", SqliteType.Integer);
        insert.Prepare();
        foreach (TraceRow row in _batch.Events)
        {
            lane.Value = row.Lane;
            seq.Value = row.Sequence;
            ts.Value = row.UtcTicks;
            kind.Value = (int)row.Kind;
            task.Value = row.TaskId;
            attempt.Value = row.Attempt;
            worker.Value = (int)row.WorkerSlot;
            value.Value = row.Value;
            flags.Value = 0L;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void Trace_sink_multi_row()
    {
        Fill();
        _sink.Write(_batch);
    }

    /// <summary>A worker-like mix: six events per task over three lanes, new sequence numbers each time.</summary>
    private void Fill()
    {
        _batch.Clear();
        for (int i = 0; i < Events; i++)
        {
            long s = _sequence++;
            _batch.Events.Add(new TraceRow
            {
                UtcTicks = 638_000_000_000_000_000 + s * 100, Sequence = s, TaskId = 1 + s / 6, Value = s, Lane = (int)(s % 3),
                Attempt = 1, Kind = (ushort)TraceEventKind.Progress,
            });
        }
    }
}
