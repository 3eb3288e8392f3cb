using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using System.Diagnostics;
using PrismQ.PowerShell.Cores;
using PrismQ.PowerShell.Handlers;

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

    private readonly CancellationTokenSource _workerStop = new();
    private volatile WorkerHostCore? _host;
    private HandlerSet? _handlers;
    private IReadOnlyCollection<string>? _handledTypes;
    private readonly Stopwatch _sinceProgress = Stopwatch.StartNew();
    private ProgressRecord? _progress;
    private long _shownEnded = -1;

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

    /// <summary>Handlers running at once (default 1), each in a runspace of its own that lives as long as the worker.</summary>
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

    /// <summary>Run once in each handler runspace before its first handler: import modules, define the functions and variables the handlers use.</summary>
    [Parameter]
    public ScriptBlock? InitializationScript { get; set; }

    /// <summary>Passed to every handler after the task: <c>param($Task, $First, $Second)</c>. The same objects reach every runspace (not copies).</summary>
    [Parameter]
    [Alias("Args")]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        ParseHandler();
        WorkerSettings settings = Settings();
        if (!ShouldProcess($"PrismQ database '{DatabaseDisplay}', queues {string.Join(", ", Queue)}", "Start a worker")) return;

        var calls = new CallQueue();
        var drain = new CallQueue.Waiter();
        WorkerHostCore? host = null;
        var loopHost = new LoopHost(() => Stopping || (_host?.IsStopping ?? false), StoppedByUser, (call, record) => _host?.ReportOutput(call, record));
        var threads = new List<Thread>();
        Task<global::PrismQ.WorkerRunSummary>? run = null;
        try
        {
            StartRunspaces(calls, loopHost, threads);
            Terminating(null, () =>
            {
                host = new WorkerHostCore(Store, settings, call => Dispatch(calls, call));
                _host = host;
                run = host.Start(_workerStop.Token);
                run.ContinueWith(_ => calls.Close(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            });

            _progress = new ProgressRecord(3, $"PrismQ worker {host!.WorkerId}", "Waiting for tasks");
            bool stopShown = false;
            while (!run!.IsCompleted)
            {
                host.WaitForNews(TimeSpan.FromMilliseconds(250));
                if (UserStopped(host))
                {
                    GiveBackWaiting(calls, drain);
                    if (!stopShown && !run.IsCompleted && host.InFlight > 0)
                        WriteToHost($"PrismQ worker {host.WorkerId} stopping: {host.InFlight} running task(s) go back to the queue.");
                    stopShown = true;
                }
                else
                {
                    Housekeeping();
                }
            }

            global::PrismQ.WorkerRunSummary summary = null!;
            Terminating(null, () => summary = run.GetAwaiter().GetResult());
            if (UserStopped(host))
            {
                // The pipeline is stopping: nothing can be written to it any more, so the summary goes to the host.
                WriteFailures(host, toHost: true);
                WriteToHost(StoppedSummary(WorkerHostCore.ToInfo(summary)));
                throw new PipelineStoppedException();
            }

            Housekeeping();
            if (Stopping)
            {
                WriteToHost(StoppedSummary(WorkerHostCore.ToInfo(summary)));
                throw new PipelineStoppedException();
            }

            _progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(_progress);
            WriteTyped(WorkerHostCore.ToInfo(summary), WorkerRunSummary.PSTypeName);
        }
        finally
        {
            if (run is { IsCompleted: false })
            {
                // Leaving early (an error): the worker stops and gives its tasks back before anything it uses goes away.
                _workerStop.Cancel();
                host?.StopHandlers();
                GiveBackWaiting(calls, drain);
                run.ContinueWith(_ => { }, TaskScheduler.Default).Wait();
            }

            _host = null;
            calls.Close();
            foreach (Thread thread in threads) thread.Join();
            host?.Dispose();
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

    // Calls no loop will take now end as cancelled: the stopping engine gives their tasks back uncounted.
    private void GiveBackWaiting(CallQueue calls, CallQueue.Waiter drain)
    {
        while (calls.Take(drain, 0) is { } left) StoppedByUser(left);
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
        HandlerSource? forAll = null;
        Dictionary<string, HandlerSource>? byType = null;
        if (handler is ScriptBlock all)
        {
            forAll = new HandlerSource(all);
        }
        else if (handler is IDictionary table && table.Count > 0)
        {
            // Task types match handler keys ignoring case, as PowerShell users expect of hashtable keys.
            byType = new Dictionary<string, HandlerSource>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in table)
            {
                object? value = entry.Value is PSObject v ? v.BaseObject : entry.Value;
                string? type = entry.Key is PSObject k ? k.BaseObject?.ToString() : entry.Key?.ToString();
                if (string.IsNullOrEmpty(type) || value is not ScriptBlock block)
                    ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"-Handler entry '{entry.Key}' is not a task type mapped to a scriptblock; write @{{ 'type' = {{ param($Task) ... }} }}.", "Handler", entry.Key), Handler));
                if (byType.ContainsKey(type!))
                    ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"-Handler has two entries for task type '{type}' that differ only in case; task types match handlers ignoring case, so keep one.", "Handler", type), Handler));
                byType[type!] = new HandlerSource((ScriptBlock)value!);
            }
        }
        else
        {
            ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
                "-Handler must be a scriptblock, or a non-empty hashtable from task type to scriptblock.", "Handler", handler?.GetType().FullName), Handler));
        }

        Hashtable? usingValues = null;
        Terminating(null, () => usingValues = UsingValues.Capture(this,
            HandlerSet.Blocks(forAll?.Original, byType?.Values.Select(source => source.Original), InitializationScript)));
        _handledTypes = byType?.Keys.ToArray();
        _handlers = new HandlerSet(forAll, byType, InitializationScript is null ? null : new HandlerSource(InitializationScript),
            ArgumentList ?? Array.Empty<object?>(), usingValues, Preferences());
    }

    // The handlers' $VerbosePreference and $DebugPreference: the worker's -Verbose and -Debug, else the caller's own
    // preference variables. Warnings and information records are always written (and kept); whether the worker shows
    // them is its own -WarningAction and -InformationAction.
    private object[] Preferences()
    {
        object Switch(string parameter, string variable)
        {
            if (MyInvocation.BoundParameters.TryGetValue(parameter, out object? bound) && bound is SwitchParameter on)
                return on.IsPresent ? ActionPreference.Continue : ActionPreference.SilentlyContinue;
            object? value = GetVariableValue(variable);
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            return value is ActionPreference preference ? preference : ActionPreference.SilentlyContinue;
        }

        return new[] { Switch("Verbose", "VerbosePreference"), Switch("Debug", "DebugPreference") };
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
            HandledTypes = _handledTypes,
            KeepFinished = PassThru,
        };
    }

    // Each call's task object is made here, on the engine's thread, so the handler's thread only runs the handler.
    private static Task Dispatch(CallQueue calls, HandlerCall call)
    {
        call.Task = WorkerHostCore.TaskOf(call.Context);
        calls.Add(call);
        return Task.CompletedTask;
    }

    // A runspace and a thread per handler slot, each opened, initialized and then running its loop for as long as the
    // worker runs. The engine starts once every runspace is ready.
    private void StartRunspaces(CallQueue calls, LoopHost loopHost, List<Thread> threads)
    {
        var loops = new List<HandlerLoop>();
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(new[] { ModuleToImport() });
        state.ThreadOptions = PSThreadOptions.UseCurrentThread;
        for (int i = 0; i < Concurrency; i++)
        {
            Runspace runspace = RunspaceFactory.CreateRunspace(state);
            runspace.Name = "PrismQHandler" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var loop = new HandlerLoop(_handlers!, calls, loopHost, runspace, spin: Concurrency <= 2 * Environment.ProcessorCount);
            var thread = new Thread(() =>
            {
                try
                {
                    loop.Run();
                }
                finally
                {
                    runspace.Dispose();
                }
            })
            {
                IsBackground = true,
                Name = runspace.Name,
            };
            loops.Add(loop);
            threads.Add(thread);
            thread.Start();
        }

        try
        {
            Task.WaitAll(loops.Select(loop => loop.ReadyTask).ToArray());
        }
        catch (AggregateException failed)
        {
            calls.Close();
            ThrowInitializationFailed(failed);
        }
    }

    private void ThrowInitializationFailed(AggregateException failed)
    {
        Exception first = failed.Flatten().InnerExceptions[0];
        string message = first is InitializationFailedException init
            ? init.Message + (init.Failure.Error.Detail is { } detail ? "\n" + detail : string.Empty)
            : "The handler runspaces could not start: " + first.Message;
        ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message, first), "PrismQ.InitializationScriptFailed",
            ErrorCategory.InvalidOperation, InitializationScript));
    }

    // What the cmdlet writes while the worker runs: each failed attempt, each handler's output, each finished task
    // (-PassThru) and the progress bar.
    // Ctrl+C can come while it writes: the write then throws PipelineStoppedException, and the worker's loop goes on to
    // its stop (what is left is written to the host), rather than leaving with the engine still running.
    private void Housekeeping()
    {
        WorkerHostCore? host = _host;
        if (host is null || UserStopped(host)) return;
        try
        {
            WriteOutputs(host);
            WriteFailures(host, toHost: false);
            WriteFinished(host);
            if (host.Ended != _shownEnded && _sinceProgress.ElapsedMilliseconds >= 200)
            {
                _sinceProgress.Restart();
                _shownEnded = host.Ended;
                _progress!.StatusDescription = $"{_shownEnded} attempts ended, {host.InFlight} running";
                WriteProgress(_progress);
            }
        }
        catch (PipelineStoppedException)
        {
        }
    }

    // Each handler's warning, verbose, debug and information records, on the same streams, each marked with its task.
    private void WriteOutputs(WorkerHostCore host)
    {
        while (host.TryTakeOutput(out KeyValuePair<HandlerCall, object> output))
        {
            string prefix = AttemptOutput.Prefix(output.Key.Context.TaskId, output.Key.Context.Attempt);
            switch (output.Value)
            {
                case WarningRecord warning:
                    WriteWarning(prefix + warning.Message);
                    break;
                case VerboseRecord verbose:
                    WriteVerbose(prefix + verbose.Message);
                    break;
                case DebugRecord debug:
                    WriteDebug(prefix + debug.Message);
                    break;
                case InformationRecord information:
                    WriteInformation(Marked(information, prefix));
                    break;
            }
        }
    }

    private static InformationRecord Marked(InformationRecord record, string prefix)
    {
        object data = record.MessageData is HostInformationMessage host
            ? new HostInformationMessage { Message = prefix + host.Message, NoNewLine = host.NoNewLine, ForegroundColor = host.ForegroundColor, BackgroundColor = host.BackgroundColor }
            : prefix + record.MessageData;
        var marked = new InformationRecord(data, record.Source);
        foreach (string tag in record.Tags) marked.Tags.Add(tag);
        return marked;
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
