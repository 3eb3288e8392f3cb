#Requires -Version 5.1
# The module as a user gets it: Get-Help from the repository and from the package, the package installed into a
# module folder and imported by name, and the README's first example run as the README says.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
    Import-Module $script:Manifest -Force
    $script:Root = Split-Path -Parent $script:Manifest
    $script:Cmdlets = @((Import-PowerShellDataFile -Path $script:Manifest).CmdletsToExport)
}

AfterAll {
    Remove-Module PrismQ -Force -ErrorAction SilentlyContinue
    Remove-TestRoot
}

Describe 'Cmdlet help' {
    It 'gives <_> a synopsis, a description and examples from its page' -ForEach @(
        'Add-PrismQTask', 'Backup-PrismQDatabase', 'Export-PrismQTrace', 'Get-PrismQQueue', 'Get-PrismQTask',
        'Get-PrismQTrace', 'Get-PrismQWorker', 'Initialize-PrismQDatabase', 'Invoke-PrismQMaintenance',
        'Remove-PrismQTask', 'Restart-PrismQTask', 'Resume-PrismQQueue', 'Set-PrismQTaskProgress', 'Start-PrismQWorker',
        'Stop-PrismQTask', 'Suspend-PrismQQueue', 'Wait-PrismQTask', 'Write-PrismQTrace') {
        $name = $_
        $page = Get-Content -Raw -Path (Join-Path $script:Root "docs/cmdlets/$name.md")
        $synopsis = ([regex]::Match($page, '(?ms)^## SYNOPSIS\s*\r?\n(.+?)\r?\n\s*\r?\n')).Groups[1].Value.Trim()
        $help = Get-Help -Name $name -Full
        $help.Synopsis.Trim() | Should -Be $synopsis
        ($help.Description | Out-String) | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -Be ([regex]::Matches($page, '(?m)^### Example')).Count
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'covers every exported cmdlet in the list above' {
        $script:Cmdlets.Count | Should -Be 18
    }

    It 'finds the about topic' {
        (Get-Help about_PrismQ | Out-String) | Should -Match 'PrismQ'
    }

    It 'ships MAML that is in step with docs/cmdlets (regenerate with ./build.ps1 -Task Help)' {
        $platy = Join-Path $script:Root '../shared/tools/platyPS/0.14.2/platyPS.psd1'
        if (-not (Test-Path $platy)) {
            $installed = Get-Module -ListAvailable platyPS | Select-Object -First 1
            if ($null -eq $installed) { Set-ItResult -Skipped -Because 'platyPS is not installed here'; return }
            $platy = $installed.Path
        }
        $out = Join-Path $script:TempRoot 'maml'
        $script = "Import-Module '$platy'; New-ExternalHelp -Path '$(Join-Path $script:Root 'docs/cmdlets')' -OutputPath '$out' -Force | Out-Null"
        $run = Invoke-ChildScript -Script $script
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $fresh = Get-Content -Raw -Path (Join-Path $out 'PrismQ.PowerShell.dll-Help.xml')
        $shipped = Get-Content -Raw -Path (Join-Path $script:Root 'module/en-US/PrismQ.PowerShell.dll-Help.xml')
        ($fresh -replace '\r\n', "`n") | Should -BeExactly ($shipped -replace '\r\n', "`n")
    }
}

Describe 'The package' {
    BeforeAll {
        $build = Invoke-ChildScript -Script "& '$(Join-Path $script:Root 'build.ps1')' -Task Package" -TimeoutSeconds 600
        $build.ExitCode | Should -Be 0 -Because ($build.Output + $build.Error)
        $version = (Import-PowerShellDataFile -Path $script:Manifest).ModuleVersion
        # Installed as Install-Module would lay it out: <a folder of PSModulePath>/PrismQ/<version>.
        $script:Modules = Join-Path $script:TempRoot 'Modules'
        New-Item -ItemType Directory -Path (Join-Path $script:Modules 'PrismQ') -Force | Out-Null
        Copy-Item -Path (Join-Path $script:Root "out/PrismQ/$version") -Destination (Join-Path $script:Modules "PrismQ/$version") -Recurse -Force
        $script:UseInstalled = "`$env:PSModulePath = '$($script:Modules)' + [System.IO.Path]::PathSeparator + `$env:PSModulePath`n"
    }

    It 'imports by name from a module folder, with help, and runs a task' {
        $db = New-TestDatabase
        $run = Invoke-ChildScript -Script ($script:UseInstalled + @"
`$ErrorActionPreference = 'Stop'
Import-Module PrismQ
(Get-Module PrismQ).ModuleBase
(Get-Help Start-PrismQWorker).Synopsis
Add-PrismQTask -Type t -Payload 21 -Database '$db' | Out-Null
(Start-PrismQWorker -Database '$db' -MaxTasks 1 -Handler @{ t = { param(`$Task) `$Task.Payload * 2 } }).Succeeded
(Get-PrismQTask -Database '$db').Result
"@)
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $lines = @($run.Output -split '\r?\n' | Where-Object { $_ })
        $lines[0] | Should -BeLike "$($script:Modules)*"
        $lines[1] | Should -Match 'worker'
        $lines[2] | Should -Be '1'
        $lines[3] | Should -Be '42'
    }
}

Describe 'The README' {
    It 'runs the first example as its set-up command says, leaving nothing in the repository' {
        $before = @(git -C $script:Root status --porcelain --untracked-files=all)
        $run = Invoke-ChildScript -Script "& '$(Join-Path $script:Root 'docs/examples/first-example.ps1')'" -TimeoutSeconds 600
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Output | Should -Match 'Result\s*:\s*Hello, world!'
        $run.Output | Should -Match 'Status\s*:\s*Succeeded'
        @(git -C $script:Root status --porcelain --untracked-files=all) | Should -Be $before
    }

    It 'shows the same PowerShell as the example script runs' {
        $readme = Get-Content -Raw -Path (Join-Path $script:Root 'README.md')
        $script = Get-Content -Raw -Path (Join-Path $script:Root 'docs/examples/first-example.ps1')
        foreach ($command in 'Add-PrismQTask -Type hello', 'Start-PrismQWorker -Database $db -MaxTasks 1', 'Format-List Id, Type, Status, Result') {
            $readme | Should -Match ([regex]::Escape($command))
            $script | Should -Match ([regex]::Escape($command))
        }
        $readme | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh -NoProfile -File ./docs/examples/first-example.ps1'))
        $readme | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh -NoProfile -File ./build.ps1 -Task Test'))
        (Get-Content -Raw -Path (Join-Path $script:Root '.ci/run')) | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh -NoProfile -File ./build.ps1 -Task Test'))
    }
}

Describe 'The quick start''s Task Scheduler worker script' {
    BeforeAll {
        $quickstart = Get-Content -Raw -Path (Join-Path $script:Root 'docs/quickstart.md')
        $script:WorkerScript = [regex]::Match($quickstart, '(?ms)^```powershell\r?\n(# C:\\PrismQ\\worker\.ps1.*?)^```').Groups[1].Value
    }

    It 'logs the run in a transcript and exits 1 when a task was dead-lettered, 0 otherwise' {
        $script:WorkerScript | Should -Not -BeNullOrEmpty
        foreach ($case in @(@{ Payload = 'x'; Exit = 1 }, @{ Payload = 7; Exit = 0 })) {
            $db = New-TestDatabase
            $logs = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N'))
            Add-PrismQTask -Database $db -Type square -Payload $case.Payload -MaxAttempts 1 | Out-Null
            # The page's script with this machine's paths, the module imported from the repository, and a short bound.
            $text = $script:WorkerScript.Replace('C:\PrismQ\logs', $logs).Replace('C:\Users\ada\prismq-demo\queue.db', $db)
            $text = $text.Replace('Import-Module PrismQ', "Import-Module '$($script:Manifest)'")
            $text = $text.Replace('-MaxRunTime (New-TimeSpan -Minutes 55)', '-MaxRunTime (New-TimeSpan -Minutes 2) -IdleTimeout (New-TimeSpan -Seconds 1)')
            $run = Invoke-ChildScript -Script $text
            $run.ExitCode | Should -Be $case.Exit -Because ($run.Output + $run.Error)
            $log = Get-ChildItem -Path $logs -Filter 'worker-*.log' | Select-Object -First 1
            $log | Should -Not -BeNullOrEmpty
            $transcript = Get-Content -Raw -Path $log.FullName
            $transcript | Should -Match ('Succeeded\s*:\s*' + (1 - $case.Exit))
            $transcript | Should -Match ('Failed\s*:\s*' + $case.Exit)
            if ($case.Exit -eq 1) { $transcript | Should -Match 'WARNING: PrismQ task \d+ .*square.*failed' }
        }
    }
}
