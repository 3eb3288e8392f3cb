#Requires -Version 5.1
# Pester 5 tests of Start-PrismQWorker as users run it: handler errors, Ctrl+C, cancelling a running task, handler
# table keys, and failures reported while the worker runs. Scenarios whose behaviour depends on how the worker is run
# (a script file, -NonInteractive, a real Ctrl+C) run in a child PowerShell from a script file.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force

    # Waits (polling, bounded) until $Condition is true; throws $Because at the deadline. For hangs only, never timing.
    function Wait-Until([scriptblock] $Condition, [string] $Because, [int] $TimeoutSeconds = 120) {
        $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
        while (-not (& $Condition)) {
            if ((Get-Date) -gt $deadline) { throw "Gave up after $TimeoutSeconds s waiting until $Because." }
            Start-Sleep -Milliseconds 100
        }
    }

    # Runs a script file (its first argument is the module manifest to import) in a child PowerShell inside a tmux session (a real terminal), waits until $Ready is true,
    # presses Ctrl+C in that terminal, and returns the script's output (stdout and stderr) once it has exited.
    function Invoke-ScriptWithCtrlC([string] $Script, [string[]] $Arguments, [scriptblock] $Ready) {
        if ($null -eq (Get-Command tmux -CommandType Application -ErrorAction SilentlyContinue)) {
            throw 'This test needs tmux (apt-get install -y tmux): it presses Ctrl+C in a real terminal.'
        }
        $name = 'prismq-' + [guid]::NewGuid().ToString('N')
        $path = Join-Path $script:TempRoot "$name.ps1"
        $out = Join-Path $script:TempRoot "$name.out"
        $done = Join-Path $script:TempRoot "$name.exit"
        [System.IO.File]::WriteAllText($path, $Script, (New-Object System.Text.UTF8Encoding($true)))
        $quoted = @(@($script:Manifest) + $Arguments | ForEach-Object { "'" + $_ + "'" }) -join ' '
        $command = "'$($script:Exe)' -NoProfile -NonInteractive -File '$path' $quoted > '$out' 2>&1; echo `$? > '$done'"
        & tmux new-session -d -s $name -x 200 -y 50 $command
        if ($LASTEXITCODE -ne 0) { throw "tmux could not start a session for $path" }
        try {
            Wait-Until $Ready 'the handlers have started'
            & tmux send-keys -t $name C-c
            Wait-Until { Test-Path -LiteralPath $done } 'the worker has exited after Ctrl+C'
            [pscustomobject]@{ Output = [System.IO.File]::ReadAllText($out) }
        }
        finally {
            if (-not (Test-Path -LiteralPath $done)) { & tmux kill-session -t $name 2>$null }
        }
    }
}

AfterAll {
    Remove-Module PrismQ -Force -ErrorAction SilentlyContinue
    Remove-TestRoot
}

Describe 'Handler errors' {
    BeforeEach { $db = New-TestDatabase }

    It 'fails the attempt when a script''s handler writes a non-terminating error, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 4 }
    ) {
        $script = @'
param($Manifest, $Db, $Concurrency)
Import-Module $Manifest
$task = Add-PrismQTask -Database $Db -Type t -Payload 3 -MaxAttempts 1
$summary = Start-PrismQWorker -Database $Db -Concurrency $Concurrency -MaxTasks 1 -WarningAction SilentlyContinue -Handler @{ t = { param($Task) Get-Tripl $Task.Payload } }
$stored = Get-PrismQTask -Database $Db -Id $task.Id
$fail = $task | Get-PrismQTrace -Database $Db -IncludeDetail | Where-Object Kind -eq 'Fail' | Select-Object -First 1
[pscustomobject]@{ Failed = $summary.Failed; Succeeded = $summary.Succeeded; Status = "$($stored.Status)"; Error = $stored.Error; ErrorType = $stored.ErrorType; Detail = $fail.Message } | ConvertTo-Json -Compress
'@
        $run = Invoke-ChildScript -Script $script -Arguments @($script:Manifest, $db, "$Concurrency")
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $result = $run.Output | ConvertFrom-Json
        $result.Succeeded | Should -Be 0
        $result.Failed | Should -Be 1
        $result.Status | Should -Be 'Failed'
        $result.Error | Should -Match "The term 'Get-Tripl' is not recognized"
        $result.ErrorType | Should -Be 'System.Management.Automation.CommandNotFoundException'
        # The detail names the error id and where in the script it happened.
        $result.Detail | Should -Match 'FullyQualifiedErrorId: CommandNotFoundException'
        $result.Detail | Should -Match ([regex]::Escape($run.Path) + ':4')
    }

    It 'fails the attempt on an error the handler lets through with -ErrorAction Continue, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 4 }
    ) {
        Add-PrismQTask -Database $db -Type soft -MaxAttempts 1 | Out-Null
        $summary = Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 1 -WarningAction SilentlyContinue -Handler {
            Write-Error 'written, not thrown' -ErrorAction Continue
            'went on'
        }
        $summary.Failed | Should -Be 1
        $task = Get-PrismQTask -Database $db -Type soft
        $task.Status | Should -Be 'Failed'
        $task.Error | Should -Be 'written, not thrown'
        $task.Result | Should -BeNullOrEmpty
    }

    It 'lets a handler handle its own errors (SilentlyContinue, try/catch), at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 4 }
    ) {
        $missing = Join-Path $script:TempRoot 'no-such-file'
        Add-PrismQTask -Database $db -Type silent -Payload $missing -MaxAttempts 1 | Out-Null
        Add-PrismQTask -Database $db -Type caught -Payload $missing -MaxAttempts 1 | Out-Null
        $summary = Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 2 -Handler @{
            'silent' = { param($Task) Get-Item -LiteralPath $Task.Payload -ErrorAction SilentlyContinue; 'carried on' }
            'caught' = { param($Task) try { Get-Item -LiteralPath $Task.Payload } catch { "caught $($_.FullyQualifiedErrorId)" } }
        }
        $summary.Succeeded | Should -Be 2
        (Get-PrismQTask -Database $db -Type silent).Result | Should -Be 'carried on'
        (Get-PrismQTask -Database $db -Type caught).Result | Should -BeLike 'caught PathNotFound*'
    }
}

Describe 'Handler table keys' {
    BeforeEach { $db = New-TestDatabase }

    It 'matches task types to handler keys ignoring case, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 4 }
    ) {
        Add-PrismQTask -Database $db -Type Greet -Payload 'Ada' -MaxAttempts 1 | Out-Null
        Add-PrismQTask -Database $db -Type GREET -Payload 'Bob' -MaxAttempts 1 | Out-Null
        $summary = Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 2 -Handler @{ greet = { param($Task) "hello $($Task.Payload)" } }
        $summary.Succeeded | Should -Be 2
        (Get-PrismQTask -Database $db -Type Greet).Result | Should -Be 'hello Ada'
        (Get-PrismQTask -Database $db -Type GREET).Result | Should -Be 'hello Bob'
    }

    It 'refuses a handler table with two keys that differ only in case' {
        $table = New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
        $table['a'] = { 1 }
        $table['A'] = { 2 }
        { Start-PrismQWorker -Database $db -Handler $table -IdleTimeout (New-TimeSpan -Seconds 1) -ErrorAction Stop } | Should -Throw -ErrorId 'PrismQ.InvalidArgument,*'
    }
}

Describe 'Cancelling a running task' {
    BeforeEach { $db = New-TestDatabase }

    It 'stops the handler at the next heartbeat and records the task Cancelled, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 4 }
    ) {
        $marker = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N'))
        $task = Add-PrismQTask -Database $db -Type loop -Payload $marker
        # Another process cancels the task once its handler has started.
        $canceller = Start-ChildPowerShell @"
Import-Module '$($script:Manifest)'
`$deadline = (Get-Date).AddMinutes(2)
while (-not (Test-Path -LiteralPath '$marker.started') -and (Get-Date) -lt `$deadline) { Start-Sleep -Milliseconds 50 }
Stop-PrismQTask -Database '$db' -Id $($task.Id)
"@
        try {
            # The loop is bounded only so that a worker that does not stop it fails this test instead of hanging it.
            $summary = Start-PrismQWorker -Database $db -Concurrency $Concurrency -MaxTasks 1 -LeaseDuration (New-TimeSpan -Seconds 3) -Handler {
                param($Task)
                New-Item -ItemType File -Path "$($Task.Payload).started" | Out-Null
                try {
                    $deadline = (Get-Date).AddSeconds(90)
                    while ((Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 50 }
                    New-Item -ItemType File -Path "$($Task.Payload).ran-to-the-end" | Out-Null
                }
                finally {
                    New-Item -ItemType File -Path "$($Task.Payload).finally" | Out-Null
                }
            }
        }
        finally {
            if (-not $canceller.WaitForExit(60000)) { $canceller.Kill() }
        }
        $summary.Cancelled | Should -Be 1
        (Get-PrismQTask -Database $db -Id $task.Id).Status | Should -Be 'Cancelled'
        Test-Path -LiteralPath "$marker.ran-to-the-end" | Should -BeFalse -Because 'the handler is stopped, not left to run on'
        Test-Path -LiteralPath "$marker.finally" | Should -BeTrue -Because 'a stopped handler still runs its finally blocks'
    }
}

Describe 'Ctrl+C' -Skip:($PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows) {
    BeforeEach { $db = New-TestDatabase }

    It 'gives running tasks back uncounted, prints the summary and exits, at concurrency <Concurrency>' -TestCases @(
        @{ Concurrency = 1 }, @{ Concurrency = 4 }
    ) {
        $marker = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N'))
        $tasks = 1..$Concurrency | ForEach-Object { Add-PrismQTask -Database $db -Type loop -Payload $marker }
        $script = @'
param($Manifest, $Db, $Concurrency)
Import-Module $Manifest
Start-PrismQWorker -Database $Db -Concurrency ([int]$Concurrency) -Handler {
    param($Task)
    New-Item -ItemType File -Path "$($Task.Payload)-$($Task.Id)" | Out-Null
    while ($true) { Start-Sleep -Milliseconds 50 }
}
'after the worker: not reached'
'@
        $run = Invoke-ScriptWithCtrlC -Script $script -Arguments @($db, "$Concurrency") -Ready {
            @(Get-ChildItem -Path "$marker-*" -ErrorAction SilentlyContinue).Count -eq $Concurrency
        }
        $run.Output | Should -Match "PrismQ worker \S+ stopped \(Cancelled\).* $Concurrency released"
        $run.Output | Should -Match '0 failed, 0 retried, 0 cancelled'
        $run.Output | Should -Not -Match 'not reached'
        foreach ($task in $tasks) {
            $now = Get-PrismQTask -Database $db -Id $task.Id
            $now.Status | Should -Be 'Queued'
            $now.Attempts | Should -Be 0
        }
    }
}

Describe 'Failures while a worker runs' {
    BeforeEach { $db = New-TestDatabase }

    It 'writes each failed attempt as a warning with task id, type, attempt and message' {
        $retried = Add-PrismQTask -Database $db -Type flaky -MaxAttempts 2
        $dead = Add-PrismQTask -Database $db -Type broken -MaxAttempts 1
        Add-PrismQTask -Database $db -Type fine | Out-Null
        $summary = Start-PrismQWorker -Database $db -MaxTasks 3 -WarningVariable warnings -WarningAction SilentlyContinue -Handler @{
            'flaky'  = { throw 'flaky this time' }
            'broken' = { throw 'broken for good' }
            'fine'   = { 'ok' }
        }
        $summary.Succeeded | Should -Be 1
        $warnings | Should -HaveCount 2
        $first = $warnings | Where-Object { $_.Message -match "task $($retried.Id) " }
        $first.Message | Should -Match "PrismQ task $($retried.Id) \(type 'flaky', queue 'default'\) attempt 1 of 2 failed: .*flaky this time\. At .*WorkerHost\.Tests\.ps1:\d+ char:\d+\. Retry scheduled at "
        $second = $warnings | Where-Object { $_.Message -match "task $($dead.Id) " }
        $second.Message | Should -Match "PrismQ task $($dead.Id) \(type 'broken', queue 'default'\) attempt 1 of 1 failed: .*broken for good\. At .*WorkerHost\.Tests\.ps1:\d+ char:\d+\. No attempts left: the task is Failed\."
    }

    It 'turns the summary into an exit code and keeps the warnings in a transcript, as the Task Scheduler recipe does' {
        $transcript = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '.log')
        $script = @'
param($Manifest, $Db, $Transcript, $Fail)
Import-Module $Manifest
Start-Transcript -LiteralPath $Transcript | Out-Null
Add-PrismQTask -Database $Db -Type job -Payload ($Fail -eq 'yes') -MaxAttempts 1 | Out-Null
$s = Start-PrismQWorker -Database $Db -IdleTimeout (New-TimeSpan -Seconds 1) -Handler { param($Task) if ($Task.Payload) { Get-Tripl } else { 'ok' } }
Stop-Transcript | Out-Null
exit [int]($s.Failed -gt 0)
'@
        $failing = Invoke-ChildScript -Script $script -Arguments @($script:Manifest, $db, $transcript, 'yes')
        $failing.ExitCode | Should -Be 1 -Because $failing.Error
        Get-Content -LiteralPath $transcript -Raw | Should -Match "WARNING: PrismQ task \d+ \(type 'job', queue 'default'\) attempt 1 of 1 failed: System.Management.Automation.CommandNotFoundException: The term 'Get-Tripl'"

        $fine = Invoke-ChildScript -Script $script -Arguments @($script:Manifest, (New-TestDatabase), $transcript, 'no')
        $fine.ExitCode | Should -Be 0 -Because $fine.Error
    }
}
