@{
    # The compiled cmdlets; `dotnet build PrismQ.sln` lays out module/bin (see src/PrismQ.PowerShell/PrismQ.PowerShell.csproj).
    RootModule           = 'module/bin/PrismQ.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '40f5f86d-cb03-4b83-be80-cca51695ef63'
    Author               = 'PrismQ contributors'
    CompanyName          = 'PrismQ contributors'
    Copyright            = '(c) PrismQ contributors. MIT License.'
    Description          = 'A persistent task queue in one SQLite file: add tasks from any script, run workers with PowerShell handlers (in parallel or from Task Scheduler), with leases, retries with backoff, priorities, dead letters and built-in tracing.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('module/PrismQ.Format.ps1xml')
    CmdletsToExport      = @(
        'Add-PrismQTask'
        'Backup-PrismQDatabase'
        'Export-PrismQTrace'
        'Get-PrismQQueue'
        'Get-PrismQTask'
        'Get-PrismQTrace'
        'Get-PrismQWorker'
        'Initialize-PrismQDatabase'
        'Invoke-PrismQMaintenance'
        'Remove-PrismQTask'
        'Restart-PrismQTask'
        'Resume-PrismQQueue'
        'Set-PrismQTaskProgress'
        'Start-PrismQWorker'
        'Stop-PrismQTask'
        'Suspend-PrismQQueue'
        'Wait-PrismQTask'
        'Write-PrismQTrace'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('queue', 'task-queue', 'jobs', 'worker', 'sqlite', 'background', 'scheduler', 'tracing', 'Windows', 'Linux', 'MacOS', 'PSEdition_Desktop', 'PSEdition_Core')
            ProjectUri   = 'https://github.com/prismq/prismq'
            LicenseUri   = 'https://github.com/prismq/prismq/blob/main/LICENSE'
            ReleaseNotes = 'First release: tasks, queues, workers with PowerShell handlers (sequential or in a runspace pool), retries with backoff, pause/resume, maintenance, backup, tracing with Chrome timeline export.'
        }
    }
}
