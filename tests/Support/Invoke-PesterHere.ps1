# Runs the Pester suites (or some of them) with the Pester that tests/tools/Pester.csproj restores.
# Usage from the repository root: dotnet pwsh -NoProfile -File tests/Support/Invoke-PesterHere.ps1 [-Path tests/X.Tests.ps1] [-FullName '*pattern*']
param([string[]] $Path = @((Join-Path (Split-Path -Parent $PSScriptRoot) '')), [string] $FullName)
$version = ([xml](Get-Content -Raw (Join-Path $PSScriptRoot '../../Directory.Packages.props'))).Project.PropertyGroup.PesterVersion
$packages = ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
$pester = Join-Path $packages "pester/$version/tools/Pester.psd1"
if (-not (Test-Path $pester)) { & dotnet restore (Join-Path $PSScriptRoot '../tools/Pester.csproj') | Out-Host }
Import-Module $pester -Force
$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($FullName) { $config.Filter.FullName = $FullName }
$result = Invoke-Pester -Configuration $config
"pester: $($result.PassedCount) passed, $($result.FailedCount) failed"
if ($result.FailedCount -gt 0) { exit 1 }
