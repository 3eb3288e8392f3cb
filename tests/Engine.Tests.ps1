# The engine's side of issue 9 as a user meets it: a restarted task starts clean, and Errors keeps the history of its
# failed attempts. Run in a child pwsh from a script file (-NonInteractive), as a scheduled script runs it.
BeforeAll { . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1'); Import-Module $script:Manifest -Force }
AfterAll { Remove-Module PrismQ -Force -ErrorAction SilentlyContinue; Remove-TestRoot }

Describe 'Task error history and clean restarts' {
    It 'a restarted task starts clean and Errors shows each failed attempt' {
        $db = New-TestDatabase
        $scenario = @'
param($Database, $Manifest)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$task = Add-PrismQTask -Database $Database -Type boom -MaxAttempts 2
Start-PrismQWorker -Database $Database -Handler @{
    boom = { param($Task) Set-PrismQTaskProgress -Percent 50 -Message 'half way'; throw "boom $($Task.Attempts)" }
} -MaxTasks 2 -WarningAction SilentlyContinue | Out-Null
$failed = Get-PrismQTask -Database $Database -Id $task.Id
$restarted = Restart-PrismQTask -Database $Database -Id $task.Id -PassThru
$again = Get-PrismQTask -Database $Database -Id $task.Id
[pscustomobject]@{
    FailedStatus = [string]$failed.Status
    FailedError = $failed.Error
    FailedWorker = $failed.WorkerId
    FailedErrors = @($failed.Errors | ForEach-Object { [pscustomobject]@{ Attempt = $_.Attempt; Message = $_.Message; HasType = [bool]$_.Type; At = $_.At.ToString('o') } })
    RestartedStatus = [string]$restarted.Status
    Status = [string]$again.Status
    Attempts = $again.Attempts
    Worker = $again.WorkerId
    Error = $again.Error
    ErrorType = $again.ErrorType
    Progress = $again.Progress
    ProgressMessage = $again.ProgressMessage
    Result = $again.ResultJson
    Errors = @($again.Errors | ForEach-Object { [pscustomobject]@{ Attempt = $_.Attempt; Message = $_.Message } })
} | ConvertTo-Json -Depth 5 -Compress
'@
        $run = Invoke-ChildScript -Script $scenario -Arguments @($db, $script:Manifest) -TimeoutSeconds 300
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $seen = $run.Output | ConvertFrom-Json

        $seen.FailedStatus | Should -Be 'Failed'
        $seen.FailedError | Should -Be 'boom 2'
        $seen.FailedWorker | Should -Not -BeNullOrEmpty
        $seen.FailedErrors | Should -HaveCount 2
        $seen.FailedErrors[0].Attempt | Should -Be 1
        $seen.FailedErrors[0].Message | Should -Be 'boom 1'
        $seen.FailedErrors[0].HasType | Should -BeTrue
        $seen.FailedErrors[1].Attempt | Should -Be 2
        $seen.FailedErrors[1].Message | Should -Be 'boom 2'
        ([datetime]$seen.FailedErrors[1].At) | Should -BeGreaterOrEqual ([datetime]$seen.FailedErrors[0].At)

        $seen.RestartedStatus | Should -Be 'Queued'
        $seen.Status | Should -Be 'Queued'
        $seen.Attempts | Should -Be 0
        $seen.Worker | Should -BeNullOrEmpty
        $seen.Error | Should -BeNullOrEmpty
        $seen.ErrorType | Should -BeNullOrEmpty
        $seen.Progress | Should -BeNullOrEmpty
        $seen.ProgressMessage | Should -BeNullOrEmpty
        $seen.Result | Should -BeNullOrEmpty
        $seen.Errors | Should -HaveCount 2
        $seen.Errors[0].Message | Should -Be 'boom 1'
        $seen.Errors[1].Message | Should -Be 'boom 2'
    }
}

Describe 'A result over the size limit' {
    It 'fails the attempt at once with ResultTooLarge, naming the size and the limit, not as a lost lease' {
        $db = New-TestDatabase
        $task = Add-PrismQTask -Database $db -Type big -MaxAttempts 1
        $summary = Start-PrismQWorker -Database $db -MaxTasks 1 -WarningAction SilentlyContinue -Handler @{
            big = { 'x' * 1100000 }   # 1,100,002 bytes of JSON against the default 1 MiB (1,048,576 bytes)
        }
        $summary.Failed | Should -Be 1
        $summary.LeasesLost | Should -Be 0
        $now = Get-PrismQTask -Database $db -Id $task.Id
        $now.Status | Should -Be 'Failed'
        $now.ErrorType | Should -Be 'PrismQ.ResultTooLarge'
        $now.Error | Should -Match '1,?100,?002'
        $now.Error | Should -Match '1,?048,?576'
    }
}

Describe 'A killed worker' {
    It 'shows Dead in Get-PrismQWorker as soon as its process is gone' {
        $db = New-TestDatabase
        $task = Add-PrismQTask -Database $db -Type hold
        $child = Start-ChildPowerShell "Import-Module '$($script:Manifest)'; Start-PrismQWorker -Database '$db' -WorkerId victim-ps -LeaseDuration 600 -Handler { while (`$true) { Start-Sleep -Milliseconds 50 } } | Out-Null"
        try {
            $deadline = [DateTime]::UtcNow.AddMinutes(2)
            while ((Get-PrismQTask -Database $db -Id $task.Id).Status -ne 'Running') {
                if ([DateTime]::UtcNow -gt $deadline -or $child.HasExited) { throw 'the child worker never started the task' }
                Start-Sleep -Milliseconds 100
            }
            (Get-PrismQWorker -Database $db | Where-Object Id -eq 'victim-ps').State | Should -Be 'Alive'
        }
        finally {
            $child.Kill()
            $child.WaitForExit()
        }
        $worker = Get-PrismQWorker -Database $db | Where-Object Id -eq 'victim-ps'
        $worker | Should -Not -BeNullOrEmpty
        $worker.State | Should -Be 'Dead'
    }
}
