using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Runs a worker: claims tasks from queues and runs a PowerShell handler for each, until a bound is reached or Ctrl+C.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PrismQWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(WorkerRunSummary), typeof(TaskInfo))]
public sealed class StartPrismQWorkerCommand : PrismQCmdlet
{
    /// <summary>The name of the variable that holds the running task's context inside a handler.</summary>
    public const string ContextVariableName = "PrismQTaskContext";

    // Runs a handler at concurrency 1, as a nested pipeline of this runspace (so it sees the caller's session and can be
    // stopped on its own). The task is $_, $args[0] and the first parameter. $ErrorActionPreference = 'Stop': the first
    // error the handler writes stops it and fails the attempt (see docs/cmdlets/Start-PrismQWorker.md). The call comes
    // in a variable, not as arguments: a nested pipeline given arguments stops the session's transcript (Start-Transcript)
    // from recording anything more of the pipeline it runs in, the worker's warnings included.
    private const string HereScript = @"$PrismQHandler, $PrismQTask, $PrismQTaskContext = $" + HandlerCallVariableName + @"
$ErrorActionPreference = 'Stop'
$_ = $PrismQTask
& $PrismQHandler $PrismQTask";

    // Set in the caller's scope around each handler call at concurrency 1, and removed after it.
    private const string HandlerCallVariableName = "PrismQHandlerCall";

    // The same in each runspace of the pool: the handler is rebuilt from its text there, never shared across threads.
    private const string PoolScript = @"param([string] $PrismQHandlerText, $PrismQTask, $PrismQTaskContext)
$ErrorActionPreference = 'Stop'
$PrismQHandler = [scriptblock]::Create($PrismQHandlerText)
$_ = $PrismQTask
& $PrismQHandler $PrismQTask";

    private readonly CancellationTokenSource _workerStop = new();
    private volatile WorkerHostCore? _host;
    private ScriptBlock? _handlerForAll;
    private Dictionary<string, ScriptBlock>? _handlersByType;
    private Dictionary<string, string>? _handlerText;
    private Dictionary<string, string?>? _handlerOrigin;

    /// <summary>A scriptblock run for every task, or a hashtable from task type to scriptblock (types match ignoring case). The task is <c>$_</c>, <c>$args[0]</c> and the first parameter; what the handler outputs becomes the result; what it throws, and any error it writes, fails the attempt.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public object Handler { get; set; } = null!;

    /// <summary>The queues to claim from. Default <c>default</c>.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string[] Queue { get; set; } = { QueueNames.Default };

    /// <summary>How to choose among ready tasks: Fifo (default), Lifo, Priority or WeightedRandom.</summary>
    [Parameter]
    public SchedulingStrategy Strategy { get; set; } = SchedulingStrategy.Fifo;

    /// <summary>Handlers running at once. 1 (default): on this pipeline thread; more: in a runspace pool.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int Concurrency { get; set; } = 1;

    /// <summary>Stop after this many tasks have been claimed and finished.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxTasks { get; set; }

    /// <summary>Stop after finding nothing to do for this long.</summary>
    [Parameter]
    [SecondsTimeSpan]
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>Stop (gracefully: in-flight tasks get a grace period, then are given back) after running this long.</summary>
    [Parameter]
    [SecondsTimeSpan]
    public TimeSpan MaxRunTime { get; set; }

    /// <summary>How long a claim lasts unless renewed by the worker's heartbeat. Default: <c>$env:PRISMQ_QUEUE_LEASE_DURATION</c> seconds, else 30 s.</summary>
    [Parameter]
    [SecondsTimeSpan]
    public TimeSpan LeaseDuration { get; set; }

    /// <summary>The worker's id. Default: <c>$env:PRISMQ_QUEUE_WORKER_ID</c>, else generated from host and process.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WorkerId { get; set; }

    /// <summary>Also output each task that reached a final state, as it does.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        ParseHandler();
        WorkerSettings settings = Settings();
        if (!ShouldProcess($"PrismQ database '{DatabasePath}', queues {string.Join(", ", Queue)}", "Start a worker")) return;

        RunspacePool? pool = null;
        WorkerHostCore? host = null;
        Task<global::PrismQ.WorkerRunSummary>? run = null;
        Terminating(null, () =>
        {
            if (Concurrency > 1) pool = OpenPool();
            RunspacePool? p = pool;
            WorkerHostCore? created = null;
            created = new WorkerHostCore(Store, settings, p is null ? null : call => InvokeInPool(p, created!, call));
            host = created;
            _host = host;
            run = host.Start(_workerStop.Token);
        });

        var progress = new ProgressRecord(3, $"PrismQ worker {host!.WorkerId}", "Waiting for tasks");
        long shownEnded = -1;
        bool stopShown = false;
        try
        {
            while (true)
            {
                if (host.TryTakeCall(TimeSpan.FromMilliseconds(250), out HandlerCall? call) && call is not null)
                {
                    // After Ctrl+C no handler starts: the call ends as cancelled, and the engine, already stopping,
                    // gives the task back uncounted.
                    if (UserStopped(host)) StoppedByUser(call);
                    else RunHere(call, host);
                }

                if (UserStopped(host))
                {
                    if (!stopShown && !run!.IsCompleted && host.InFlight > 0)
                        WriteToHost($"PrismQ worker {host.WorkerId} stopping: {host.InFlight} running task(s) go back to the queue.");
                    stopShown = true;
                }
                else
                {
                    WriteFailures(host, toHost: false);
                    WriteFinished(host);
                    if (host.Ended != shownEnded)
                    {
                        shownEnded = host.Ended;
                        progress.StatusDescription = $"{shownEnded} attempts ended, {host.InFlight} running";
                        WriteProgress(progress);
                    }
                }

                if (run!.IsCompleted) break;
            }

            global::PrismQ.WorkerRunSummary summary = null!;
            Terminating(null, () => summary = run!.GetAwaiter().GetResult());
            if (UserStopped(host))
            {
                // The pipeline is stopping: nothing can be written to it any more, so the summary goes to the host.
                WriteFailures(host, toHost: true);
                WriteToHost(StoppedSummary(WorkerHostCore.ToInfo(summary)));
                throw new PipelineStoppedException();
            }

            WriteFailures(host, toHost: false);
            WriteFinished(host);
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            WriteTyped(WorkerHostCore.ToInfo(summary), WorkerRunSummary.PSTypeName);
        }
        finally
        {
            _host = null;
            pool?.Dispose();
            host.Dispose();
        }
    }

    /// <summary>
    /// Ctrl+C: cancels the worker's token (no more claims; the engine's graceful stop gives every in-flight task back
    /// without counting the attempt) and stops the running handlers. The host never releases a lease itself.
    /// </summary>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        _workerStop.Cancel();
        _host?.StopHandlers();
    }

    private bool UserStopped(WorkerHostCore host) => Stopping || host.IsStopping;

    /// <summary>
    /// Ends a call that Ctrl+C stopped (or kept from starting) as cancelled, after the worker's stop token: the engine,
    /// already stopping, gives its task back without counting the attempt, at once rather than after its grace period.
    /// </summary>
    private void StoppedByUser(HandlerCall call)
    {
        _workerStop.Cancel();
        call.Stop();
        call.Cancel();
    }

    /// <summary>One line that says what a run stopped by Ctrl+C did (the summary object cannot be output then).</summary>
    internal static string StoppedSummary(WorkerRunSummary s) => string.Format(System.Globalization.CultureInfo.InvariantCulture,
        "PrismQ worker {0} stopped ({1}) after {2:hh\\:mm\\:ss}: {3} attempts ended: {4} succeeded, {5} failed, {6} retried, {7} cancelled, {8} released (given back to the queue), {9} leases lost, {10} timed out.",
        s.WorkerId, s.StopReason, s.RunTime, s.Processed, s.Succeeded, s.Failed, s.Retried, s.Cancelled, s.Released, s.LeasesLost, s.TimedOut);

    private void WriteToHost(string text)
    {
        try
        {
            Host?.UI?.WriteLine(text);
        }
        catch (Exception)
        {
            // A host without a UI: there is nowhere else to write while the pipeline stops.
        }
    }

    private void ParseHandler()
    {
        object handler = Handler is PSObject wrapped ? wrapped.BaseObject : Handler;
        if (handler is ScriptBlock all)
        {
            _handlerForAll = all;
            _handlerText = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [string.Empty] = all.ToString() };
            _handlerOrigin = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { [string.Empty] = HandlerFailure.Origin(all) };
            return;
        }

        if (handler is IDictionary table && table.Count > 0)
        {
            // Task types match handler keys ignoring case, as PowerShell users expect of hashtable keys.
            _handlersByType = new Dictionary<string, ScriptBlock>(StringComparer.OrdinalIgnoreCase);
            _handlerText = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            _handlerOrigin = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in table)
            {
                object? value = entry.Value is PSObject v ? v.BaseObject : entry.Value;
                string? type = entry.Key is PSObject k ? k.BaseObject?.ToString() : entry.Key?.ToString();
                if (string.IsNullOrEmpty(type) || value is not ScriptBlock block)
                    ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"-Handler entry '{entry.Key}' is not a task type mapped to a scriptblock; write @{{ 'type' = {{ param($Task) ... }} }}.", "Handler", entry.Key), Handler));
                if (_handlersByType.ContainsKey(type!))
                    ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"-Handler has two entries for task type '{type}' that differ only in case; task types match handlers ignoring case, so keep one.", "Handler", type), Handler));
                _handlersByType[type!] = (ScriptBlock)value!;
                _handlerText[type!] = ((ScriptBlock)value!).ToString();
                _handlerOrigin[type!] = HandlerFailure.Origin((ScriptBlock)value!);
            }

            return;
        }

        ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
            "-Handler must be a scriptblock, or a non-empty hashtable from task type to scriptblock.", "Handler", handler?.GetType().FullName), Handler));
    }

    private WorkerSettings Settings()
    {
        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
        return new WorkerSettings
        {
            Queues = Queue,
            Strategy = Strategy,
            Concurrency = Concurrency,
            MaxTasks = Bound(nameof(MaxTasks)) ? MaxTasks : null,
            IdleTimeout = Bound(nameof(IdleTimeout)) ? IdleTimeout : null,
            MaxRunTime = Bound(nameof(MaxRunTime)) ? MaxRunTime : null,
            LeaseDuration = Bound(nameof(LeaseDuration)) ? LeaseDuration : null,
            WorkerId = WorkerId,
            HandledTypes = _handlersByType?.Keys,
        };
    }

    // Concurrency 1: the user's own scriptblock, on this (the pipeline) thread, as a nested pipeline that the attempt's
    // token (user cancel, timeout, worker stop) can stop on its own.
    private void RunHere(HandlerCall call, WorkerHostCore host)
    {
        ScriptBlock handler = _handlerForAll ?? _handlersByType![call.Context.Type];
        PSObject task = PowerShellValues.Typed(PowerShellValues.Shape(WorkerHostCore.TaskOf(call.Context)), TaskInfo.PSTypeName);
        using System.Management.Automation.PowerShell ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddScript(HereScript, useLocalScope: true);
        call.OnStop(() => ps.BeginStop(null, null));
        if (call.IsCompleted || call.StopRequested) return;
        WorkerHostCore.Current = call.Context;
        SessionState.PSVariable.Set(HandlerCallVariableName, new object[] { handler, task, call.Context });
        try
        {
            Collection<PSObject> output = ps.Invoke();
            if (ps.InvocationStateInfo.State == PSInvocationState.Stopped) throw new PipelineStoppedException();
            if (ps.Streams.Error.Count > 0) call.Fail(HandlerFailure.FromRecord(ps.Streams.Error[0]));
            else call.Succeed(ResultJson(output));
        }
        catch (PipelineStoppedException) when (call.IsCompleted || call.CancellationToken.IsCancellationRequested)
        {
            call.Cancel(); // The attempt's token stopped it; the engine records why.
        }
        catch (PipelineStoppedException)
        {
            // Stopped by the session (Ctrl+C) rather than by the attempt's token: the worker stops, and the call ends
            // as cancelled, which the stopping engine takes as "give the task back uncounted".
            _workerStop.Cancel();
            host.StopHandlers();
            StoppedByUser(call);
        }
        catch (Exception ex)
        {
            call.Fail(HandlerFailure.FromException(ex));
        }
        finally
        {
            SessionState.PSVariable.Remove(HandlerCallVariableName);
            WorkerHostCore.Current = null;
        }
    }

    // Concurrency > 1: runs on an engine thread; only the handler's text crosses into the pool's runspace.
    private Task InvokeInPool(RunspacePool pool, WorkerHostCore host, HandlerCall call)
    {
        string key = _handlerForAll is null ? call.Context.Type : string.Empty;
        string text = _handlerText![key];
        string? origin = _handlerOrigin![key];
        PSObject task = PowerShellValues.Typed(PowerShellValues.Shape(WorkerHostCore.TaskOf(call.Context)), TaskInfo.PSTypeName);
        System.Management.Automation.PowerShell ps = System.Management.Automation.PowerShell.Create();
        ps.RunspacePool = pool;
        ps.AddScript(PoolScript, useLocalScope: true).AddArgument(text).AddArgument(task).AddArgument(call.Context);
        if (call.IsCompleted || call.StopRequested)
        {
            ps.Dispose();
            return Task.CompletedTask;
        }

        IAsyncResult started;
        try
        {
            started = ps.BeginInvoke();
        }
        catch (Exception ex)
        {
            ps.Dispose();
            call.Fail(HandlerFailure.FromException(ex));
            return Task.CompletedTask;
        }

        call.OnStop(() => ps.BeginStop(null, null));
        return Task.Factory.FromAsync<PSDataCollection<PSObject>>(started, ps.EndInvoke).ContinueWith(done =>
        {
            try
            {
                Exception? error = done.IsFaulted ? done.Exception!.InnerException ?? done.Exception : null;
                if (error is PipelineStoppedException && !call.IsCompleted && !call.CancellationToken.IsCancellationRequested && host.IsStopping)
                {
                    // Stopped at Ctrl+C: the worker's token is already cancelled (StopProcessing cancels it first).
                    StoppedByUser(call);
                }
                else if (error is not null) call.Fail(HandlerFailure.FromException(error, origin));
                else if (done.IsCanceled) call.Cancel();
                else if (ps.Streams.Error.Count > 0) call.Fail(HandlerFailure.FromRecord(ps.Streams.Error[0], origin));
                else call.Succeed(ResultJson(done.Result));
            }
            catch (Exception ex)
            {
                call.Fail(HandlerFailure.FromException(ex));
            }
            finally
            {
                ps.Dispose();
                host.Wake();
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private RunspacePool OpenPool()
    {
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(new[] { ModuleToImport() });
        RunspacePool pool = RunspaceFactory.CreateRunspacePool(state);
        pool.SetMinRunspaces(1);
        pool.SetMaxRunspaces(Concurrency);
        pool.Open();
        return pool;
    }

    private string ModuleToImport()
    {
        PSModuleInfo? module = MyInvocation.MyCommand.Module;
        if (module is not null)
        {
            string manifest = Path.Combine(module.ModuleBase, "PrismQ.psd1");
            if (File.Exists(manifest)) return manifest;
            if (!string.IsNullOrEmpty(module.Path)) return module.Path;
        }

        return typeof(StartPrismQWorkerCommand).Assembly.Location;
    }

    private static string? ResultJson(IList<PSObject> output)
    {
        if (output.Count == 0) return null;
        object? plain = output.Count == 1 ? PowerShellValues.ToPlain(output[0]) : PowerShellValues.ToPlain(output);
        return PayloadJson.Serialize(plain);
    }

    // Each failed attempt as it happens, with its task id, type, attempt and message (a transcript then holds them).
    private void WriteFailures(WorkerHostCore host, bool toHost)
    {
        while (host.TryTakeFailure(out AttemptFailure? failure) && failure is not null)
        {
            string text = failure.Describe();
            if (toHost) WriteToHost("WARNING: " + text);
            else WriteWarning(text);
        }
    }

    private void WriteFinished(WorkerHostCore host)
    {
        var ids = new List<long>();
        while (host.TryTakeFinished(out long id)) ids.Add(id);
        if (!PassThru || ids.Count == 0) return;
        foreach (TaskRecord record in TaskLookup.InOrder(Store, ids, CancellationToken.None)) WriteTask(record);
    }
}
