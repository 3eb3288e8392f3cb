<#
.SYNOPSIS
    Builds, tests, documents, packages and benchmarks PrismQ. Runs under Windows PowerShell 5.1 and PowerShell 7.
.DESCRIPTION
    Build    dotnet build PrismQ.sln; leaves an importable module (Import-Module ./PrismQ.psd1).
    Test     Build, dotnet test, then the Pester tests (tests/*.Tests.ps1) when Pester 5 is installed.
    Help     platyPS: docs/cmdlets/*.md to MAML help in module/en-US (and beside the built assembly), when platyPS is installed.
    Package  Build (and Help when platyPS is installed), then a clean out/PrismQ/<version> folder ready for Publish-Module.
    Bench    dotnet run -c Release the benchmarks (tests/PrismQ.Benchmarks); -BenchArgs are passed on.
.EXAMPLE
    ./build.ps1 -Task Test
.EXAMPLE
    ./build.ps1 -Task Package; Publish-Module -Path ./out/PrismQ/0.1.0 -NuGetApiKey $key
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Help', 'Package', 'Bench')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [string[]] $BenchArgs = @()
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$solution = Join-Path $root 'PrismQ.sln'

function Invoke-Dotnet {
    param([string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-Dotnet @('build', $solution, '-c', $Configuration)
}

function Invoke-Test {
    Invoke-Build
    Invoke-Dotnet @('test', $solution, '-c', $Configuration, '--no-build')
    $pester = Get-Module -ListAvailable -Name Pester |
        Where-Object { $_.Version -ge [version]'5.0.0' } |
        Sort-Object -Property Version -Descending |
        Select-Object -First 1
    if ($null -eq $pester) {
        Write-Warning 'Pester 5 is not installed: the Pester tests were skipped. Install it with: Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser'
        return
    }
    Import-Module $pester -Force
    $config = New-PesterConfiguration
    $config.Run.Path = Join-Path $root 'tests'
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $result = Invoke-Pester -Configuration $config
    if ($result.FailedCount -gt 0) { throw "$($result.FailedCount) Pester test(s) failed." }
}

function Invoke-Help {
    $platy = Get-Module -ListAvailable -Name platyPS | Sort-Object -Property Version -Descending | Select-Object -First 1
    if ($null -eq $platy) {
        Write-Warning 'platyPS is not installed: no MAML help was generated. Install it with: Install-Module platyPS -Scope CurrentUser'
        return $false
    }
    Import-Module $platy -Force
    $out = Join-Path $root 'module/en-US'
    New-ExternalHelp -Path (Join-Path $root 'docs/cmdlets') -OutputPath $out -Force | Out-Null
    $bin = Join-Path $root 'module/bin'
    if (Test-Path $bin) {
        $binHelp = Join-Path $bin 'en-US'
        New-Item -ItemType Directory -Path $binHelp -Force | Out-Null
        Copy-Item -Path (Join-Path $out '*') -Destination $binHelp -Recurse -Force
    }
    Write-Host "MAML help written to $out" -ForegroundColor Green
    return $true
}

function Invoke-Package {
    Invoke-Build
    [void](Invoke-Help)
    $manifestPath = Join-Path $root 'PrismQ.psd1'
    $manifest = Import-PowerShellDataFile -Path $manifestPath
    $version = $manifest.ModuleVersion
    $out = Join-Path $root "out/PrismQ/$version"
    if (Test-Path $out) { Remove-Item -Path $out -Recurse -Force }
    New-Item -ItemType Directory -Path $out -Force | Out-Null

    Copy-Item -Path (Join-Path $root 'module/bin') -Destination (Join-Path $out 'bin') -Recurse -Force
    Get-ChildItem -Path (Join-Path $out 'bin') -Recurse -Include '*.pdb', '*.deps.json' | Remove-Item -Force
    Copy-Item -Path (Join-Path $root 'module/PrismQ.Format.ps1xml') -Destination $out -Force
    Copy-Item -Path (Join-Path $root 'module/en-US') -Destination (Join-Path $out 'en-US') -Recurse -Force

    # The repository manifest points into module/; the package has everything at its root.
    $text = Get-Content -Path $manifestPath -Raw
    $text = $text.Replace("'module/bin/", "'bin/").Replace("'module/PrismQ.Format.ps1xml'", "'PrismQ.Format.ps1xml'")
    $target = Join-Path $out 'PrismQ.psd1'
    [System.IO.File]::WriteAllText($target, $text, (New-Object System.Text.UTF8Encoding($true)))

    $checked = Test-ModuleManifest -Path $target
    Write-Host "Package ready: $out ($($checked.Name) $($checked.Version), $($checked.ExportedCmdlets.Count) cmdlets)" -ForegroundColor Green
}

function Invoke-Bench {
    $project = Join-Path $root 'tests/PrismQ.Benchmarks/PrismQ.Benchmarks.csproj'
    $arguments = @('run', '-c', 'Release', '--project', $project)
    if ($BenchArgs.Count -gt 0) { $arguments += '--'; $arguments += $BenchArgs }
    Invoke-Dotnet $arguments
}

foreach ($step in $Task) {
    switch ($step) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Help' { [void](Invoke-Help) }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
    }
}
