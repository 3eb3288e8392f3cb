#Requires -Version 5.1
# Pester 5 tests of the PrismQ module: run with ./build.ps1 -Task Test (after a build), or Invoke-Pester ./tests.
# Every test uses its own temporary database.
# Should -Throw -ErrorId matches the whole FullyQualifiedErrorId with -like, and a binary cmdlet's id is
# '<ErrorId>,<cmdlet class>' (for example 'PrismQ.TaskNotFound,PrismQ.PowerShell.GetPrismQTaskCommand'): so the
# patterns below end in ',*'.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force
}

AfterAll {
    Remove-Module PrismQ -Force -ErrorAction SilentlyContinue
    Remove-TestRoot
}

Describe 'The module' {
    It 'exports exactly the PrismQ cmdlets' {
        $expected = @('Add-PrismQTask', 'Backup-PrismQDatabase', 'Export-PrismQTrace', 'Get-PrismQQueue', 'Get-PrismQTask', 'Get-PrismQTrace',
            'Get-PrismQWorker', 'Initialize-PrismQDatabase', 'Invoke-PrismQMaintenance', 'Remove-PrismQTask', 'Restart-PrismQTask',
            'Resume-PrismQQueue', 'Set-PrismQTaskProgress', 'Start-PrismQWorker', 'Stop-PrismQTask', 'Suspend-PrismQQueue',
            'Wait-PrismQTask', 'Write-PrismQTrace')
        $actual = (Get-Command -Module PrismQ | Sort-Object Name).Name
        $actual | Should -Be ($expected | Sort-Object)
        (Test-ModuleManifest -Path $script:Manifest).ExportedCmdlets.Count | Should -Be 18
    }

    It 'has no state-changing cmdlet that would prompt under the default ConfirmPreference' {
        foreach ($command in Get-Command -Module PrismQ) {
            $attribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
            if ($attribute.SupportsShouldProcess) { $attribute.ConfirmImpact | Should -Not -Be 'High' }
        }
    }

    It 'creates the database with Initialize-PrismQDatabase' {
        $db = New-TestDatabase
        $info = Initialize-PrismQDatabase -Database $db -Durability Full
        $info.PSObject.TypeNames[0] | Should -Be 'PrismQ.DatabaseInfo'
        $info.Created | Should -BeTrue
        $info.Durability | Should -Be 'Full'
        Test-Path $db | Should -BeTrue
    }

    It 'uses PRISMQ_QUEUE_DB_PATH when -Database is omitted' {
        $db = New-TestDatabase
        $saved = $env:PRISMQ_QUEUE_DB_PATH
        try {
            $env:PRISMQ_QUEUE_DB_PATH = $db
            Add-PrismQTask -Type env | Out-Null
            (Get-PrismQTask -Database $db -Type env | Measure-Object).Count | Should -Be 1
        }
        finally {
            $env:PRISMQ_QUEUE_DB_PATH = $saved
        }
    }
}

Describe 'Adding and getting tasks' {
    BeforeEach { $db = New-TestDatabase }

    It 'adds one task per pipeline object, in batches' {
        $added = 1..2500 | Add-PrismQTask -Database $db -Type t
        $added | Should -HaveCount 2500
        $added[0].PSObject.TypeNames[0] | Should -Be 'PrismQ.TaskInfo'
        $added[2499].Payload | Should -Be 2500
        (Get-PrismQTask -Database $db -Status Queued | Measure-Object).Count | Should -Be 2500
    }

    It 'round-trips hashtables, PSCustomObjects, arrays and nesting' {
        $payload = @{ Name = 'build'; Count = 3; Tags = @('a', 'b'); Inner = [pscustomobject]@{ Ok = $true; Ratio = 0.5 } }
        $task = Add-PrismQTask -Database $db -Type nested -Payload $payload
        $back = (Get-PrismQTask -Database $db -Id $task.Id).Payload
        $back.Name | Should -Be 'build'
        $back.Count | Should -Be 3
        $back.Tags | Should -Be @('a', 'b')
        $back.Inner.Ok | Should -BeTrue
        $back.Inner.Ratio | Should -Be 0.5
    }

    It 'takes other objects by their properties' {
        $task = [version]'1.2.3.4' | Add-PrismQTask -Database $db -Type version
        $task.Payload.Major | Should -Be 1
        $task.Payload.Revision | Should -Be 4
        $task.PayloadJson | Should -Match '"Minor":2'
    }

    It 'sets queue, priority, delay, attempts and idempotency key' {
        $first = Add-PrismQTask -Database $db -Type t -Queue q1 -Priority 7 -Delay (New-TimeSpan -Hours 1) -MaxAttempts 2 -IdempotencyKey k1
        $again = Add-PrismQTask -Database $db -Type t -Queue q1 -IdempotencyKey k1
        $again.Id | Should -Be $first.Id
        $first.Queue | Should -Be 'q1'
        $first.Priority | Should -Be 7
        $first.MaxAttempts | Should -Be 2
        $first.NotBefore | Should -BeGreaterThan (Get-Date).AddMinutes(50)
    }

    It 'reports a bad payload for that item only, with its error id and category' {
        $added = @(1, [double]::NaN, 3) | Add-PrismQTask -Database $db -Type t -ErrorVariable problems -ErrorAction SilentlyContinue
        $added | Should -HaveCount 2
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.InvalidPayload*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'stops on a bad parameter with a terminating error' {
        { Add-PrismQTask -Database $db -Type ('x' * 300) -ErrorAction Stop } | Should -Throw -ErrorId 'PrismQ.InvalidTaskType,*'
    }

    It 'stops on a file that is not a database' {
        Set-Content -Path $db -Value ('not a database ' * 20)
        { Get-PrismQTask -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'PrismQ.NotADatabase,*'
    }

    It 'reports an unknown id as a non-terminating TaskNotFound' {
        $found = Get-PrismQTask -Database $db -Id 424242 -ErrorVariable problems -ErrorAction SilentlyContinue
        $found | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.TaskNotFound*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'filters by queue, type and status, and honours -First' {
        1..5 | Add-PrismQTask -Database $db -Type a -Queue q | Out-Null
        1..3 | Add-PrismQTask -Database $db -Type b -Queue q | Out-Null
        (Get-PrismQTask -Database $db -Queue q -Type b | Measure-Object).Count | Should -Be 3
        (Get-PrismQTask -Database $db -First 4 | Measure-Object).Count | Should -Be 4
        (Get-PrismQTask -Database $db -Status Running | Measure-Object).Count | Should -Be 0
    }

    It 'completes -Queue and -Type from the database' {
        Add-PrismQTask -Database $db -Type resize-image -Queue images | Out-Null
        $line = "Get-PrismQTask -Database '$db' -Queue im"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'images'
        $line = "Add-PrismQTask -Database '$db' -Type res"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'resize-image'
    }

    It 'formats tasks with the PrismQ table view' {
        Add-PrismQTask -Database $db -Type fmt | Out-Null
        $text = Get-PrismQTask -Database $db | Format-Table | Out-String
        $text | Should -Match 'Attempts'
        $text | Should -Match 'fmt'
    }
}

Describe 'Payloads and pipelines' {
    BeforeEach { $db = New-TestDatabase }

    It 'reads every JSON shape back as the same PowerShell values' {
        $payload = [ordered]@{
            int = 42; negative = -7; long = 9007199254740993; double = 0.1; huge = 1e300
            yes = $true; no = $false; none = $null
            date = [datetime]::SpecifyKind([datetime]'2026-01-02 03:04:05', 'Utc')
            text = 'Zoë 日本 😀 "quoted" <tag> & \ back'
            empty = @{}; emptyList = @(); single = @(5)
            nested = @{ a = @{ b = @(1, @(2, 3), @{ c = 'd' }) } }
        }
        $task = Add-PrismQTask -Database $db -Type shapes -Payload $payload
        $back = (Get-PrismQTask -Database $db -Id $task.Id).Payload

        $back | Should -BeOfType [System.Management.Automation.PSCustomObject]
        $back.PSObject.Properties.Name | Should -Be @($payload.Keys)
        $back.int | Should -BeOfType [int]
        $back.int | Should -Be 42
        $back.negative | Should -Be -7
        $back.long | Should -BeOfType [long]
        $back.long | Should -Be 9007199254740993
        $back.double | Should -BeOfType [double]
        $back.double | Should -Be 0.1
        $back.huge | Should -Be 1e300
        $back.yes | Should -BeOfType [bool]
        $back.yes | Should -BeTrue
        $back.no | Should -BeOfType [bool]
        $back.no | Should -BeFalse
        $back.none | Should -BeNullOrEmpty
        $back.date | Should -BeOfType [string]
        $back.date | Should -Be '2026-01-02T03:04:05.0000000Z'
        $back.text | Should -BeExactly $payload.text
        $back.empty | Should -BeOfType [System.Management.Automation.PSCustomObject]
        @($back.empty.PSObject.Properties) | Should -HaveCount 0
        $back.emptyList.GetType() | Should -Be ([object[]])
        $back.emptyList.Count | Should -Be 0
        $back.single.GetType() | Should -Be ([object[]])
        $back.single[0] | Should -Be 5
        $back.nested.a.b[0] | Should -Be 1
        $back.nested.a.b[1] | Should -Be @(2, 3)
        $back.nested.a.b[2].c | Should -Be 'd'
        $task.Payload.nested.a.b[2].c | Should -Be 'd'
    }

    It 'keeps the last value of two keys that differ only in case' {
        $payload = [System.Collections.Generic.Dictionary[string, object]]::new()
        $payload['a'] = 1
        $payload['A'] = 2
        $task = Add-PrismQTask -Database $db -Type cases -Payload $payload
        $task.PayloadJson | Should -Be '{"a":1,"A":2}'
        $back = (Get-PrismQTask -Database $db -Id $task.Id).Payload
        @($back.PSObject.Properties) | Should -HaveCount 1
        $back.a | Should -Be 2
    }

    It 'reads the payload once, when first used, and keeps a payload set by hand' {
        $task = Add-PrismQTask -Database $db -Type t -Payload @{ n = 1 }
        [object]::ReferenceEquals($task.Payload, $task.Payload) | Should -BeTrue
        $task.Result | Should -BeNullOrEmpty
        $task.Payload = 'replaced'
        $task.Payload | Should -Be 'replaced'
    }

    It 'outputs each task as written, as Get-PrismQTask reads it back' {
        $added = 1..1500 | ForEach-Object { @{ n = $_; name = "task $_" } } | Add-PrismQTask -Database $db -Type t -Queue q -Priority 2 -MaxAttempts 3
        $added | Should -HaveCount 1500
        $byId = @{}
        Get-PrismQTask -Database $db | ForEach-Object { $byId[$_.Id] = $_ }
        $byId.Count | Should -Be 1500
        $mismatches = foreach ($task in $added) {
            $stored = $byId[$task.Id]
            foreach ($name in 'Queue', 'Type', 'Status', 'Priority', 'Attempts', 'MaxAttempts', 'PayloadJson', 'NotBefore', 'CreatedAt', 'IdempotencyKey', 'Timeout') {
                if ($task.$name -ne $stored.$name) { "$($task.Id).$name" }
            }
        }
        $mismatches | Should -BeNullOrEmpty
        @($added.Id) | Should -Be @($added.Id | Sort-Object)
        @($added.Status | Select-Object -Unique) | Should -Be @('Queued')
        $added[1499].Payload.n | Should -Be 1500
        $added[1499].Payload.name | Should -Be 'task 1500'
    }

    It 'refuses a bad payload in the middle of a batch on its own and writes the rest once' {
        $items = 1..1500 | ForEach-Object { if ($_ -eq 700) { [double]::NaN } else { $_ } }
        $added = $items | Add-PrismQTask -Database $db -Type t -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.InvalidPayload*'
        $problems[0].Exception.Message | Should -Match 'NaN'
        $added | Should -HaveCount 1499
        $added.Payload | Should -Not -Contain 700
        $tasks = @(Get-PrismQTask -Database $db)
        $tasks | Should -HaveCount 1499
        @($tasks.Payload | Sort-Object) | Should -Be @(1..1500 | Where-Object { $_ -ne 700 })
    }

    It 'writes nothing of a batch the database refuses' {
        { 1..1500 | Add-PrismQTask -Database $db -Type ('x' * 300) -ErrorAction Stop } | Should -Throw -ErrorId 'PrismQ.InvalidTaskType,*'
        @(Get-PrismQTask -Database $db) | Should -HaveCount 0
    }

    It 'streams Get-PrismQTask: each task is written as its page is read' {
        1..2500 | Add-PrismQTask -Database $db -Type t | Out-Null
        $seen = 0
        Get-PrismQTask -Database $db | ForEach-Object {
            # Added after the first task was written: only a reader that has not read every page yet can see it.
            if ($seen -eq 0) { Add-PrismQTask -Database $db -Type late | Out-Null }
            $seen++
        }
        $seen | Should -Be 2501
    }
}

Describe 'Changing tasks and queues' {
    BeforeEach { $db = New-TestDatabase }

    It 'cancels queued tasks from the pipeline, and -WhatIf changes nothing' {
        1..3 | Add-PrismQTask -Database $db -Type t | Out-Null
        Get-PrismQTask -Database $db | Stop-PrismQTask -Database $db -WhatIf
        (Get-PrismQTask -Database $db -Status Queued | Measure-Object).Count | Should -Be 3
        Get-PrismQTask -Database $db | Stop-PrismQTask -Database $db
        (Get-PrismQTask -Database $db -Status Cancelled | Measure-Object).Count | Should -Be 3
    }

    It 'restarts failed tasks from the pipeline' {
        1..3 | Add-PrismQTask -Database $db -Type boom -MaxAttempts 1 | Out-Null
        Start-PrismQWorker -Database $db -Handler { throw 'always fails' } -MaxTasks 3 | Out-Null
        $failed = Get-PrismQTask -Database $db -Status Failed
        $failed | Should -HaveCount 3
        $failed[0].Error | Should -Be 'always fails'
        $restarted = Get-PrismQTask -Database $db -Status Failed | Restart-PrismQTask -Database $db -PassThru
        $restarted | Should -HaveCount 3
        ($restarted | Where-Object Status -eq 'Queued') | Should -HaveCount 3
    }

    It 'refuses to restart a queued task with InvalidTaskState' {
        $task = Add-PrismQTask -Database $db -Type t
        Restart-PrismQTask -Database $db -Id $task.Id -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.InvalidTaskState*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'removes tasks by id and by status and age' {
        $tasks = 1..4 | Add-PrismQTask -Database $db -Type t
        # -OlderThan 0 removes tasks created before now, at the store's millisecond resolution: wait until the clock
        # has passed the newest task's creation (Windows PowerShell's clock may tick only every 15.6 ms).
        $created = $tasks[3].CreatedAt
        $deadline = (Get-Date).AddSeconds(10)
        while ((Get-Date) -le $created.AddMilliseconds(2) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 5 }
        $tasks[0] | Remove-PrismQTask -Database $db
        (Get-PrismQTask -Database $db | Measure-Object).Count | Should -Be 3
        Remove-PrismQTask -Database $db -Status Queued -OlderThan ([TimeSpan]::Zero) -WhatIf
        (Get-PrismQTask -Database $db | Measure-Object).Count | Should -Be 3
        Remove-PrismQTask -Database $db -Status Queued -OlderThan ([TimeSpan]::Zero) -Confirm:$false
        (Get-PrismQTask -Database $db | Measure-Object).Count | Should -Be 0
    }

    It 'pauses and resumes a queue' {
        Add-PrismQTask -Database $db -Type t -Queue mail | Out-Null
        Suspend-PrismQQueue -Database $db -Name mail -WhatIf
        (Get-PrismQQueue -Database $db -Name mail).Paused | Should -BeFalse
        (Suspend-PrismQQueue -Database $db -Name mail -PassThru).Paused | Should -BeTrue
        $summary = Start-PrismQWorker -Database $db -Queue mail -Handler { 'x' } -IdleTimeout (New-TimeSpan -Milliseconds 500)
        $summary.Processed | Should -Be 0
        Get-PrismQQueue -Database $db -Name mail | Resume-PrismQQueue -Database $db
        $queue = Get-PrismQQueue -Database $db -Name mail
        $queue.PSObject.TypeNames[0] | Should -Be 'PrismQ.QueueInfo'
        $queue.Paused | Should -BeFalse
        $queue.Queued | Should -Be 1
    }

    It 'reports an unknown queue as QueueNotFound' {
        Get-PrismQQueue -Database $db -Name nowhere -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.QueueNotFound*'
    }

    It 'waits for tasks and reports the ones still running at the timeout' {
        $task = Add-PrismQTask -Database $db -Type t
        $task | Wait-PrismQTask -Database $db -Timeout (New-TimeSpan -Milliseconds 200) -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.Timeout*'
        $problems[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }
}

Describe 'Start-PrismQWorker' {
    BeforeEach { $db = New-TestDatabase }

    It 'runs handlers per type in a runspace of their own, giving the task as $_, $args[0] and param($Task), and session values through $using:' {
        $sessionValue = 'from-session'
        Add-PrismQTask -Database $db -Type dollar -Payload 2 | Out-Null
        Add-PrismQTask -Database $db -Type args -Payload 3 | Out-Null
        Add-PrismQTask -Database $db -Type param -Payload 4 | Out-Null
        Add-PrismQTask -Database $db -Type session | Out-Null
        $output = Start-PrismQWorker -Database $db -MaxTasks 4 -PassThru -Handler @{
            'dollar'  = { $_.Payload * 10 }
            'args'    = { $args[0].Payload * 10 }
            'param'   = { param($Task) $Task.Payload * 10 }
            'session' = { "$using:sessionValue/$sessionValue/$([runspace]::DefaultRunspace.InstanceId)" }
        }
        $summary = $output | Where-Object { $_.PSObject.TypeNames[0] -eq 'PrismQ.WorkerRunSummary' }
        $summary.Succeeded | Should -Be 4
        $summary.StopReason | Should -Be 'MaxTasks'
        ($output | Where-Object { $_.PSObject.TypeNames[0] -eq 'PrismQ.TaskInfo' }) | Should -HaveCount 4
        (Get-PrismQTask -Database $db -Type dollar).Result | Should -Be 20
        (Get-PrismQTask -Database $db -Type args).Result | Should -Be 30
        (Get-PrismQTask -Database $db -Type param).Result | Should -Be 40
        # $using: brings the value in; the plain variable is the caller's, which the handler's runspace does not have.
        $using, $plain, $runspace = (Get-PrismQTask -Database $db -Type session).Result.Split('/')
        $using | Should -Be 'from-session'
        $plain | Should -BeNullOrEmpty
        $runspace | Should -Not -Be ([runspace]::DefaultRunspace.InstanceId.ToString())
    }

    It 'fails the attempt with the thrown message, and a type without a handler with NoHandler' {
        Add-PrismQTask -Database $db -Type bad -MaxAttempts 1 | Out-Null
        Add-PrismQTask -Database $db -Type other -MaxAttempts 1 | Out-Null
        $summary = Start-PrismQWorker -Database $db -MaxTasks 2 -Handler @{ 'bad' = { throw 'it broke' } }
        $summary.Failed | Should -Be 2
        (Get-PrismQTask -Database $db -Type bad).Error | Should -Be 'it broke'
        (Get-PrismQTask -Database $db -Type other).Error | Should -Match "No handler for type 'other'"
    }

    It 'reports progress from inside a handler, and refuses it outside' {
        Add-PrismQTask -Database $db -Type p | Out-Null
        Start-PrismQWorker -Database $db -MaxTasks 1 -Handler { Set-PrismQTaskProgress -Percent 100 -Message 'all done' } | Out-Null
        $task = Get-PrismQTask -Database $db -Type p
        $task.Progress | Should -Be 100
        $task.ProgressMessage | Should -Be 'all done'
        Set-PrismQTaskProgress -Percent 5 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.InvalidTaskState*'
    }

    It 'runs handlers in runspaces of their own at concurrency 4, compiled from their text' {
        1..20 | Where-Object { $_ -ne 13 } | Add-PrismQTask -Database $db -Type pool | Out-Null
        Add-PrismQTask -Database $db -Type pool -Payload 13 -MaxAttempts 1 | Out-Null
        $summary = Start-PrismQWorker -Database $db -Concurrency 4 -MaxTasks 20 -Handler {
            param($Task)
            Set-PrismQTaskProgress -Percent 50
            Start-Sleep -Milliseconds 50
            if ($Task.Payload -eq 13) { throw 'unlucky' }
            @{ Square = $Task.Payload * $Task.Payload; Runspace = [runspace]::DefaultRunspace.InstanceId.ToString() }
        }
        $summary.Succeeded | Should -Be 19
        $results = Get-PrismQTask -Database $db -Status Succeeded
        ($results | Where-Object { $_.Payload -eq 7 }).Result.Square | Should -Be 49
        ($results.Result.Runspace | Sort-Object -Unique).Count | Should -BeGreaterThan 1
        ($results.Result.Runspace -contains [runspace]::DefaultRunspace.InstanceId.ToString()) | Should -BeFalse
        $unlucky = Get-PrismQTask -Database $db | Where-Object { $_.Payload -eq 13 }
        $unlucky.Error | Should -Be 'unlucky'
        $unlucky.Status | Should -Be 'Failed'
    }

    It 'runs in a second PowerShell process and Wait-PrismQTask sees the results' {
        $tasks = 1..5 | Add-PrismQTask -Database $db -Type remote
        $command = "Import-Module '$($script:Manifest)'; Start-PrismQWorker -Database '$db' -Handler { param(`$Task) 'child ' + `$PID } -MaxTasks 5 | Out-Null"
        $child = Start-ChildPowerShell $command
        try {
            $done = $tasks | Wait-PrismQTask -Database $db -Timeout (New-TimeSpan -Minutes 2)
            $done | Should -HaveCount 5
            ($done | Where-Object Status -eq 'Succeeded') | Should -HaveCount 5
            $done[0].Result | Should -Be ('child ' + $child.Id)
        }
        finally {
            if (-not $child.WaitForExit(60000)) { $child.Kill() }
        }
        $child.ExitCode | Should -Be 0
    }

    It 'lists a running worker of another process with Get-PrismQWorker' {
        $command = "Import-Module '$($script:Manifest)'; Start-PrismQWorker -Database '$db' -Handler { } -WorkerId pester-worker -IdleTimeout (New-TimeSpan -Minutes 1) | Out-Null"
        $child = Start-ChildPowerShell $command
        try {
            $deadline = (Get-Date).AddMinutes(1)
            $worker = $null
            while ($null -eq $worker -and (Get-Date) -lt $deadline) {
                $worker = Get-PrismQWorker -Database $db | Where-Object Id -eq 'pester-worker'
                if ($null -eq $worker) { Start-Sleep -Milliseconds 200 }
            }
            $worker | Should -Not -BeNullOrEmpty
            $worker.PSObject.TypeNames[0] | Should -Be 'PrismQ.WorkerInfo'
            $worker.ProcessId | Should -Be $child.Id
            $worker.State | Should -Be 'Alive'
        }
        finally {
            if (-not $child.HasExited) { $child.Kill() }
            [void]$child.WaitForExit(10000)
        }
    }

    It 'supports -WhatIf without running anything' {
        Add-PrismQTask -Database $db -Type t | Out-Null
        Start-PrismQWorker -Database $db -Handler { 'x' } -MaxTasks 1 -WhatIf | Should -BeNullOrEmpty
        (Get-PrismQTask -Database $db -Status Queued | Measure-Object).Count | Should -Be 1
    }
}

Describe 'Traces, maintenance and backup' {
    BeforeEach { $db = New-TestDatabase }

    It 'queries the trace of a task and exports a Chrome timeline' {
        $task = Add-PrismQTask -Database $db -Type traced -MaxAttempts 1
        Start-PrismQWorker -Database $db -MaxTasks 1 -Handler { Write-PrismQTrace 'step one' -Data @{ n = 1 }; throw 'fail to keep the detail' } | Out-Null
        $events = $task | Get-PrismQTrace -Database $db -IncludeDetail
        $events | Should -Not -BeNullOrEmpty
        $events[0].PSObject.TypeNames[0] | Should -Be 'PrismQ.TraceEvent'
        ($events | Where-Object Kind -eq 'Fail') | Should -Not -BeNullOrEmpty
        ($events | Where-Object Kind -eq 'User').Message | Should -Match 'step one'
        (Get-PrismQTrace -Database $db -Kind Enqueue -First 1) | Should -HaveCount 1
        { Get-PrismQTrace -Database $db -Kind NotAKind -ErrorAction Stop } | Should -Throw -ErrorId 'PrismQ.InvalidArgument,*'

        $file = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '.json')
        $written = Export-PrismQTrace -Database $db -Path $file
        $written.FullName | Should -Be $file
        (Get-Content -Path $file -Raw | ConvertFrom-Json).traceEvents.Count | Should -BeGreaterThan 0
    }

    It 'runs maintenance steps and reports them' {
        1..3 | Add-PrismQTask -Database $db -Type m | Out-Null
        Start-PrismQWorker -Database $db -MaxTasks 3 -Handler { 'ok' } | Out-Null
        Invoke-PrismQMaintenance -Database $db -IntegrityCheck -WhatIf | Should -BeNullOrEmpty
        $report = Invoke-PrismQMaintenance -Database $db -PruneFinishedOlderThan ([TimeSpan]::Zero) -Checkpoint -Optimize -IntegrityCheck
        $report.PSObject.TypeNames[0] | Should -Be 'PrismQ.MaintenanceReport'
        $report.IntegrityOk | Should -BeTrue
        $report.Optimized | Should -BeTrue
        $report.Pruned | Should -BeGreaterOrEqual 0
    }

    It 'backs up the database to a file, and refuses to overwrite without -Force' {
        Add-PrismQTask -Database $db -Type b | Out-Null
        $backup = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '-backup.db')
        (Backup-PrismQDatabase -Database $db -Destination $backup).FullName | Should -Be $backup
        { Backup-PrismQDatabase -Database $db -Destination $backup -ErrorAction Stop } | Should -Throw -ErrorId 'PrismQ.InvalidArgument,*'
        Backup-PrismQDatabase -Database $db -Destination $backup -Force | Should -Not -BeNullOrEmpty
        (Get-PrismQTask -Database $backup -Type b | Measure-Object).Count | Should -Be 1
    }
}
