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
