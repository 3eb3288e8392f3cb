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

    // Runs in each runspace of the pool: the handler is rebuilt from its text there, never shared across threads.
    private const string PoolScript = @"param([string] $PrismQHandlerText, $PrismQTask, $PrismQTaskContext)
$PrismQHandler = [scriptblock]::Create($PrismQHandlerText)
$PrismQTask | ForEach-Object -Process { & $PrismQHandler $_ }";

    private readonly CancellationTokenSource _workerStop = new();
    private readonly ConcurrentQueue<ErrorRecord> _poolErrors = new();
    private volatile WorkerHostCore? _host;
    private ScriptBlock? _handlerForAll;
    private Dictionary<string, ScriptBlock>? _handlersByType;
    private Dictionary<string, string>? _handlerText;

    /// <summary>A scriptblock run for every task, or a hashtable from task type to scriptblock. The task is <c>$_</c>, <c>$args[0]</c> and the first parameter; what the handler outputs becomes the result; what it throws fails the attempt.</summary>
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
            host = new WorkerHostCore(Store, settings, p is null ? null : call => InvokeInPool(p, call));
            _host = host;
            run = host.Start(_workerStop.Token);
        });

        bool stopped = false;
        var progress = new ProgressRecord(3, $"PrismQ worker {host!.WorkerId}", "Waiting for tasks");
        long shownEnded = -1;
        try
        {
            while (true)
            {
                if (host.TryTakeCall(TimeSpan.FromMilliseconds(250), out HandlerCall? call) && call is not null)
                    stopped |= RunHere(call);
                if (!stopped && !Stopping)
                {
                    WritePoolErrors();
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
            if (stopped || Stopping) throw new PipelineStoppedException();
            WritePoolErrors();
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

    /// <inheritdoc />
    protected override void StopProcessing()
    {
        base.StopProcessing();
        _workerStop.Cancel();
        _host?.ReleaseInFlight();
    }

    private void ParseHandler()
    {
        object handler = Handler is PSObject wrapped ? wrapped.BaseObject : Handler;
        if (handler is ScriptBlock all)
        {
            _handlerForAll = all;
            _handlerText = new Dictionary<string, string>(StringComparer.Ordinal) { [string.Empty] = all.ToString() };
            return;
        }

        if (handler is IDictionary table && table.Count > 0)
        {
            _handlersByType = new Dictionary<string, ScriptBlock>(StringComparer.Ordinal);
            _handlerText = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in table)
            {
                object? value = entry.Value is PSObject v ? v.BaseObject : entry.Value;
                string? type = entry.Key is PSObject k ? k.BaseObject?.ToString() : entry.Key?.ToString();
                if (string.IsNullOrEmpty(type) || value is not ScriptBlock block)
                    ThrowTerminatingError(ToErrorRecord(new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"-Handler entry '{entry.Key}' is not a task type mapped to a scriptblock; write @{{ 'type' = {{ param($Task) ... }} }}.", "Handler", entry.Key), Handler));
                _handlersByType[type!] = (ScriptBlock)value!;
                _handlerText[type!] = ((ScriptBlock)value!).ToString();
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

    // Concurrency 1: the user's own scriptblock, on this (the pipeline) thread. Returns true when the pipeline was stopped.
    private bool RunHere(HandlerCall call)
    {
        ScriptBlock handler = _handlerForAll ?? _handlersByType![call.Context.Type];
        PSObject task = PowerShellValues.Typed(PowerShellValues.Shape(WorkerHostCore.TaskOf(call.Context)), TaskInfo.PSTypeName);
        var variables = new List<PSVariable> { new("_", task), new(ContextVariableName, call.Context) };
        WorkerHostCore.Current = call.Context;
        try
        {
            Collection<PSObject> output = handler.InvokeWithContext((Dictionary<string, ScriptBlock>?)null, variables, task);
            call.Succeed(ResultJson(output));
            return false;
        }
        catch (PipelineStoppedException)
        {
            call.Cancel();
            return true;
        }
        catch (Exception ex)
        {
            call.Fail(HandlerError(ex));
            return false;
        }
        finally
        {
            WorkerHostCore.Current = null;
        }
    }

    // Concurrency > 1: runs on an engine thread; only the handler's text crosses into the pool's runspace.
    private Task InvokeInPool(RunspacePool pool, HandlerCall call)
    {
        string text = _handlerText![_handlerForAll is null ? call.Context.Type : string.Empty];
        PSObject task = PowerShellValues.Typed(PowerShellValues.Shape(WorkerHostCore.TaskOf(call.Context)), TaskInfo.PSTypeName);
        System.Management.Automation.PowerShell ps = System.Management.Automation.PowerShell.Create();
        ps.RunspacePool = pool;
        ps.AddScript(PoolScript).AddArgument(text).AddArgument(task).AddArgument(call.Context);
        IAsyncResult started;
        try
        {
            started = ps.BeginInvoke();
        }
        catch (Exception ex)
        {
            ps.Dispose();
            call.Fail(HandlerError(ex));
            return Task.CompletedTask;
        }

        call.OnStop(() => ps.BeginStop(null, null));
        return Task.Factory.FromAsync<PSDataCollection<PSObject>>(started, ps.EndInvoke).ContinueWith(done =>
        {
            try
            {
                foreach (ErrorRecord error in ps.Streams.Error) _poolErrors.Enqueue(error);
                if (done.IsFaulted) call.Fail(HandlerError(done.Exception!.InnerException ?? done.Exception));
                else if (done.IsCanceled) call.Cancel();
                else call.Succeed(ResultJson(done.Result));
            }
            catch (Exception ex)
            {
                call.Fail(ex);
            }
            finally
            {
                ps.Dispose();
                _host?.Wake();
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

    private static Exception HandlerError(Exception ex)
    {
        while ((ex is MethodInvocationException || ex is AggregateException || ex is System.Reflection.TargetInvocationException) && ex.InnerException is not null)
            ex = ex.InnerException;
        if (ex is RuntimeException runtime && runtime.ErrorRecord?.Exception is { } inner && inner != ex && !(inner is ParentContainsErrorRecordException))
            return inner;
        return ex;
    }

    private void WritePoolErrors()
    {
        while (_poolErrors.TryDequeue(out ErrorRecord? error)) WriteError(error);
    }

    private void WriteFinished(WorkerHostCore host)
    {
        var ids = new List<long>();
        while (host.TryTakeFinished(out long id)) ids.Add(id);
        if (!PassThru || ids.Count == 0) return;
        foreach (TaskRecord record in TaskLookup.InOrder(Store, ids, CancellationToken.None)) WriteTask(record);
    }
}
