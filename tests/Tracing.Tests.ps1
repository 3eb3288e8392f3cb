#Requires -Version 5.1
# Pester 5 tests of tracing as users meet it: Write-PrismQTrace messages, Get-PrismQTrace, and the Export-PrismQTrace
# timeline of a worker at -Concurrency 4, checked against the rules of the Trace Event Format. The user scenarios run
# in a child PowerShell from a script file (Invoke-ChildScript), as a user or a scheduled task runs them.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force

    # The rules of the Trace Event Format a timeline viewer needs (the same as the xunit TraceEventFormatValidator):
    # every event has ph, name, pid, tid (and ts unless metadata); a complete slice has dur >= 0; B/E balance per
    # track; a counter has numeric args; and no two slices of one track (pid, tid) overlap unless one holds the other.
    # Returns the violations, each naming the event.
    # (ConvertFrom-Json gives Int32/Int64/Double in PowerShell 7, Int32/Int64/Decimal in Windows PowerShell 5.1.)
    function Test-IsNumber($Value) { $Value -is [int] -or $Value -is [long] -or $Value -is [double] -or $Value -is [decimal] }
    function Test-TraceEventFormat([string] $Path) {
        $violations = New-Object System.Collections.Generic.List[string]
        try {
            $document = [System.IO.File]::ReadAllText($Path) | ConvertFrom-Json
        } catch {
            $violations.Add("not valid JSON: $_")
            return , $violations
        }
        $events = @($document.traceEvents)
        $slices = @{}
        $open = @{}
        $phases = 'B', 'E', 'X', 'i', 'I', 'C', 'M', 'b', 'n', 'e', 's', 't', 'f', 'P', 'N', 'O', 'D', 'R', 'c', '(', ')'
        for ($i = 0; $i -lt $events.Count; $i++) {
            $e = $events[$i]
            $at = "event $i ($($e.ph) '$($e.name)')"
            if ($phases -cnotcontains $e.ph) { $violations.Add("${at}: ph is missing or unknown"); continue }
            if ($null -eq $e.name -and $e.ph -ne 'E') { $violations.Add("${at}: no name") }
            if (-not (Test-IsNumber $e.pid)) { $violations.Add("${at}: no numeric pid") }
            if (-not (Test-IsNumber $e.tid)) { $violations.Add("${at}: no numeric tid") }
            if ($e.ph -ne 'M' -and -not (Test-IsNumber $e.ts)) { $violations.Add("${at}: no numeric ts") }
            $track = "$($e.pid)/$($e.tid)"
            switch -CaseSensitive ($e.ph) {
                'X' {
                    if (-not (Test-IsNumber $e.dur) -or [double]$e.dur -lt 0) { $violations.Add("${at}: a complete slice needs dur >= 0") }
                    else {
                        if (-not $slices.ContainsKey($track)) { $slices[$track] = New-Object System.Collections.Generic.List[object] }
                        $slices[$track].Add([pscustomobject]@{ Begin = [double]$e.ts; End = [double]$e.ts + [double]$e.dur; What = $at })
                    }
                }
                'B' {
                    if (-not $open.ContainsKey($track)) { $open[$track] = New-Object System.Collections.Stack }
                    $open[$track].Push([pscustomobject]@{ Ts = [double]$e.ts; What = $at })
                }
                'E' {
                    if (-not $open.ContainsKey($track) -or $open[$track].Count -eq 0) { $violations.Add("${at}: an E with no open B on track $track") }
                    else {
                        $b = $open[$track].Pop()
                        if ([double]$e.ts -lt $b.Ts) { $violations.Add("${at}: ends before its B") }
                        if (-not $slices.ContainsKey($track)) { $slices[$track] = New-Object System.Collections.Generic.List[object] }
                        $slices[$track].Add([pscustomobject]@{ Begin = $b.Ts; End = [double]$e.ts; What = "$($b.What) to $at" })
                    }
                }
                'C' {
                    $series = @($e.args.PSObject.Properties)
                    if ($series.Count -eq 0) { $violations.Add("${at}: a counter needs args") }
                    foreach ($s in $series) { if (-not (Test-IsNumber $s.Value)) { $violations.Add("${at}: counter series $($s.Name) is not a number") } }
                }
                'M' { if ($null -eq $e.args) { $violations.Add("${at}: metadata without args") } }
            }
        }
        foreach ($track in $open.Keys) { foreach ($b in $open[$track]) { $violations.Add("$($b.What): never ended on track $track") } }
        foreach ($track in $slices.Keys) {
            $enclosing = New-Object System.Collections.Stack
            foreach ($slice in ($slices[$track] | Sort-Object -Property @{ Expression = 'Begin' }, @{ Expression = 'End'; Descending = $true })) {
                while ($enclosing.Count -gt 0 -and $enclosing.Peek().End -le $slice.Begin) { $null = $enclosing.Pop() }
                if ($enclosing.Count -gt 0 -and $enclosing.Peek().End -lt $slice.End) {
                    $violations.Add("track ${track}: $($slice.What) overlaps $($enclosing.Peek().What) without nesting")
                }
                $enclosing.Push($slice)
            }
        }
        , $violations
    }
}

AfterAll {
    Remove-Module PrismQ -Force -ErrorAction SilentlyContinue
    Remove-TestRoot
}

Describe 'Trace Event Format rules (the test helper itself)' {
    It 'finds overlapping slices on one track and accepts nested ones and other tracks' {
        $file = Join-Path $script:TempRoot 'rules.json'
        Set-Content -LiteralPath $file -Value '{"traceEvents":[{"name":"a","ph":"X","ts":10,"dur":100,"pid":1,"tid":1},{"name":"in a","ph":"X","ts":20,"dur":5,"pid":1,"tid":1},{"name":"other","ph":"X","ts":50,"dur":100,"pid":1,"tid":2}]}'
        Test-TraceEventFormat $file | Should -BeNullOrEmpty
        Set-Content -LiteralPath $file -Value '{"traceEvents":[{"name":"a","ph":"X","ts":10,"dur":100,"pid":1,"tid":1},{"name":"b","ph":"X","ts":50,"dur":100,"pid":1,"tid":1},{"name":"c","ph":"X","ts":1,"pid":1,"tid":3},{"name":"d","ph":"B","ts":1,"pid":1,"tid":4}]}'
        $found = Test-TraceEventFormat $file
        $found | Should -HaveCount 3
        ($found -join "`n") | Should -Match 'overlaps'
        ($found -join "`n") | Should -Match 'dur'
        ($found -join "`n") | Should -Match 'never ended'
    }
}

Describe 'Write-PrismQTrace messages' {
    It 'keeps a message written in a succeeding handler and one written outside a task: Get-PrismQTrace and the export show both' {
        $db = New-TestDatabase
        $json = Join-Path $script:TempRoot 'user-events.json'
        $run = Invoke-ChildScript -ImportModule -Arguments $db, $json -Script @'
$db, $json = $args
$ErrorActionPreference = 'Stop'
Add-PrismQTask -Database $db -Type greet -Payload @{ Name = 'Ada' } | Out-Null
Write-PrismQTrace 'deploy 1.4.2 started' -Database $db
$summary = Start-PrismQWorker -Database $db -MaxTasks 1 -Handler @{ greet = { param($Task) Write-PrismQTrace 'downloading' -Data @{ Url = 'https://example.invalid/a.bin' }; "hello $($Task.Payload.Name)" } }
"succeeded: $($summary.Succeeded)"
Export-PrismQTrace -Database $db -Path $json | Out-Null
foreach ($e in Get-PrismQTrace -Database $db -Kind User) { "user: $($e.TaskId) $($e.Message)" }
'@
        $run.Error | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'succeeded: 1'
        $run.Output | Should -Match 'user: 0 deploy 1\.4\.2 started'
        $run.Output | Should -Match 'user: [1-9][0-9]* downloading \{"Url":"https://example\.invalid/a\.bin"\}'

        # Persisted: another process (this one) reads them back from the trace database.
        $events = @(Get-PrismQTrace -Database $db -Kind User)
        $events | Should -HaveCount 2
        $events[0].Message | Should -Be 'deploy 1.4.2 started'
        $events[0].TaskId | Should -Be 0
        $events[1].Message | Should -Be 'downloading {"Url":"https://example.invalid/a.bin"}'
        $task = Get-PrismQTask -Database $db -Id $events[1].TaskId
        $task.Status | Should -Be 'Succeeded'

        # The exported timeline names each user event by its message and carries the whole text.
        Test-TraceEventFormat $json | Should -BeNullOrEmpty
        $users = @((Get-Content -Raw -LiteralPath $json | ConvertFrom-Json).traceEvents | Where-Object { $_.ph -eq 'i' -and $_.cat -eq 'user' })
        $users | Should -HaveCount 2
        $users[0].name | Should -Be 'deploy 1.4.2 started'
        $users[1].name | Should -Be 'downloading {"Url":"https://example.invalid/a.bin"}'
        $users[1].args.message | Should -Be 'downloading {"Url":"https://example.invalid/a.bin"}'
        $users[1].args.task | Should -Be $task.Id
    }
}

Describe 'Export-PrismQTrace of a worker at -Concurrency 4' {
    It 'exports a valid timeline: one slice per attempt (retried and restarted ones too), lanes that never overlap, retry markers and the queue-depth counter' {
        $db = New-TestDatabase
        $json = Join-Path $script:TempRoot 'concurrency-4.json'
        $run = Invoke-ChildScript -ImportModule -TimeoutSeconds 300 -Arguments $db, $json -Script @'
$db, $json = $args
$ErrorActionPreference = 'Stop'
1..40 | ForEach-Object { Add-PrismQTask -Database $db -Type work -Payload @{ n = $_ } } | Out-Null
$flaky = Add-PrismQTask -Database $db -Type flaky -MaxAttempts 2
$once = Add-PrismQTask -Database $db -Type once -MaxAttempts 1
# The first four handlers wait for each other (one process, so the runspaces share this object): attempts overlap for sure.
[AppDomain]::CurrentDomain.SetData('prismq-test-together', (New-Object System.Threading.CountdownEvent 4))
$handlers = @{
    work  = { param($Task)
        $together = [AppDomain]::CurrentDomain.GetData('prismq-test-together')
        if (-not $together.IsSet) { try { $null = $together.Signal() } catch { }; if (-not $together.Wait(60000)) { throw 'the first attempts never ran together' } }
        $Task.Payload.n }
    flaky = { param($Task) if ($Task.Attempts -eq 1) { throw 'flaky fails its first attempt' } }
    once  = { param($Task)
        if (-not [AppDomain]::CurrentDomain.GetData('prismq-test-once')) { [AppDomain]::CurrentDomain.SetData('prismq-test-once', $true); throw 'once fails before its restart' } }
}
$first = Start-PrismQWorker -Database $db -Concurrency 4 -MaxTasks 43 -Handler $handlers
Restart-PrismQTask -Database $db -Id $once.Id
$second = Start-PrismQWorker -Database $db -Concurrency 4 -MaxTasks 1 -Handler $handlers
"first: $($first.Succeeded) succeeded, $($first.Retried) retried, $($first.Failed) failed; second: $($second.Succeeded) succeeded"
"ids: $($flaky.Id) $($once.Id)"
Export-PrismQTrace -Database $db -Path $json | Out-Null
'@
        $run.Error | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'first: 41 succeeded, 1 retried, 1 failed; second: 1 succeeded'
        ($run.Output -match 'ids: (\d+) (\d+)') | Should -BeTrue
        $flakyId = [long]$Matches[1]
        $onceId = [long]$Matches[2]

        Test-TraceEventFormat $json | Should -BeNullOrEmpty

        $events = @((Get-Content -Raw -LiteralPath $json | ConvertFrom-Json).traceEvents)
        $slices = @($events | Where-Object ph -eq 'X')
        $slices | Should -HaveCount 44   # 40 + the flaky task's two attempts + the restarted task's attempt 1, twice
        # The restarted task: a slice for its first run and one for its run after the restart (today both are attempt 1:
        # a restart numbers attempts from 1 again, which is what merged them before).
        @($slices | Where-Object { $_.args.task -eq $onceId } | Sort-Object ts | ForEach-Object { $_.args.outcome }) | Should -Be @('Fail', 'Complete')
        @($slices | Where-Object { $_.args.task -eq $flakyId } | Sort-Object ts | ForEach-Object { "$($_.args.attempt):$($_.args.outcome)" }) |
            Should -Be @('1:Fail', '2:Complete')

        # The overlapping attempts were laid out on several lanes, each named after its worker.
        $names = @{}
        foreach ($m in $events | Where-Object { $_.ph -eq 'M' -and $_.name -eq 'thread_name' }) { $names["$($m.pid)/$($m.tid)"] = $m.args.name }
        $lanes = @($slices | ForEach-Object { "$($_.pid)/$($_.tid)" } | Sort-Object -Unique)
        $lanes.Count | Should -BeGreaterOrEqual 4
        foreach ($lane in $lanes) { $names[$lane] | Should -Match ' #\d+$' }

        @($events | Where-Object { $_.ph -eq 'i' -and $_.name -eq 'RetryScheduled' -and $_.args.task -eq $flakyId }) | Should -HaveCount 1
        @($events | Where-Object { $_.ph -eq 'C' -and $_.name -like 'queue depth*' }).Count | Should -BeGreaterOrEqual 1
    }
}
