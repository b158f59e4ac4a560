# Kiosk launcher (Windows): starts the station full screen and starts it again after a crash,
# as the systemd unit does on Linux (Restart=on-failure with a burst limit).
# A normal exit (exit code 0: closed by the staff, session ended) is not restarted; a crash or
# an error exit is, 3 s later, unless 5 crashes happened within 5 minutes (then it stops, so a
# broken installation does not loop forever; the next sign-in tries again). The next start
# shows the staff what happened (banner) and offers the patient in progress back.
$ErrorActionPreference = 'Stop'
$exe = Join-Path $PSScriptRoot 'telecabine.exe'
$recent = @()
while ($true) {
    $station = Start-Process -FilePath $exe -ArgumentList 'run', '--kiosk' -Wait -PassThru
    if ($station.ExitCode -eq 0) { break }
    $now = Get-Date
    $recent = @($recent | Where-Object { ($now - $_).TotalMinutes -lt 5 }) + $now
    if ($recent.Count -ge 5) { break }
    Start-Sleep -Seconds 3
}
