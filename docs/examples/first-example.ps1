# The README's first example: builds the module, adds a task, runs a worker that handles it, shows the result.
# Run it from anywhere: pwsh -File docs/examples/first-example.ps1 (or, with only the .NET SDK installed:
# dotnet tool restore; dotnet pwsh -File docs/examples/first-example.ps1). The database goes to a temporary folder,
# not into the repository, and each run starts from an empty one.
$ErrorActionPreference = 'Stop'
$repository = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
& (Join-Path $repository 'build.ps1') -Task Build

Import-Module (Join-Path $repository 'PrismQ.psd1')
$folder = Join-Path ([System.IO.Path]::GetTempPath()) 'prismq-first-example'
Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore   # each run starts from an empty database
$db = Join-Path $folder 'queue.db'
Add-PrismQTask -Type hello -Payload @{ name = 'world' } -Database $db
Start-PrismQWorker -Database $db -MaxTasks 1 -Handler @{
    hello = { param($Task) "Hello, $($Task.Payload.name)!" }
} | Format-List
Get-PrismQTask -Database $db -Type hello | Format-List Id, Type, Status, Result
