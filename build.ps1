<#
.SYNOPSIS
    Builds, tests, documents, packages and benchmarks PrismQ. Runs under Windows PowerShell 5.1 and PowerShell 7.
.DESCRIPTION
    Build    Builds what the module needs (the cmdlets and the engine, not the tests); leaves an importable module
             (Import-Module ./PrismQ.psd1).
    Test     dotnet build PrismQ.sln, the xunit tests (dotnet test on every test project of PrismQ.sln:
             PrismQ.Core.Tests, PrismQ.PowerShell.Tests and PrismQ.Coyote.Tests, whose build rewrites its assemblies
             with the coyote tool of the tool manifest), then every Pester suite (tests/*.Tests.ps1) with the
             Pester that tests/tools/Pester.csproj restores (Pester 5.7.1, pinned in Directory.Packages.props): nothing
             needs to be installed by hand. Ends with one line that counts both: "tests: N passed, N failed".
    Help     platyPS: docs/cmdlets/*.md to MAML help in module/en-US (committed; the build copies it beside the
             assembly). Uses an installed platyPS, or the build of platyPS 0.14.2 in ../shared/tools/platyPS.
    Package  Build, then a clean out/PrismQ/<version> folder ready for Publish-Module or for copying into a folder
             of $env:PSModulePath.
    Bench    Build, then the PowerShell benchmarks (tests/PrismQ.Benchmarks/PowerShell/Invoke-PowerShellBenchmark.ps1:
             the module as users run it, each figure beside its baseline measured in the same run; -Quick for small
             counts). With -BenchArgs, the engine's benchmarks instead: dotnet run -c Release tests/PrismQ.Benchmarks
             with those arguments. Under -File (dotnet pwsh -File ./build.ps1 ...) an array arrives as one string:
             commas in it separate arguments.
    Without PowerShell installed, run it with the PowerShell that the repository's tool manifest pins:
    dotnet tool restore; dotnet pwsh -NoProfile -File ./build.ps1 -Task Test
.EXAMPLE
    ./build.ps1 -Task Test
.EXAMPLE
    ./build.ps1 -Task Bench
.EXAMPLE
    ./build.ps1 -Task Bench -BenchArgs 'worker-report','--quick'
.EXAMPLE
    ./build.ps1 -Task Package; Publish-Module -Path ./out/PrismQ/0.1.0 -NuGetApiKey $key
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Help', 'Package', 'Bench')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [string[]] $BenchArgs = @(),

    [switch] $Quick
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$solution = Join-Path $root 'PrismQ.sln'

function Invoke-Dotnet {
    param([string[]] $Arguments, [switch] $AllowFailure)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) { throw "dotnet $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
    $LASTEXITCODE
}

function Invoke-Build {
    # The module project builds the engine it references; tests and benchmarks are not needed to import the module.
    # The PostgreSQL store (net8.0) is built apart and lays itself into module/bin/engine/net8.0 (PowerShell 7 only).
    [void](Invoke-Dotnet @('build', (Join-Path $root 'src/PrismQ.PowerShell/PrismQ.PowerShell.csproj'), '-c', $Configuration))
    [void](Invoke-Dotnet @('build', (Join-Path $root 'src/PrismQ.Postgres/PrismQ.Postgres.csproj'), '-c', $Configuration))
}

# The Pester module restored by tests/tools/Pester.csproj (a PackageDownload of the version in Directory.Packages.props).
function Get-PesterModulePath {
    $props = [xml](Get-Content -Raw -Path (Join-Path $root 'Directory.Packages.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.PesterVersion } | Where-Object { $_ })[0]
    [void](Invoke-Dotnet @('restore', (Join-Path $root 'tests/tools/Pester.csproj')))
    $packages = $env:NUGET_PACKAGES
    if (-not $packages) {
        $line = & dotnet nuget locals global-packages --list
        $packages = ($line -replace '^global-packages:\s*', '').Trim()
    }
    $path = Join-Path $packages "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path -LiteralPath $path)) { throw "Pester $version was restored, but $path does not exist." }
    $path
}

# Counts the xunit results in the .trx files that dotnet test wrote.
function Get-TrxCount([string] $Folder) {
    $passed = 0; $failed = 0
    foreach ($file in Get-ChildItem -Path $Folder -Filter '*.trx' -Recurse) {
        $counters = ([xml](Get-Content -Raw -LiteralPath $file.FullName)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-Test {
    $pesterPath = Get-PesterModulePath
    [void](Invoke-Dotnet @('build', $solution, '-c', $Configuration))
    $results = Join-Path $root 'TestResults'
    if (Test-Path $results) { Remove-Item -Path $results -Recurse -Force }
    # -m:1: one test assembly at a time. Run beside PrismQ.Core.Tests on two cores, the Coyote tests (which hand every
    # scheduling step from thread to thread) took about six times as long and took CPU from the engine's timing tests.
    # The PostgreSQL tests (trait Backend=PostgreSQL, and the Pester tests tagged PostgreSQL) need a server:
    # PRISMQ_TEST_POSTGRES names it (a URI; .ci/postgres starts one and prints it). Without it they are left out, said here.
    $testArgs = @('test', $solution, '-c', $Configuration, '--no-build', '-m:1', '--logger', 'trx', '--results-directory', $results)
    if (-not $env:PRISMQ_TEST_POSTGRES) {
        Write-Warning 'PRISMQ_TEST_POSTGRES is not set: the PostgreSQL tests are skipped (bash .ci/postgres starts a server and prints its URI).'
        $testArgs += @('--filter', 'Backend!=PostgreSQL')
    }
    $xunitExit = Invoke-Dotnet $testArgs -AllowFailure
    $xunit = Get-TrxCount $results
    if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { $xunit.Failed = 1 }   # a crashed test host counts as a failure

    Import-Module $pesterPath -Force
    $config = New-PesterConfiguration
    $config.Run.Path = Join-Path $root 'tests'
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $config.Output.RenderMode = 'Plaintext'
    if (-not $env:PRISMQ_TEST_POSTGRES) { $config.Filter.ExcludeTag = @('PostgreSQL') }
    # The tests must behave as under a plain Invoke-Pester: not under this script's strict mode and
    # ErrorActionPreference 'Stop' (both would reach the test scripts through PowerShell's dynamic scoping).
    Set-StrictMode -Off
    $ErrorActionPreference = 'Continue'
    $pester = Invoke-Pester -Configuration $config
    $ErrorActionPreference = 'Stop'
    $pesterFailed = $pester.FailedCount + @($pester.Containers | Where-Object { $_.Result -eq 'Failed' -and $_.FailedCount -eq 0 }).Count

    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed"
    Write-Host "pester: $($pester.PassedCount) passed, $pesterFailed failed"
    Write-Host "tests: $($xunit.Passed + $pester.PassedCount) passed, $($xunit.Failed + $pesterFailed) failed"
    if ($xunit.Failed + $pesterFailed -gt 0) { throw "$($xunit.Failed) xunit and $pesterFailed Pester test(s) failed." }
}

# platyPS: an installed one, else the build of platyPS 0.14.2 beside the repository (../shared/tools/platyPS).
function Get-PlatyPSModule {
    $installed = Get-Module -ListAvailable -Name platyPS | Sort-Object -Property Version -Descending | Select-Object -First 1
    if ($null -ne $installed) { return $installed.Path }
    $beside = Join-Path $root '../shared/tools/platyPS/0.14.2/platyPS.psd1'
    if (Test-Path -LiteralPath $beside) { return (Resolve-Path -LiteralPath $beside).Path }
    return $null
}

# Writes module/en-US/PrismQ.PowerShell.dll-Help.xml from docs/cmdlets (the file is committed, so that a clone or a
# package has help without platyPS; tests/Help.Tests.ps1 fails when it is out of step with the pages).
function Invoke-Help {
    $platy = Get-PlatyPSModule
    if ($null -eq $platy) {
        throw 'platyPS is not installed: install it with Install-Module platyPS -RequiredVersion 0.14.2 -Scope CurrentUser.'
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
}

function Invoke-Package {
    Invoke-Build
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
    $passed = @($BenchArgs | ForEach-Object { $_ -split ',' } | Where-Object { $_ -ne '' })
    if ($passed.Count -gt 0) {
        $project = Join-Path $root 'tests/PrismQ.Benchmarks/PrismQ.Benchmarks.csproj'
        Invoke-Dotnet (@('run', '-c', 'Release', '--project', $project, '--') + $passed)
        return
    }

    Invoke-Build
    & (Join-Path $root 'tests/PrismQ.Benchmarks/PowerShell/Invoke-PowerShellBenchmark.ps1') -Quick:$Quick | Out-Null
}

foreach ($step in $Task) {
    switch ($step) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Help' { Invoke-Help }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
    }
}
