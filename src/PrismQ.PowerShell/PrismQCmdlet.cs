using System;
using System.Management.Automation;
using System.Threading;
using PrismQ.PowerShell.Cores;
using PrismQ.Storage;

namespace PrismQ.PowerShell;

/// <summary>
/// The base of every PrismQ cmdlet: the <c>-Database</c> parameter, the session's store for it, cancellation on
/// Ctrl+C (<see cref="StopProcessing"/>), and the translation of <see cref="PrismQException"/> into ErrorRecords.
/// </summary>
public abstract class PrismQCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();
    private string? _databasePath;

    /// <summary>
    /// The database file. When omitted: <c>$env:PRISMQ_QUEUE_DB_PATH</c>, else the platform default. A relative path is
    /// relative to the current location. The database is created on first use.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken CancelToken => _stopping.Token;

    /// <summary>The database this call uses: the full path of a SQLite file, or a PostgreSQL URI as given.</summary>
    protected string DatabasePath
    {
        get
        {
            if (_databasePath is null)
            {
                string current = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
                string? parameter = Database is null || StoreLocations.IsPostgres(Database) ? Database : GetUnresolvedProviderPathFromPSPath(Database);
                _databasePath = StoreCache.ResolvePath(parameter, current);
            }

            return _databasePath;
        }
    }

    /// <summary><see cref="DatabasePath"/> safe to show (a PostgreSQL URI without its password).</summary>
    protected string DatabaseDisplay => StoreLocations.Redact(DatabasePath);

    /// <summary>True when this call's database is a PostgreSQL server rather than a SQLite file.</summary>
    protected bool IsPostgres => StoreLocations.IsPostgres(DatabasePath);

    /// <summary>The session's store for <see cref="DatabasePath"/>, opened on first use.</summary>
    protected ITaskStore Store
    {
        get
        {
            WarnIfLoaderFailed();
            return StoreCache.Get(DatabasePath);
        }
    }

    private static int _loaderWarningShown;

    // Once per process: the engine loader could not be installed at import (see EngineLoader.Install), so the engine's
    // dependencies may come from elsewhere or not load at all; say why before the first database use.
    private void WarnIfLoaderFailed()
    {
        Exception? error = EngineLoader.InstallError;
        if (error is null || Interlocked.Exchange(ref _loaderWarningShown, 1) == 1) return;
        WriteWarning($"PrismQ could not set up the loader of its engine's dependencies at import ({error.GetType().Name}: {error.Message}); opening the database may fail.");
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>A file-system path parameter made absolute against the current location.</summary>
    protected string ResolveFilePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>The ErrorRecord for a PrismQ error: id <c>PrismQ.&lt;Code&gt;</c>, its category, the target.</summary>
    internal static ErrorRecord ToErrorRecord(PrismQException exception, object? target) =>
        new(exception, exception.ErrorId, ErrorMapping.CategoryOf(exception.Code), target ?? exception.InvalidValue);

    /// <summary>
    /// Runs <paramref name="action"/> for one pipeline item: a PrismQ error about this item becomes a non-terminating
    /// error; one about the database or a parameter stops the cmdlet. Ctrl+C ends the cmdlet quietly.
    /// </summary>
    protected void ForItem(object? target, Action action)
    {
        try
        {
            action();
        }
        catch (PrismQException ex)
        {
            if (ErrorMapping.IsTerminating(ex.Code)) ThrowTerminatingError(ToErrorRecord(ex, target));
            WriteError(ToErrorRecord(ex, target));
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Runs <paramref name="action"/>; any PrismQ error stops the cmdlet.</summary>
    protected void Terminating(object? target, Action action)
    {
        try
        {
            action();
        }
        catch (PrismQException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex, target));
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>
    /// Writes a task to the pipeline as a <c>PrismQ.TaskInfo</c>: the object itself, not wrapped in a PSObject, since
    /// its .NET name is its type name (its payload and result are parsed when first read).
    /// </summary>
    protected void WriteTask(TaskRecord record) => WriteObject(TaskInfoMapper.ToTaskInfo(record));

    /// <summary>Writes an output object with its PrismQ type name first in its type names.</summary>
    protected void WriteTyped(object value, string psTypeName) => WriteObject(PowerShellValues.Typed(value, psTypeName));
}
