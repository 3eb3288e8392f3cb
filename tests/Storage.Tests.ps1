# The database file, queue names, payloads and TimeSpan parameters, as users meet them in a real PowerShell.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force

    # A child PowerShell running a script file whose standard input is redirected: it imports the module, prints
    # 'ready', then reads one database path and makes its first PrismQ call on it. Several of them race on one new file.
    function Start-FirstCallChild {
        $path = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '.ps1')
        $text = @"
Import-Module '$($script:Manifest)'
[Console]::Out.WriteLine('ready'); [Console]::Out.Flush()
`$db = [Console]::In.ReadLine()
try { Add-PrismQTask -Database `$db -Type race -ErrorAction Stop | Out-Null; [Console]::Out.WriteLine('ok') }
catch { [Console]::Out.WriteLine('error ' + `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message) }
"@
        [System.IO.File]::WriteAllText($path, $text, (New-Object System.Text.UTF8Encoding($true)))
        $start = New-Object System.Diagnostics.ProcessStartInfo
        $start.FileName = $script:Exe
        $start.Arguments = '-NoProfile -NonInteractive -File "{0}"' -f $path
        $start.UseShellExecute = $false
        $start.CreateNoWindow = $true
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        [System.Diagnostics.Process]::Start($start)
    }

    # The next line of a child's output, failing (not hanging) when none comes within two minutes.
    function Read-ChildLine([System.Diagnostics.Process] $Process) {
        $line = $Process.StandardOutput.ReadLineAsync()
        if (-not $line.Wait(120000)) { throw "A child PowerShell gave no answer within 2 minutes." }
        if ($null -eq $line.Result) { throw "A child PowerShell ended early: $($Process.StandardError.ReadToEnd())" }
        $line.Result
    }
}
AfterAll { Remove-Module PrismQ -Force -ErrorAction SilentlyContinue; Remove-TestRoot }

Describe 'A new database file' {
    It 'is created by several PowerShell processes whose first call races on it, all of them succeeding' {
        $failures = [System.Collections.Generic.List[string]]::new()
        foreach ($round in 1..3) {
            $db = New-TestDatabase
            $children = @(1..4 | ForEach-Object { Start-FirstCallChild })
            try {
                foreach ($child in $children) { Read-ChildLine $child | Should -Be 'ready' }
                # Every child now waits on its input: the line starts its first call on the new file.
                foreach ($child in $children) { $child.StandardInput.WriteLine($db); $child.StandardInput.Flush() }
                foreach ($child in $children) {
                    $answer = Read-ChildLine $child
                    if ($answer -ne 'ok') { $failures.Add("round ${round}: $answer") }
                }
            }
            finally {
                foreach ($child in $children) {
                    $child.StandardInput.Close()
                    if (-not $child.WaitForExit(120000)) { $child.Kill() }
                    $child.Dispose()
                }
            }
            $count = @(Get-PrismQTask -Database $db).Count
            if ($count -ne 4) { $failures.Add("round ${round}: $count tasks, expected 4") }
        }
        $failures | Should -BeNullOrEmpty
    }
}

Describe 'Queue names that do not exist' {
    BeforeEach {
        $db = New-TestDatabase
        Add-PrismQTask -Database $db -Queue mail -Type send | Out-Null
    }

    It 'Get-PrismQQueue reports each unknown name as QueueNotFound and still returns the known ones' {
        $queues = Get-PrismQQueue -Database $db -Name typo, mail, other -ErrorVariable problems -ErrorAction SilentlyContinue
        @($queues).Name | Should -Be @('mail')
        $problems.Count | Should -Be 2
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.QueueNotFound*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be 'typo'
        $problems[1].TargetObject | Should -Be 'other'
    }

    It 'Suspend-PrismQQueue of a typo is QueueNotFound, creates nothing, and leaves the real queue running' {
        Suspend-PrismQQueue -Database $db -Name mial -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.QueueNotFound*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @(Get-PrismQQueue -Database $db).Name | Should -Be @('mail')
        (Get-PrismQQueue -Database $db -Name mail).Paused | Should -BeFalse
    }

    It 'Resume-PrismQQueue of an unknown name is QueueNotFound' {
        Resume-PrismQQueue -Database $db -Name nowhere -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.QueueNotFound*'
        @(Get-PrismQQueue -Database $db).Name | Should -Be @('mail')
    }

    It 'Suspend-PrismQQueue -Force pauses a queue before its first task, on purpose' {
        (Suspend-PrismQQueue -Database $db -Name later -Force -PassThru).Paused | Should -BeTrue
        (Get-PrismQQueue -Database $db -Name later).Paused | Should -BeTrue
        (Resume-PrismQQueue -Database $db -Name later -PassThru).Paused | Should -BeFalse
    }

    It 'stops at the first unknown name in a script run with -ErrorAction Stop' {
        $run = Invoke-ChildScript -ImportModule -Script (@'
$ErrorActionPreference = 'Stop'
try { Suspend-PrismQQueue -Database '{0}' -Name mial; 'not reached' }
catch { 'caught ' + $_.FullyQualifiedErrorId }
'@ -replace '\{0\}', $db)
        $run.Output | Should -Match 'caught PrismQ\.QueueNotFound'
        $run.Output | Should -Not -Match 'not reached'
    }
}

Describe 'TimeSpan parameters' {
    BeforeEach { $db = New-TestDatabase }

    It 'reads -Timeout 1 as one second and -Timeout 0.5 as half a second, as Wait-Job does' {
        $task = Add-PrismQTask -Database $db -Type never
        Wait-PrismQTask -Database $db -Id $task.Id -Timeout 1 -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.Timeout*'
        $problems[0].Exception.Message | Should -BeLike '*00:00:01*'
        $problems[0].Exception.Message | Should -Not -BeLike '*0000001*'
        Wait-PrismQTask -Database $db -Id $task.Id -Timeout 0.5 -ErrorVariable half -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $half[0].Exception.Message | Should -BeLike '*00:00:00.5*'
    }

    It 'reads a fractional number as fractional seconds, a string of a number as seconds, and keeps TimeSpan strings and objects' {
        (Add-PrismQTask -Database $db -Type t -Timeout 0.5).Timeout | Should -Be ([TimeSpan]::FromMilliseconds(500))
        (Add-PrismQTask -Database $db -Type t -Timeout '90').Timeout | Should -Be ([TimeSpan]::FromSeconds(90))
        (Add-PrismQTask -Database $db -Type t -Timeout '00:05:00').Timeout | Should -Be ([TimeSpan]::FromMinutes(5))
        (Add-PrismQTask -Database $db -Type t -Timeout (New-TimeSpan -Minutes 2)).Timeout | Should -Be ([TimeSpan]::FromMinutes(2))
    }

    It 'refuses a negative, out-of-range or unreadable duration with a message naming the value' {
        { Add-PrismQTask -Database $db -Type t -Delay -5 } | Should -Throw -ExpectedMessage '*-5 seconds is negative*'
        { Add-PrismQTask -Database $db -Type t -Delay 1e300 } | Should -Throw -ExpectedMessage '*out of range*'
        { Add-PrismQTask -Database $db -Type t -Delay 'soon' } | Should -Throw -ExpectedMessage "*'soon' is not a duration*"
        { Remove-PrismQTask -Database $db -Status Succeeded -OlderThan (New-TimeSpan -Seconds -1) -Confirm:$false } | Should -Throw -ExpectedMessage '*is negative*'
        Get-PrismQTask -Database $db | Should -BeNullOrEmpty
    }
}

Describe 'Payloads' {
    BeforeEach { $db = New-TestDatabase }

    It 'refuses a SecureString or a PSCredential anywhere in a payload, writing nothing' {
        $secure = ConvertTo-SecureString 'hunter2' -AsPlainText -Force
        $credential = [pscredential]::new('admin', $secure)
        $payloads = @(
            @{ Password = $secure },
            $credential,
            [pscustomobject]@{ Servers = @('a', @{ Login = $credential }) }
        )
        foreach ($payload in $payloads) {
            Add-PrismQTask -Database $db -Type t -Payload $payload -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'PrismQ.SecretInPayload*'
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $problems[0].Exception.Message | Should -BeLike '*plain text*'
        }
        Get-PrismQTask -Database $db | Should -BeNullOrEmpty
    }

    It 'refuses a secret in a pipeline item and still adds the other items' {
        $secure = ConvertTo-SecureString 'hunter2' -AsPlainText -Force
        @{ n = 1 }, @{ p = $secure }, @{ n = 3 } | Add-PrismQTask -Database $db -Type t -ErrorVariable problems -ErrorAction SilentlyContinue | Out-Null
        $problems.Count | Should -Be 1
        @(Get-PrismQTask -Database $db).Payload.n | Should -Be @(1, 3)
    }

    It 'stores non-ASCII text as UTF-8, so 200,000 x "é" (400 KB) fits the 1 MiB limit and round-trips' {
        $text = [string]::new([char]0xE9, 200000)
        $task = Add-PrismQTask -Database $db -Type t -Payload @{ Text = $text }
        (Get-PrismQTask -Database $db -Id $task.Id).Payload.Text | Should -BeExactly $text
    }

    It 'stores a handler result of non-ASCII text as UTF-8 too, and refuses a secret as a result' {
        $text = [string]::new([char]0xE9, 200000)
        Add-PrismQTask -Database $db -Type big | Out-Null
        Add-PrismQTask -Database $db -Type secret | Out-Null
        $handlers = @{
            big    = { param($Task) [string]::new([char]0xE9, 200000) }
            secret = { param($Task) ConvertTo-SecureString 'hunter2' -AsPlainText -Force }
        }
        Start-PrismQWorker -Database $db -Handler $handlers -MaxTasks 2 -LeaseDuration 5 -WarningAction SilentlyContinue -ErrorAction SilentlyContinue | Out-Null
        $big = Get-PrismQTask -Database $db -Type big
        $big.Status | Should -Be 'Succeeded'
        $big.Result | Should -BeExactly $text
        $secret = Get-PrismQTask -Database $db -Type secret
        $secret.Status | Should -Not -Be 'Succeeded'
        $secret.Result | Should -BeNullOrEmpty
        "$($secret.Error)" | Should -BeLike '*plain text*'
    }
}

Describe 'File permissions' -Skip:($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') {
    It 'creates the database, its -wal/-shm, the trace database, the workers folder and new folders owner-only (0600 / 0700)' {
        $folder = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N'))
        $db = Join-Path $folder 'deeper/queue.db'
        Add-PrismQTask -Database $db -Type t | Out-Null
        Start-PrismQWorker -Database $db -Handler { 'done' } -MaxTasks 1 | Out-Null
        Get-PrismQTask -Database $db | Select-Object -ExpandProperty Status | Should -Be 'Succeeded'

        $made = @(Get-ChildItem -LiteralPath (Split-Path $db) -Recurse -Force) + @(Get-Item $folder, (Split-Path $db))
        $made.Name | Should -Contain 'queue.db'
        $made.Name | Should -Contain 'queue.db-wal'
        $made.Name | Should -Contain 'queue.db-shm'
        $made.Name | Should -Contain 'queue.db-workers'
        @($made | Where-Object { $_.Name -like '*trace*' -and -not $_.PSIsContainer }).Count | Should -BeGreaterThan 0
        foreach ($item in $made) {
            $expected = if ($item.PSIsContainer) { 'UserRead, UserWrite, UserExecute' } else { 'UserRead, UserWrite' }
            "$($item.FullName): $($item.UnixFileMode)" | Should -Be "$($item.FullName): $([System.IO.UnixFileMode]$expected)"
        }
    }

    It 'leaves the mode of a database file the user made' {
        $db = New-TestDatabase
        New-Item -ItemType File -Path $db | Out-Null
        $mode = [System.IO.UnixFileMode]'UserRead, UserWrite, GroupRead, GroupWrite'
        (Get-Item $db).UnixFileMode = $mode
        Add-PrismQTask -Database $db -Type t | Out-Null
        (Get-Item $db).UnixFileMode | Should -Be $mode
    }
}
