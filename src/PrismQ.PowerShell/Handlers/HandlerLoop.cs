using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// One runspace of a worker: it runs one long pipeline (<see cref="Script"/>) that takes handler calls from the
/// <see cref="CallQueue"/> and runs each with the handlers it compiled once, so nothing is created per task. Each loop
/// has a runspace and a thread of its own; the cmdlet's thread only writes what the worker has to say.
/// <para>
/// A loop runs one call at a time, so what its pipeline writes belongs to the current call: the first error record
/// fails the attempt; warning, verbose, debug and information records are kept with the attempt and shown by the
/// worker (<see cref="AttemptOutput"/>). A handler is stopped (its attempt was cancelled,
/// timed out, or the worker stopped) by stopping the pipeline it runs in; the loop then starts a new pipeline in the
/// same runspace, which runs the initialization script again.
/// </para>
/// </summary>
internal sealed class HandlerLoop
{
    // The long pipeline. $ErrorActionPreference = 'Stop': the first error a handler writes stops it and fails the
    // attempt. The handler is called inside a one-pass loop, so that a break or continue in it ends the handler, not
    // this loop. The task is $_, the first argument, then -ArgumentList.
    private const string Script = @"param($PrismQLoop)
$ErrorActionPreference = 'Stop'
$VerbosePreference, $DebugPreference = $PrismQLoop.Preferences
$PrismQArguments = $PrismQLoop.Arguments
$PrismQLoop.Compile()
if ($null -ne ($PrismQInitialization = $PrismQLoop.Initialization())) {
    try { $null = . $PrismQInitialization } catch { if ($PrismQLoop.InitializationFailed($_)) { return } }
}
$PrismQLoop.Ready()
while ($null -ne ($PrismQCall = $PrismQLoop.Next())) {
    $PrismQTaskContext = $PrismQCall.Context
    $_ = $PrismQCall.Task
    try {
        $PrismQLoop.Succeeded(@(do { & $PrismQLoop.Handler $PrismQCall.Task @PrismQArguments } while ($false)))
    }
    catch {
        $PrismQLoop.Failed($_)
    }
}";

    private static readonly PipelineResultTypes[] MergedStreams =
    {
        PipelineResultTypes.Warning, PipelineResultTypes.Verbose, PipelineResultTypes.Debug, PipelineResultTypes.Information,
    };

    private readonly HandlerSet _set;
    private readonly CallQueue _queue;
    private readonly LoopHost _host;
    private readonly Runspace _runspace;
    private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private readonly CallQueue.Waiter _waiter;
    private CompiledHandlers? _handlers;
    private System.Management.Automation.PowerShell? _pipeline;
    private HandlerCall? _current;
    private PSDataCollection<PSObject>? _records;
    private bool _stopIssued;

    /// <param name="set">What the handlers are.</param>
    /// <param name="queue">Where the calls come from.</param>
    /// <param name="host">What the loop needs of its worker.</param>
    /// <param name="runspace">The loop's own runspace, opened on the loop's thread.</param>
    /// <param name="spin">Whether the loop spins briefly before it waits for a call (see <see cref="CallQueue.Waiter"/>).</param>
    public HandlerLoop(HandlerSet set, CallQueue queue, LoopHost host, Runspace runspace, bool spin)
    {
        _waiter = new CallQueue.Waiter(spin);
        _set = set;
        _queue = queue;
        _host = host;
        _runspace = runspace;
    }

    /// <summary>Completes when the loop is ready for calls (its initialization script ran), or faults with why it is not.</summary>
    public Task ReadyTask => _ready.Task;

    // ---- Called by the loop's script, on the loop's thread ----

    /// <summary>The handlers' preference variables.</summary>
    public object[] Preferences => _set.Preferences;

    /// <summary>The handlers' extra arguments.</summary>
    public object?[] Arguments => _set.Arguments;

    /// <summary>The handler of the current call.</summary>
    public ScriptBlock? Handler { get; private set; }

    /// <summary>Compiles the handlers in this runspace (once per pipeline: a new pipeline follows only a stopped handler).</summary>
    public void Compile() => _handlers = _set.Compile();

    /// <summary>The initialization script to dot-source in this runspace, or null.</summary>
    public ScriptBlock? Initialization() => _set.Initialization?.Compile();

    /// <summary>
    /// The initialization script failed: before the loop was first ready the worker does not start (true: the loop
    /// ends); in a pipeline started again after a stopped handler, the loop goes on without it (false), and the
    /// handlers' own errors say what is missing.
    /// </summary>
    public bool InitializationFailed(ErrorRecord record) =>
        _ready.TrySetException(new InitializationFailedException(HandlerFailure.FromRecord(record)));

    public void Ready() => _ready.TrySetResult(true);

    /// <summary>The next call, or null when the loop ends: the queue closed, or this pipeline is being stopped.</summary>
    public HandlerCall? Next()
    {
        while (true)
        {
            lock (_gate)
            {
                if (_stopIssued) return null;
            }

            HandlerCall? call = _queue.Take(_waiter, 1000);
            if (call is null)
            {
                if (_queue.IsClosed) return null;
                continue;
            }

            if (call.IsCompleted) continue;
            if (call.StopRequested)
            {
                call.Cancel(); // stopped before it started
                continue;
            }

            lock (_gate)
            {
                _current = call;
            }

            Handler = _handlers!.For(call.Context.Type);
            call.OnStop(() => StopCurrent(call));
            return call;
        }
    }

    /// <summary>The current call's handler returned: it succeeds with <paramref name="output"/>, unless it wrote an error.</summary>
    public void Succeeded(object[] output)
    {
        HandlerCall call = _current!;
        System.Management.Automation.PowerShell pipeline = _pipeline!;
        if (pipeline.Streams.Error.Count > 0)
        {
            ErrorRecord first = pipeline.Streams.Error[0];
            pipeline.Streams.Error.Clear();
            call.Fail(HandlerFailure.FromRecord(first));
        }
        else
        {
            try
            {
                call.Succeed(ResultJson(output));
            }
            catch (Exception ex)
            {
                call.Fail(HandlerFailure.FromException(ex));
            }
        }

        End(call);
    }

    /// <summary>The current call's handler threw (or wrote an error, which <c>$ErrorActionPreference = 'Stop'</c> made terminating).</summary>
    public void Failed(ErrorRecord error)
    {
        HandlerCall call = _current!;
        System.Management.Automation.PowerShell pipeline = _pipeline!;
        pipeline.Streams.Error.Clear();
        call.Fail(HandlerFailure.FromRecord(error));
        End(call);
    }

    // ---- Run by the worker ----

    /// <summary>Runs the loop on this thread until the queue closes (pipelines restart after a stopped handler).</summary>
    public void Run()
    {
        try
        {
            _runspace.Open();
            while (RunPipeline() && !_queue.IsClosed && !_host.UserStopping())
            {
            }
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
        }
        finally
        {
            _ready.TrySetException(new InvalidOperationException("The handler runspace ended before it was ready."));
        }
    }

    /// <summary>Runs one pipeline; true when it ended because a handler was stopped or left (a new one should follow).</summary>
    private bool RunPipeline()
    {
        using System.Management.Automation.PowerShell pipeline = System.Management.Automation.PowerShell.Create();
        pipeline.Runspace = _runspace;
        pipeline.AddScript(Script, useLocalScope: true).AddParameter("PrismQLoop", this);
        if (_set.UsingValues is { } usingValues) pipeline.AddParameter(UsingValues.ParameterName, usingValues);
        // The informational streams are merged into the loop's output, which is read as it is written, in order.
        // Handlers' own output is collected by the loop script, so the loop's output holds only these records.
        Command loop = pipeline.Commands.Commands[0];
        foreach (PipelineResultTypes stream in MergedStreams) loop.MergeMyResults(stream, PipelineResultTypes.Output);
        var records = new PSDataCollection<PSObject>();
        records.DataAdded += (_, e) => Keep(records, e.Index);
        _records = records;
        lock (_gate)
        {
            _pipeline = pipeline;
            _stopIssued = false;
        }

        Exception? error = null;
        try
        {
            pipeline.Invoke(null, records);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        HandlerCall? left;
        bool stopped;
        lock (_gate)
        {
            left = _current;
            _current = null;
            _pipeline = null;
            stopped = _stopIssued;
        }

        if (left is null) return stopped;
        if (!left.IsCompleted)
        {
            if (error is PipelineStoppedException || pipeline.InvocationStateInfo.State == PSInvocationState.Stopped)
            {
                if (_host.UserStopping() && !left.CancellationToken.IsCancellationRequested) _host.StoppedByUser(left);
                else left.Cancel(); // the attempt's token stopped it; the engine records why
            }
            else if (error is not null)
            {
                left.Fail(HandlerFailure.FromException(error));
            }
            else
            {
                left.Fail(new HandlerFailedException(new TaskError(
                    "The handler called exit, which ends the pipeline it runs in; a handler ends with return, and fails its attempt with throw.",
                    "PrismQ.HandlerExited", null), null));
            }
        }

        return true;
    }

    // Records are written on the loop's thread by the current call's handler (or by the initialization script, whose
    // records belong to no call and are dropped). Each is kept with the attempt and shown by the worker.
    private void Keep(PSDataCollection<PSObject> records, int index)
    {
        object record = records[index].BaseObject;
        if (_current is { } call && AttemptOutput.IsRecord(record))
        {
            call.Context.WriteOutput(AttemptOutput.StreamOf(record), AttemptOutput.Text(record));
            _host.Output(call, record);
        }
    }

    private void StopCurrent(HandlerCall call)
    {
        System.Management.Automation.PowerShell? pipeline;
        lock (_gate)
        {
            if (_current != call || call.IsCompleted || _pipeline is null) return;
            _stopIssued = true;
            pipeline = _pipeline;
        }

        pipeline.BeginStop(null, null);
    }

    private void End(HandlerCall call)
    {
        lock (_gate)
        {
            if (_current == call) _current = null;
        }

        Handler = null;
        if (_records is { Count: > 0 } records) records.Clear();
    }

    private static string? ResultJson(object[] output)
    {
        if (output.Length == 0) return null;
        object? plain = output.Length == 1 ? PowerShellValues.ToPlain(output[0]) : PowerShellValues.ToPlain(output);
        return PayloadJson.Serialize(plain);
    }
}
