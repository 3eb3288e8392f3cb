# Start-PrismQWorker's rates (part of Invoke-PowerShellBenchmark.ps1; the module is already imported). Each figure has
# its baseline measured in the same run: the engine with a C# no-op handler at the same settings, the worker's own
# rate at concurrency 1, or the ideal rate of a handler that sleeps (N x 100 tasks/s for 10 ms at concurrency N). A
# rate is tasks over the worker's own RunTime (from its first claim to its stop), so opening the runspaces is not in it.

function Measure-Worker {
    param(
        [Parameter(Mandatory)] [string] $Folder,
        [switch] $Quick
    )

    Add-Type -ReferencedAssemblies ([PrismQ.Worker].Assembly.Location), 'netstandard' -TypeDefinition @'
using System.Threading;
using System.Threading.Tasks;
using PrismQ;
using PrismQ.Storage.Sqlite;
using PrismQ.Workers;

public static class PrismQBenchmarkEngine
{
    private static Task<string> NoOp(TaskContext context, CancellationToken cancellationToken) => Task.FromResult<string>(null);

    // The engine alone: the same store, concurrency and defaults as Start-PrismQWorker, with a C# no-op handler.
    public static WorkerRunSummary Run(string database, int concurrency, int maxTasks)
    {
        using (SqliteTaskStore store = SqliteTaskStore.Open(database))
        {
            var options = new WorkerOptions { Concurrency = concurrency, MaxTasks = maxTasks, FallbackHandler = NoOp };
            return new Worker(store, options).RunAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }
}
'@ -ErrorAction Stop

    $noOpTasks = if ($Quick) { 20000 } else { 60000 }
    $rows = [System.Collections.Generic.List[object]]::new()

    # A new database each time (the module keeps the databases it opened open, so a deleted file would live on).
    $script:fills = 0
    function Fill([int] $count) {
        $script:fills++
        $database = Join-Path $Folder "worker-$($script:fills).db"
        1..$count | Add-PrismQTask -Type t -Database $database | Out-Null
        $database
    }

    function Rate($summary) { $summary.Processed / $summary.RunTime.TotalSeconds }

    function Row($figure, $value, $baseline, $baselineValue, $goal, $met) {
        [pscustomobject]@{
            Figure = $figure; Value = [math]::Round($value); Unit = 'tasks/s'; Baseline = $baseline
            BaselineValue = [math]::Round($baselineValue); Ratio = [math]::Round($value / $baselineValue, 2); Goal = $goal; Met = $met
        }
    }

    # Best of three interleaved rounds: the machine is shared and noisy.
    $engine = 0; $one = 0; $four = 0
    foreach ($round in 1..3) {
        $database = Fill $noOpTasks
        $engine = [math]::Max($engine, (Rate ([PrismQBenchmarkEngine]::Run($database, 1, $noOpTasks))))
        $database = Fill $noOpTasks
        $one = [math]::Max($one, (Rate (Start-PrismQWorker -Database $database -Handler { } -MaxTasks $noOpTasks)))
        $database = Fill $noOpTasks
        $four = [math]::Max($four, (Rate (Start-PrismQWorker -Database $database -Handler { } -MaxTasks $noOpTasks -Concurrency 4)))
    }
    $rows.Add((Row 'Start-PrismQWorker, no-op scriptblock, -Concurrency 1' $one 'engine, C# no-op handler, concurrency 1' $engine '>= 20,000/s and >= 0.5x' ($one -ge 20000 -and $one / $engine -ge 0.5)))
    $rows.Add((Row 'Start-PrismQWorker, no-op scriptblock, -Concurrency 4' $four 'the same at -Concurrency 1' $one '>= 1x' ($four -ge $one)))

    # The same sleep in N plain runspaces, without PrismQ: what PowerShell itself reaches on this machine
    # (Start-Sleep -Milliseconds 10 takes longer than 10 ms, more so with many threads on few processors).
    function PlainSleepRate([int] $n, [int] $perRunspace) {
        $pipelines = foreach ($i in 1..$n) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript("foreach (`$k in 1..$perRunspace) { Start-Sleep -Milliseconds 10 }")
            $ps
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $started = foreach ($ps in $pipelines) { $ps.BeginInvoke() }
        for ($i = 0; $i -lt $n; $i++) { $null = $pipelines[$i].EndInvoke($started[$i]); $pipelines[$i].Dispose() }
        $n * $perRunspace / $clock.Elapsed.TotalSeconds
    }

    foreach ($n in 4, 16, 64) {
        $ideal = $n * 100
        $perRunspace = if ($Quick) { 200 } else { 400 }
        $count = $n * $perRunspace
        $database = Fill $count
        $sleep = Rate (Start-PrismQWorker -Database $database -Handler { Start-Sleep -Milliseconds 10 } -MaxTasks $count -Concurrency $n)
        $plain = PlainSleepRate $n $perRunspace
        $rows.Add((Row "Start-PrismQWorker, handler sleeps 10 ms, -Concurrency $n" $sleep "ideal: $n x 100 tasks/s" $ideal '>= 0.8x' ($sleep / $ideal -ge 0.8)))
        $rows.Add((Row "  the same sleep in $n plain runspaces, no PrismQ" $plain "ideal: $n x 100 tasks/s" $ideal '' $null))
    }

    $rows
}
