#Requires -Version 5.1
# Pester 5 tests of what a Start-PrismQWorker handler can see and say: $using: values, -InitializationScript,
# -ArgumentList, the records it writes (kept with the attempt, shown with the task, bounded), -Verbose reaching it, and
# errors that name the task and the position in the handler's script. Each behaviour is checked at concurrency 1 and
# above; scenarios that depend on a script file run in a child PowerShell from a script file.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force
}

AfterAll { Remove-TestRoot }

Describe 'What a handler sees' {
    BeforeEach { $db = New-TestDatabase }

    It '$using: brings the values the variables had when the worker started, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 3 }
    ) {
        $limit = 7
        $names = @{ a = 'alpha' }
        1..3 | Add-PrismQTask -Database $db -Type u | Out-Null
        $summary = Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 3 -Handler {
            param($Task)
            "$($Task.Payload * $using:limit) $(($using:names).a) [$limit]"
        }
        $summary.Succeeded | Should -Be 3
        (Get-PrismQTask -Database $db -Type u | Sort-Object Id).Result | Should -Be @('7 alpha []', '14 alpha []', '21 alpha []')
    }

    It 'refuses a $using: that is not a variable, before anything runs' {
        Add-PrismQTask -Database $db -Type u | Out-Null
        { Start-PrismQWorker -Database $db -MaxTasks 1 -Handler { $using:env:PATH; $using:a.b } -ErrorAction Stop } |
            Should -Throw -ErrorId 'PrismQ.InvalidArgument*'
        (Get-PrismQTask -Database $db -Type u).Status | Should -Be 'Queued'
    }

    It 'runs -InitializationScript once per runspace, and its functions and variables are the handlers'', at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 3 }
    ) {
        $started = [System.Collections.Concurrent.ConcurrentBag[string]]::new()
        1..9 | Add-PrismQTask -Database $db -Type i | Out-Null
        $summary = Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 9 -InitializationScript {
            ($using:started).Add([runspace]::DefaultRunspace.InstanceId.ToString())
            function Get-Triple([int] $Value) { 3 * $Value }
            $unit = 'kg'
        } -Handler { param($Task) "$(Get-Triple $Task.Payload) $unit" }
        $summary.Succeeded | Should -Be 9
        (Get-PrismQTask -Database $db -Type i | Sort-Object Id)[1].Result | Should -Be '6 kg'
        $started.Count | Should -Be $Concurrency
        @($started | Sort-Object -Unique).Count | Should -Be $Concurrency
    }

    It 'stops with InitializationScriptFailed when -InitializationScript fails, and touches no task' {
        Add-PrismQTask -Database $db -Type i | Out-Null
        $failure = $null
        try {
            Start-PrismQWorker -Database $db -Concurrency 2 -MaxTasks 1 -InitializationScript { Import-Module NoSuchModuleHere -ErrorAction Stop } -Handler { 'never' }
        }
        catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'PrismQ.InitializationScriptFailed*'
        $failure.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $failure.Exception.Message | Should -Match 'NoSuchModuleHere'
        $task = Get-PrismQTask -Database $db -Type i
        $task.Status | Should -Be 'Queued'
        $task.Attempts | Should -Be 0
    }

    It 'passes -ArgumentList to every handler after the task, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 2 }
    ) {
        Add-PrismQTask -Database $db -Type a -Payload 5 | Out-Null
        Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 1 -ArgumentList 'left', 2 -Handler @{
            a = { param($Task, $Side, $Factor) "$Side $($Task.Payload * $Factor) $($args.Count)" }
        } | Out-Null
        (Get-PrismQTask -Database $db -Type a).Result | Should -Be 'left 10 0'
    }
}

Describe 'What a handler says' {
    BeforeEach { $db = New-TestDatabase }

    It 'keeps each attempt''s warning, verbose and information records with the attempt, in order, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 2 }
    ) {
        $task = Add-PrismQTask -Database $db -Type o -MaxAttempts 2
        Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 2 -Verbose -WarningAction SilentlyContinue -InformationAction SilentlyContinue -Handler {
            param($Task)
            Write-Warning "warn $($Task.Attempts)"
            Write-Verbose "verbose $($Task.Attempts)"
            Write-Information "info $($Task.Attempts)"
            Write-Host "host $($Task.Attempts)"
            if ($Task.Attempts -eq 1) { throw 'first try fails' }
            'done'
        } 4>$null | Out-Null
        $stored = Get-PrismQTask -Database $db -Id $task.Id
        $stored.Status | Should -Be 'Succeeded'
        @($stored.Output | ForEach-Object { "$($_.Attempt) $($_.Stream) $($_.Text)" }) | Should -Be @(
            '1 Warning warn 1', '1 Verbose verbose 1', '1 Information info 1', '1 Information host 1',
            '2 Warning warn 2', '2 Verbose verbose 2', '2 Information info 2', '2 Information host 2')
    }

    It 'shows each record on the worker''s own stream, marked with its task and attempt, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 2 }
    ) {
        $task = Add-PrismQTask -Database $db -Type o
        Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 1 -WarningVariable warnings -WarningAction SilentlyContinue -InformationVariable information -InformationAction SilentlyContinue -Handler {
            Write-Warning 'careful'
            Write-Information 'note'
        } | Out-Null
        @($warnings.Message) | Should -Be @("[task $($task.Id) attempt 1] careful")
        @($information | ForEach-Object { "$($_.MessageData)" }) | Should -Be @("[task $($task.Id) attempt 1] note")
    }

    It 'gives handlers the worker''s -Verbose, and keeps no verbose record without it' {
        $quiet = Add-PrismQTask -Database $db -Type quiet
        Start-PrismQWorker -Database $db -Queue default -MaxTasks 1 -Handler { Write-Verbose 'details' } | Out-Null
        (Get-PrismQTask -Database $db -Id $quiet.Id).Output | Should -BeNullOrEmpty

        $loud = Add-PrismQTask -Database $db -Type loud
        $shown = Start-PrismQWorker -Database $db -MaxTasks 1 -Verbose -Handler { Write-Verbose 'details'; $VerbosePreference } 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*details' }
        $shown.Message | Should -Be "[task $($loud.Id) attempt 1] details"
        $stored = Get-PrismQTask -Database $db -Id $loud.Id
        $stored.Result | Should -Be 'Continue'
        "$($stored.Output.Stream) $($stored.Output.Text)" | Should -Be 'Verbose details'
    }

    It 'keeps at most 100 records per attempt and says how many more were dropped' {
        $task = Add-PrismQTask -Database $db -Type many
        Start-PrismQWorker -Database $db -Concurrency 2 -MaxTasks 1 -WarningAction SilentlyContinue -Handler { 1..130 | ForEach-Object { Write-Warning "w$_" } } | Out-Null
        $output = (Get-PrismQTask -Database $db -Id $task.Id).Output
        $output | Should -HaveCount 101
        $output[99].Text | Should -Be 'w100'
        $output[100].Text | Should -Match '^30 more output records were dropped'
    }
}

Describe 'Handler errors name the task and the script position' {
    BeforeEach { $db = New-TestDatabase }

    It 'points at the line and column of the handler''s script file, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 3 }
    ) {
        $script = @'
param($Manifest, $Db, $Concurrency)
Import-Module $Manifest
$task = Add-PrismQTask -Database $Db -Type t -MaxAttempts 1
$summary = Start-PrismQWorker -Database $Db -Concurrency $Concurrency -MaxTasks 1 -WarningVariable warnings -WarningAction SilentlyContinue -Handler {
    param($Task)
    $folder = $PSScriptRoot
        Get-Item -LiteralPath (Join-Path $folder 'no-such-file.txt')
}
$stored = Get-PrismQTask -Database $Db -Id $task.Id
[pscustomobject]@{ Id = $task.Id; Warning = "$warnings"; Message = $stored.Errors[0].Message; Detail = $stored.Errors[0].Detail } | ConvertTo-Json -Compress
'@
        $run = Invoke-ChildScript -Script $script -Arguments @($script:Manifest, $db, "$Concurrency")
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $result = $run.Output | ConvertFrom-Json
        $position = [regex]::Escape("At $($run.Path):7 char:9")
        $result.Warning | Should -Match "^PrismQ task $($result.Id) \(type 't', queue 'default'\) attempt 1 of 1 failed: .*no-such-file\.txt.* $position\."
        $result.Detail | Should -Match $position
        # $PSScriptRoot in the handler is the folder of the script that defined it.
        $result.Message | Should -Match ([regex]::Escape((Join-Path (Split-Path $run.Path) 'no-such-file.txt')))
    }

    It 'fails an attempt whose handler calls exit, and goes on with the next task' {
        $exits = Add-PrismQTask -Database $db -Type x -Payload 1 -MaxAttempts 1
        $fine = Add-PrismQTask -Database $db -Type x -Payload 2
        $summary = Start-PrismQWorker -Database $db -Concurrency 1 -MaxTasks 2 -WarningAction SilentlyContinue -Handler {
            param($Task)
            if ($Task.Payload -eq 1) { exit 3 }
            'fine'
        }
        $summary.Failed | Should -Be 1
        $summary.Succeeded | Should -Be 1
        (Get-PrismQTask -Database $db -Id $exits.Id).ErrorType | Should -Be 'PrismQ.HandlerExited'
        (Get-PrismQTask -Database $db -Id $fine.Id).Result | Should -Be 'fine'
    }
}
