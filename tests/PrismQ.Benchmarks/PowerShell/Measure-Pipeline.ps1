<#
.SYNOPSIS
Measures the module's pipelines: Add-PrismQTask and Get-PrismQTask over 100,000 objects (10,000 with -Quick),
each against a ForEach-Object pipeline of the same objects, measured in the same run.

.DESCRIPTION
Every figure is the best of three rounds; in each round the baseline runs right before its figure, so both meet the
same load on a shared machine. Output goes to Out-Null (streamed and dropped; `$null = ...` collects every object
first). Rates are objects per second.
#>
function Measure-Pipeline {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Folder,
        [switch] $Quick
    )

    $count = if ($Quick) { 10000 } else { 100000 }
    $rounds = 3

    # Objects per second of the fastest of $rounds runs of each script, the two run in turn.
    function Measure-Pair([scriptblock] $Baseline, [scriptblock] $Figure) {
        $best = @{ Baseline = [double]::MaxValue; Figure = [double]::MaxValue }
        for ($round = 1; $round -le $rounds; $round++) {
            foreach ($name in 'Baseline', 'Figure') {
                $script = if ($name -eq 'Baseline') { $Baseline } else { $Figure }
                [GC]::Collect()
                $watch = [System.Diagnostics.Stopwatch]::StartNew()
                & $script $round
                $watch.Stop()
                $best[$name] = [Math]::Min($best[$name], $watch.Elapsed.TotalSeconds)
            }
        }
        [pscustomobject]@{ Baseline = $count / $best.Baseline; Figure = $count / $best.Figure }
    }

    function New-Row([string] $Figure, [string] $Baseline, $Pair, [string] $Goal, $Met) {
        [pscustomobject]@{
            Figure        = $Figure
            Value         = $Pair.Figure
            Unit          = 'objects/s'
            Baseline      = $Baseline
            BaselineValue = $Pair.Baseline
            Ratio         = $Pair.Figure / $Pair.Baseline
            Goal          = $Goal
            Met           = $Met
        }
    }

    $n = $count
    $warm = Join-Path $Folder 'pipeline-warm.db'
    1..1000 | Add-PrismQTask -Type t -Database $warm | Out-Null # loads the engine and opens SQLite once
    Get-PrismQTask -Database $warm | Out-Null

    $ints = Measure-Pair { 1..$n | ForEach-Object { $_ } | Out-Null } {
        param($round) 1..$n | Add-PrismQTask -Type t -Database (Join-Path $Folder "pipeline-ints-$round.db") | Out-Null
    }
    New-Row "1..$n | Add-PrismQTask -Type t | Out-Null" "1..$n | ForEach-Object { `$_ } | Out-Null" $ints `
        '>= 100,000/s and >= 0.5x' ($ints.Figure -ge 100000 -and $ints.Figure / $ints.Baseline -ge 0.5)

    $tables = Measure-Pair { 1..$n | ForEach-Object { @{ n = $_ } } | Out-Null } {
        param($round) 1..$n | ForEach-Object { @{ n = $_ } } | Add-PrismQTask -Type t -Database (Join-Path $Folder "pipeline-tables-$round.db") | Out-Null
    }
    New-Row "1..$n | ForEach-Object { @{ n = `$_ } } | Add-PrismQTask -Type t | Out-Null" "1..$n | ForEach-Object { @{ n = `$_ } } | Out-Null" $tables '' $null

    $tasks = Join-Path $Folder 'pipeline-tables-1.db' # $n tasks with payloads @{ n = ... }
    $get = Measure-Pair { 1..$n | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Out-Null } { Get-PrismQTask -Database $tasks | Out-Null }
    New-Row "Get-PrismQTask ($n tasks, payloads @{ n }) | Out-Null" "1..$n | ForEach-Object { [pscustomobject]@{ Id = `$_ } } | Out-Null" $get `
        '>= 100,000/s' ($get.Figure -ge 100000)

    $read = Measure-Pair { 1..$n | ForEach-Object { [pscustomobject]@{ n = $_ } } | ForEach-Object { $_.n } | Out-Null } {
        Get-PrismQTask -Database $tasks | ForEach-Object { $_.Payload.n } | Out-Null
    }
    New-Row "Get-PrismQTask ($n tasks) | ForEach-Object { `$_.Payload.n }" "1..$n | ForEach-Object { [pscustomobject]@{ n = `$_ } } | ForEach-Object { `$_.n }" $read '' $null
}
