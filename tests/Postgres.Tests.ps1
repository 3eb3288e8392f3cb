# The cmdlets on a PostgreSQL database (-Database and PRISMQ_QUEUE_DB_PATH taking a postgresql:// URI), as users run
# them. Needs a server: PRISMQ_TEST_POSTGRES (bash .ci/postgres); the build leaves the tag PostgreSQL out without it.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force
}

AfterAll {
    Remove-TestRoot
}

Describe 'The cmdlets on PostgreSQL' -Tag PostgreSQL {
    BeforeEach {
        $script:Uri = New-TestPostgresUri
    }

    AfterEach {
        Remove-TestPostgresSchema $script:Uri
    }

    It 'adds, reads and runs tasks through -Database with a URI, each exactly once' {
        $added = 1..20 | ForEach-Object { @{ n = $_ } } | Add-PrismQTask -Database $script:Uri -Type pg.sum
        $added.Count | Should -Be 20
        (Get-PrismQTask -Database $script:Uri -Status Queued).Count | Should -Be 20
        $summary = Start-PrismQWorker -Database $script:Uri -Handler @{ 'pg.sum' = { param($task) $task.Payload.n * 2 } } -MaxTasks 20 -Concurrency 4 -PassThru
        $done = Get-PrismQTask -Database $script:Uri -Status Succeeded
        $done.Count | Should -Be 20
        ($done | ForEach-Object { $_.Result } | Measure-Object -Sum).Sum | Should -Be (2 * (1..20 | Measure-Object -Sum).Sum)
        ($done | Where-Object Attempts -ne 1).Count | Should -Be 0
    }

    It 'takes the URI from PRISMQ_QUEUE_DB_PATH, in a user script' {
        $result = Invoke-ChildScript -Arguments $script:Uri -Script (@'
param($uri)
Import-Module '{0}'
$env:PRISMQ_QUEUE_DB_PATH = $uri
$t = Add-PrismQTask -Type pg.env -Payload @{ x = 1 }
(Get-PrismQTask -Id $t.Id).Status
(Get-PrismQQueue).Name
'@).Replace('{0}', $script:Manifest)
        $result.Error | Should -BeNullOrEmpty
        $result.Output.Trim() -split "`r?`n" | Should -Be @('Queued', 'default')
    }

    It 'pauses and resumes a queue, cancels and retries a task' {
        $t = Add-PrismQTask -Database $script:Uri -Type pg.x -Queue q1
        Suspend-PrismQQueue -Database $script:Uri -Name q1
        (Get-PrismQQueue -Database $script:Uri -Name q1).Paused | Should -BeTrue
        Resume-PrismQQueue -Database $script:Uri -Name q1
        (Get-PrismQQueue -Database $script:Uri -Name q1).Paused | Should -BeFalse
        Stop-PrismQTask -Database $script:Uri -Id $t.Id
        (Get-PrismQTask -Database $script:Uri -Id $t.Id).Status | Should -Be 'Cancelled'
        Restart-PrismQTask -Database $script:Uri -Id $t.Id
        (Get-PrismQTask -Database $script:Uri -Id $t.Id).Status | Should -Be 'Queued'
    }

    It 'says to use pg_dump when asked for a backup (PrismQ.NotSupported, NotImplemented)' {
        $problem = $null
        try { Backup-PrismQDatabase -Database $script:Uri -Destination (Join-Path $script:TempRoot 'b.db') -ErrorAction Stop }
        catch { $problem = $_ }
        $problem | Should -Not -BeNullOrEmpty
        $problem.FullyQualifiedErrorId | Should -BeLike 'PrismQ.NotSupported*'
        $problem.CategoryInfo.Category | Should -Be 'NotImplemented'
        $problem.Exception.Message | Should -Match 'pg_dump'
    }

    It 'never shows the password: not in a connection error, not in -WhatIf, not in Get-PrismQWorker' {
        $secret = 'S3cret-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $wrong = $script:Uri -replace '://([^:@/]+):[^@/]*@', ('://$1:' + $secret + '@')
        $problem = $null
        try { Get-PrismQTask -Database $wrong -ErrorAction Stop } catch { $problem = $_ }
        $problem | Should -Not -BeNullOrEmpty
        ($problem | Out-String) | Should -Not -Match $secret
        $problem.Exception.ToString() | Should -Not -Match $secret

        $result = Invoke-ChildScript -Arguments $wrong -Script (@'
param($uri)
Import-Module '{0}'
Start-PrismQWorker -Database $uri -Handler @{ x = { } } -WhatIf
'@).Replace('{0}', $script:Manifest)
        ($result.Output + $result.Error) | Should -Match 'postgres'
        ($result.Output + $result.Error) | Should -Not -Match $wrong.Split('@')[0].Split(':')[-1]

        Add-PrismQTask -Database $script:Uri -Type pg.w | Out-Null
        Start-PrismQWorker -Database $script:Uri -Handler @{ 'pg.w' = { } } -MaxTasks 1 | Out-Null
        (Get-PrismQWorker -Database $script:Uri | Out-String) | Should -Not -Match 'prismq:prismq'
    }

    It 'shares the tasks of one queue between workers in two processes, each task done once' {
        1..300 | ForEach-Object { @{ n = $_ } } | Add-PrismQTask -Database $script:Uri -Type pg.share | Out-Null
        $script = @'
param($uri)
Import-Module '{0}'
Start-PrismQWorker -Database $uri -Handler @{ 'pg.share' = { param($t) Start-Sleep -Milliseconds 20; $PID } } -Concurrency 2 -IdleTimeout 00:00:03 | Out-Null
'@
        $path = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $path -Value $script.Replace('{0}', $script:Manifest)
        $children = 1..2 | ForEach-Object {
            Start-Process -FilePath $script:Exe -ArgumentList @('-NoProfile', '-NonInteractive', '-File', $path, $script:Uri) -PassThru
        }
        foreach ($child in $children) { $child.WaitForExit(120000) | Should -BeTrue }
        $done = Get-PrismQTask -Database $script:Uri -Status Succeeded
        $done.Count | Should -Be 300
        ($done | Where-Object Attempts -ne 1).Count | Should -Be 0
        @($done.Result | Sort-Object -Unique).Count | Should -Be 2
    }
}
