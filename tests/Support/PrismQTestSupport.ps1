# Shared helpers of the Pester suites. Dot-source it in a BeforeAll: . (Join-Path $PSScriptRoot 'Support/PrismQTestSupport.ps1')
# Every helper works the same in PowerShell 7 and Windows PowerShell 5.1.

$script:Manifest = Join-Path (Split-Path -Parent $PSScriptRoot) 'PrismQ.psd1'
if (-not (Test-Path -LiteralPath $script:Manifest)) { $script:Manifest = Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'PrismQ.psd1' }
$script:TempRoot = Join-Path ([System.IO.Path]::GetTempPath()) ('prismq-pester-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $script:TempRoot -Force | Out-Null

# The executable of this PowerShell, never a shim: the .NET tool's 'pwsh' on PATH (and 'dotnet pwsh') starts PowerShell
# as a child process, so killing the shim would leave the worker running. $PSHOME holds the real executable.
function Get-PowerShellExecutable {
    if ($PSVersionTable.PSEdition -eq 'Desktop') { return Join-Path $PSHOME 'powershell.exe' }
    $name = if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' }
    Join-Path $PSHOME $name
}
$script:Exe = Get-PowerShellExecutable

function New-TestDatabase {
    Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '.db')
}

# Starts a child PowerShell on a command; -EncodedCommand avoids any quoting trouble.
# Process.Start rather than Start-Process -PassThru: the Process object then owns the process handle, so ExitCode
# can be read after the exit (on Windows, Start-Process -PassThru gives a Process whose ExitCode can stay empty).
function Start-ChildPowerShell([string] $Command, [switch] $RedirectOutput) {
    $Command = "`$ProgressPreference = 'SilentlyContinue'`n" + $Command
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Command))
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $script:Exe
    $start.Arguments = '-NoProfile -NonInteractive -EncodedCommand ' + $encoded
    $start.UseShellExecute = $false
    $start.CreateNoWindow = $true
    if ($RedirectOutput) { $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true }
    [System.Diagnostics.Process]::Start($start)
}

# Runs a user scenario as a user runs it: the script text is written to a .ps1 file, and a child PowerShell runs that
# file with -File (-NonInteractive, no profile), so nothing of Pester's scope or error handling reaches it.
# The module is imported by the script itself when -ImportModule is given. Returns an object with ExitCode, Output
# (stdout, without ANSI colour sequences), Error (stderr, the same), RawOutput and Path (the script file). -Arguments are passed to the script; -TimeoutSeconds bounds it.
function Invoke-ChildScript {
    param(
        [Parameter(Mandatory)] [string] $Script,
        [switch] $ImportModule,
        [string[]] $Arguments = @(),
        [int] $TimeoutSeconds = 120
    )
    $path = Join-Path $script:TempRoot ([guid]::NewGuid().ToString('N') + '.ps1')
    $text = if ($ImportModule) { "Import-Module '$($script:Manifest)'`n" + $Script } else { $Script }
    [System.IO.File]::WriteAllText($path, $text, (New-Object System.Text.UTF8Encoding($true)))
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $script:Exe
    $quoted = @($Arguments | ForEach-Object { '"' + ($_ -replace '"', '\"') + '"' })
    $start.Arguments = ('-NoProfile -NonInteractive -File "{0}" {1}' -f $path, ($quoted -join ' ')).TrimEnd()
    $start.UseShellExecute = $false
    $start.CreateNoWindow = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill()
        throw "The child script $path did not end within $TimeoutSeconds s. Output so far: $($stdout.Result)"
    }
    $process.WaitForExit()
    # PowerShell 7 may colour its output even when redirected: Output and Error are plain text, RawOutput as written.
    $ansi = [char]27 + '\[[0-9;?]*[A-Za-z]'
    [pscustomobject]@{
        ExitCode = $process.ExitCode; Output = $stdout.Result -replace $ansi, ''; Error = $stderr.Result -replace $ansi, ''
        RawOutput = $stdout.Result; Path = $path
    }
}

function Remove-TestRoot {
    Remove-Item -Path $script:TempRoot -Recurse -Force -ErrorAction SilentlyContinue
}

# A PostgreSQL URI for one test: the server of PRISMQ_TEST_POSTGRES with a schema of its own (the PostgreSQL store keeps
# its tables in the URI's schema), dropped by Remove-TestPostgresSchema.
function New-TestPostgresUri {
    $base = $env:PRISMQ_TEST_POSTGRES
    if (-not $base) { throw 'PRISMQ_TEST_POSTGRES is not set (bash .ci/postgres starts a server and prints its URI).' }
    $separator = if ($base.Contains('?')) { '&' } else { '?' }
    '{0}{1}schema=pester_{2}' -f $base, $separator, [guid]::NewGuid().ToString('N')
}

# Drops the schema of a URI made by New-TestPostgresUri (with psql, which the PostgreSQL packages install).
function Remove-TestPostgresSchema([string] $Uri) {
    if ($Uri -notmatch '[?&]schema=(pester_[0-9a-f]{32})') { return }
    $schema = $Matches[1]
    $server = $Uri -replace '[?&]schema=pester_[0-9a-f]{32}', ''
    & psql $server -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" 2>&1 | Out-Null
}
