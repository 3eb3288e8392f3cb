#Requires -Version 5.1
<#
.SYNOPSIS
Runs the PowerShell benchmarks of PrismQ: the module as a user imports it, against baselines measured in the same run.

.DESCRIPTION
Builds nothing: imports the module from the repository root (PrismQ.psd1, so build first), dot-sources every
Measure-*.ps1 file in this folder and calls the function of the same name with -Folder (the folder for its database
files) and -Quick. Each function returns rows of
[pscustomobject]@{ Figure; Value; Unit; Baseline; BaselineValue; Ratio; Goal; Met }, its figure and its baseline
measured in the same run (Ratio = Value / BaselineValue; Met is $null where no goal is set). Prints a header (machine,
PowerShell, date, command line) and the rows as a table, and returns the rows.

.PARAMETER Database
The folder for the benchmark databases (created when missing; its files are left for inspection). Default: a new
temporary folder, removed at the end.

.PARAMETER Quick
Smaller counts (a tenth), for a quick check that the benchmarks run; the figures are then not comparable to the goals.

.EXAMPLE
dotnet pwsh -NoProfile -File tests/PrismQ.Benchmarks/PowerShell/Invoke-PowerShellBenchmark.ps1
#>
[CmdletBinding()]
param(
    [string] $Database,
    [switch] $Quick
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$root = Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $PSScriptRoot))
Import-Module (Join-Path $root 'PrismQ.psd1') -Force

$temporary = -not $Database
$folder = if ($temporary) { Join-Path ([System.IO.Path]::GetTempPath()) ('prismq-bench-' + [guid]::NewGuid().ToString('N')) } else { $Database }
New-Item -ItemType Directory -Path $folder -Force | Out-Null

# The process's command line: ./build.ps1 -Task Bench, or this script run with -File.
$commandLine = [Environment]::CommandLine
$header = @(
    "machine:    $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), $([Environment]::ProcessorCount) cores"
    "PowerShell: $($PSVersionTable.PSVersion) ($($PSVersionTable.PSEdition)), $([System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription)"
    "date (UTC): $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm'))"
    "command:    $commandLine"
)
$header | Out-Host

try {
    $rows = foreach ($file in Get-ChildItem -Path $PSScriptRoot -Filter 'Measure-*.ps1' | Sort-Object Name) {
        . $file.FullName
        & $file.BaseName -Folder $folder -Quick:$Quick
    }
}
finally {
    if ($temporary) { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue }
}

$rows | Format-Table -AutoSize -Wrap Figure,
    @{ Name = 'Value'; Expression = { '{0:N0}' -f $_.Value }; Alignment = 'Right' }, Unit, Baseline,
    @{ Name = 'BaselineValue'; Expression = { '{0:N0}' -f $_.BaselineValue }; Alignment = 'Right' },
    @{ Name = 'Ratio'; Expression = { '{0:N2}' -f $_.Ratio }; Alignment = 'Right' }, Goal, Met | Out-String -Width 400 | Out-Host
$rows
