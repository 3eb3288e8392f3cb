# The default views of module/PrismQ.Format.ps1xml, rendered from real objects of a real database at 80 and 120
# columns: every header whole on one line, no line wider than the console, the columns users need present, and
# Format-List * showing every property. Also: Get-PrismQTrace leaves the internal window records out by default.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force

    # Names of 24 and 25 characters: at 120 columns they must show in full.
    $script:LongQueue = 'customer-notifications-eu'
    $script:LongType = 'send-welcome-email-retry'
    $script:LongError = 'The remote server returned an error: (503) Server Unavailable. Retry after the maintenance window ends.'

    # The views as the format file declares them: type name -> control (Table or List) and labels in order.
    [xml] $format = Get-Content -Raw -LiteralPath (Join-Path (Split-Path -Parent $script:Manifest) 'module/PrismQ.Format.ps1xml')
    $script:Views = @{}
    foreach ($view in $format.Configuration.ViewDefinitions.View) {
        $typeName = $view.ViewSelectedBy.TypeName
        if ($view.TableControl) {
            $labels = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object { $_.Label })
            $script:Views[$typeName] = [pscustomobject]@{ Control = 'Table'; Labels = $labels }
        }
        else {
            $labels = @($view.ListControl.ListEntries.ListEntry.ListItems.ListItem | ForEach-Object { if ($_.Label) { $_.Label } else { $_.PropertyName } })
            $script:Views[$typeName] = [pscustomobject]@{ Control = 'List'; Labels = $labels }
        }
    }

    # One database holding every kind of object: long names, a failure with a long message, a paused queue with a
    # waiting task, a worker seen while it runs, its run summary, trace events, database info and a maintenance report.
    $script:Db = New-TestDatabase
    Add-PrismQTask -Database $script:Db -Type $script:LongType -Queue $script:LongQueue -Payload @{ To = 'ada@example.com' } | Out-Null
    Add-PrismQTask -Database $script:Db -Type 'boom' -Queue $script:LongQueue -MaxAttempts 1 | Out-Null
    Add-PrismQTask -Database $script:Db -Type 'look' -Queue 'default' | Out-Null
    Add-PrismQTask -Database $script:Db -Type 'later' -Queue 'held' | Out-Null
    Suspend-PrismQQueue -Database $script:Db -Name 'held'
    # Handlers run in runspaces of their own: values come in through $using:, the workers seen go out through a list.
    $seen = [System.Collections.Generic.List[object]]::new()
    $longError = $script:LongError
    $db = $script:Db
    $handlers = @{
        $script:LongType = { 'sent' }
        'boom'           = { throw $using:longError }
        # The worker as Get-PrismQWorker shows it while it runs this task.
        'look'           = { ($using:seen).AddRange(@(Get-PrismQWorker -Database $using:db)) }
    }
    $script:Summary = Start-PrismQWorker -Database $script:Db -Queue $script:LongQueue, 'default' -Handler $handlers -MaxTasks 3
    $script:Workers = @($seen)
    $script:Objects = [ordered]@{
        'PrismQ.TaskInfo'          = @(Get-PrismQTask -Database $script:Db)
        'PrismQ.QueueInfo'         = @(Get-PrismQQueue -Database $script:Db)
        'PrismQ.WorkerInfo'        = $script:Workers
        'PrismQ.WorkerRunSummary'  = @($script:Summary)
        'PrismQ.TraceEvent'        = @(Get-PrismQTrace -Database $script:Db)
        'PrismQ.DatabaseInfo'      = @(Initialize-PrismQDatabase -Database $script:Db)
        'PrismQ.MaintenanceReport' = @(Invoke-PrismQMaintenance -Database $script:Db -Checkpoint -Optimize -IntegrityCheck)
    }

    # The rendered lines of objects through their default view, at a console width.
    function Get-RenderedLine([object[]] $InputObject, [int] $Width) {
        @($InputObject | Out-String -Width $Width) -split '\r?\n' | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ -ne '' }
    }

    # The header line of a table: every label whole, in order, separated by blanks only.
    function Get-HeaderPattern([string[]] $Labels) {
        '^\s*' + (($Labels | ForEach-Object { [regex]::Escape($_) }) -join '\s+') + '$'
    }
}

AfterAll {
    Remove-Module PrismQ -Force -ErrorAction SilentlyContinue
    Remove-TestRoot
}

Describe 'Default views at 80 and 120 columns' {
    It 'has a view for every PrismQ output type, and real objects of each from the database' {
        $script:Views.Keys | Sort-Object | Should -Be @($script:Objects.Keys | Sort-Object)
        foreach ($typeName in $script:Objects.Keys) {
            $objects = $script:Objects[$typeName]
            $objects.Count | Should -BeGreaterThan 0 -Because "the scenario produces $typeName objects"
            $objects[0].PSObject.TypeNames[0] | Should -Be $typeName
        }
    }

    It 'renders <TypeName> at <Width> columns with every header whole and no line wider than the console' -ForEach @(
        foreach ($typeName in 'PrismQ.TaskInfo', 'PrismQ.QueueInfo', 'PrismQ.WorkerInfo', 'PrismQ.WorkerRunSummary', 'PrismQ.TraceEvent', 'PrismQ.DatabaseInfo', 'PrismQ.MaintenanceReport') {
            foreach ($width in 80, 120) { @{ TypeName = $typeName; Width = $width } }
        }
    ) {
        $view = $script:Views[$TypeName]
        $lines = @(Get-RenderedLine $script:Objects[$TypeName] $Width)
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual $Width -Because "'$line' must fit $Width columns" }
        if ($view.Control -eq 'Table') {
            $headers = @($lines | Where-Object { $_ -match (Get-HeaderPattern $view.Labels) })
            $headers | Should -HaveCount 1 -Because "the header line of $TypeName holds $($view.Labels -join ', ') whole:`n$($lines -join "`n")"
            $next = $lines[[array]::IndexOf($lines, $headers[0]) + 1]
            $next | Should -Match '^[\s-]+$' -Because 'the underline follows the header at once (no header broken across lines)'
            @($next.Trim() -split '\s+') | Should -HaveCount $view.Labels.Count -Because 'each header has its underline'
            # The header, its underline, and one line per object: no row dropped, none wrapped onto a second line.
            $lines.Count | Should -Be ($script:Objects[$TypeName].Count + 2)
        }
        else {
            foreach ($label in $view.Labels) {
                @($lines | Where-Object { $_ -match ('^' + [regex]::Escape($label) + '\s*:') }) | Should -HaveCount $script:Objects[$TypeName].Count -Because "the list shows $label"
            }
        }
    }

    It 'shows the task columns Error, CreatedAt and Status at 80 columns' {
        $lines = @(Get-RenderedLine $script:Objects['PrismQ.TaskInfo'] 80)
        $lines[0] | Should -Match '\bCreatedAt\b'
        $lines[0] | Should -Match '\bError\s*$'
        $failed = @($lines | Where-Object { $_ -match '\bboom\b' })
        $failed | Should -HaveCount 1
        $failed[0] | Should -Match 'Failed'
        $failed[0] | Should -Match 'The remote'
        $failed[0] | Should -Match '\b\d{4}-\d\d-\d\d \d\d:\d\d\b'
    }

    It 'shows queue and type names of up to 25 characters in full at 120 columns' {
        $tasks = (Get-RenderedLine $script:Objects['PrismQ.TaskInfo'] 120) -join "`n"
        $tasks | Should -Match ([regex]::Escape($script:LongQueue) + '\s+' + [regex]::Escape($script:LongType) + '\s')
        $queues = (Get-RenderedLine $script:Objects['PrismQ.QueueInfo'] 120) -join "`n"
        $queues | Should -Match ([regex]::Escape($script:LongQueue))
    }

    It 'shows Paused and the waiting age of every queue at 80 columns' {
        $lines = @(Get-RenderedLine $script:Objects['PrismQ.QueueInfo'] 80)
        $lines[0] | Should -Match '\bPaused\b'
        $held = @($lines | Where-Object { $_ -match '\bheld$' })
        $held | Should -HaveCount 1
        $held[0] | Should -Match '\bTrue\b'
        $held[0] | Should -Match '\s(\d+s|\d+m\d\ds|\d+h\d\dm|\d+d\d\dh)\s' -Because 'the oldest ready task of the paused queue has an age (45s, 3m12s, 2h05m, 3d04h)'
    }

    It 'shows the worker it saw running, with its process and current task' {
        $lines = @(Get-RenderedLine $script:Objects['PrismQ.WorkerInfo'] 80)
        $worker = $script:Objects['PrismQ.WorkerInfo'][0]
        $row = @($lines | Where-Object { $_ -match "\b$($worker.ProcessId)\b" })
        $row | Should -HaveCount 1
        $row[0] | Should -Match '^Alive\b'
        (Get-RenderedLine $script:Objects['PrismQ.WorkerInfo'] 120) -join "`n" | Should -Match ([regex]::Escape($worker.Id))
    }

    It 'shows every count of the run summary, Released included' {
        $text = (Get-RenderedLine $script:Objects['PrismQ.WorkerRunSummary'] 80) -join "`n"
        foreach ($name in 'Processed', 'Succeeded', 'Failed', 'Retried', 'Cancelled', 'Released', 'LeasesLost', 'TimedOut', 'StopReason', 'RunTime') {
            $text | Should -Match ('(?m)^' + $name + '\s*: \S')
        }
        $text | Should -Match '(?m)^Processed\s*: 3$'
        $text | Should -Match '(?m)^Failed\s*: 1$'
    }

    It 'shows the trace Value with its unit' {
        $lines = @(Get-RenderedLine $script:Objects['PrismQ.TraceEvent'] 120)
        $completes = @($lines | Where-Object { $_ -match '\sComplete\s' })
        $completes.Count | Should -BeGreaterThan 0
        foreach ($line in $completes) { $line | Should -Match '\s\d+(\.\d+)? (us|ms|s|min)\s' }
        @($lines | Where-Object { $_ -match '\sEnqueue\s' })[0] | Should -Match '\s1 task(\s|$)'
    }

    It 'shows every property of a report (<TypeName>) in its default list' -ForEach @(
        @{ TypeName = 'PrismQ.WorkerRunSummary' }, @{ TypeName = 'PrismQ.DatabaseInfo' }, @{ TypeName = 'PrismQ.MaintenanceReport' }
    ) {
        # A property added to a report must be added to its list view too, or the default output loses it.
        $script:Views[$TypeName].Control | Should -Be 'List'
        $names = @($script:Objects[$TypeName][0].PSObject.Properties | Where-Object MemberType -eq 'Property' | ForEach-Object Name)
        @($script:Views[$TypeName].Labels | Sort-Object) | Should -Be @($names | Sort-Object)
    }

    It 'shows every property of <TypeName> with Format-List *' -ForEach @(
        foreach ($typeName in 'PrismQ.TaskInfo', 'PrismQ.QueueInfo', 'PrismQ.WorkerInfo', 'PrismQ.WorkerRunSummary', 'PrismQ.TraceEvent', 'PrismQ.DatabaseInfo', 'PrismQ.MaintenanceReport') {
            @{ TypeName = $typeName }
        }
    ) {
        $object = $script:Objects[$TypeName][0]
        $text = ($object | Format-List * | Out-String -Width 120)
        $names = @($object.PSObject.Properties | Where-Object MemberType -eq 'Property' | ForEach-Object Name)
        $names.Count | Should -BeGreaterThan 3
        foreach ($name in $names) { $text | Should -Match ('(?m)^' + $name + '\s*:') -Because "Format-List * shows $name" }
    }
}

Describe 'Get-PrismQTrace default output' {
    It 'leaves the internal WindowMarked records out unless -Kind asks for them' {
        $marked = @(Get-PrismQTrace -Database $script:Db -Kind WindowMarked)
        $marked.Count | Should -BeGreaterThan 0 -Because 'the failed attempt marked its window'
        @($script:Objects['PrismQ.TraceEvent'] | Where-Object { $_.Kind -like 'Window*' }) | Should -BeNullOrEmpty
        @(Get-PrismQTrace -Database $script:Db -TaskId $marked[0].TaskId | Where-Object { $_.Kind -like 'Window*' }) | Should -BeNullOrEmpty
        @(Get-PrismQTrace -Database $script:Db -TaskId $marked[0].TaskId -Kind Fail, WindowMarked).Kind | Should -Contain 'WindowMarked'
    }
}

Describe 'Default formatting in a script run by a non-interactive PowerShell' {
    # A script's output all goes through one formatter, which keeps the shape of the first object it formats: the
    # reports (database, run summary, maintenance) are out-of-band lists so that a table after them is still a table.
    It 'prints the database, the run summary, a task table and a maintenance report, each in its own view' {
        $db = New-TestDatabase
        $script = @"
`$ErrorActionPreference = 'Stop'
`$db = '$db'
Initialize-PrismQDatabase -Database `$db
Add-PrismQTask -Database `$db -Type '$($script:LongType)' -Queue '$($script:LongQueue)' | Out-Null
Add-PrismQTask -Database `$db -Type boom -MaxAttempts 1 | Out-Null
Start-PrismQWorker -Database `$db -Queue '$($script:LongQueue)', default -MaxTasks 2 -Handler @{ '$($script:LongType)' = { 'ok' }; boom = { throw 'it broke' } }
Get-PrismQTask -Database `$db
Invoke-PrismQMaintenance -Database `$db
"WIDTH=`$(try { `$Host.UI.RawUI.BufferSize.Width } catch { 0 })"
"@
        $run = Invoke-ChildScript -Script $script -ImportModule
        $run.Error | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        # PowerShell 7 colours headers and labels with escape sequences even when its output is redirected.
        $lines = @($run.Output -split '\r?\n' | ForEach-Object { ($_ -replace "$([char]27)\[[0-9;]*m", '').TrimEnd() })
        $text = $lines -join "`n"
        $width = [int](($lines | Where-Object { $_ -match '^WIDTH=' }) -replace '^WIDTH=', '')
        # Where the host cannot tell its width (a redirected Windows PowerShell may not), only the views are checked.
        if ($width -gt 0) {
            # Warnings (a failed attempt, as it happens) are messages, not views: the console wraps them.
            foreach ($line in $lines | Where-Object { $_ -notlike 'WARNING:*' }) { $line.Length | Should -BeLessOrEqual $width -Because "'$line' fits the console" }
        }
        @($lines | Where-Object { $_ -match (Get-HeaderPattern $script:Views['PrismQ.TaskInfo'].Labels) }) | Should -HaveCount 1 -Because "the tasks are a table with its header whole:`n$text"
        @($lines | Where-Object { $_ -cmatch '^\s*\d+\s+default\s+boom\s+Failed\s+1/1\s.*\sit broke$' }) | Should -HaveCount 1 -Because "the failed task is a row of that table:`n$text"
        foreach ($typeName in 'PrismQ.DatabaseInfo', 'PrismQ.WorkerRunSummary', 'PrismQ.MaintenanceReport') {
            foreach ($label in $script:Views[$typeName].Labels) {
                @($lines | Where-Object { $_ -match ('^' + $label + '\s*:( |$)') }) | Should -Not -BeNullOrEmpty -Because "the $typeName list shows $label`n$text"
            }
        }
    }
}
