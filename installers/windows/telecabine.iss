; Inno Setup script for the Telecabine station (Windows, per-machine install).
; Build on Windows after PyInstaller (see .github/workflows/installers.yml):
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\telecabine installers\windows\telecabine.iss
; Code signing: define a sign tool in the IDE or on the command line, e.g.
;   iscc "/Ssigntool=signtool.exe sign /fd sha256 /tr http://timestamp.example /td sha256 /a $f" ...
; and build with /DSign=1; SignTool= below then signs the installer and the uninstaller.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\telecabine"
#endif

[Setup]
AppId={{6F1C2A7E-3B9D-4B7C-9E55-2D8F0A4C7B11}
AppName=Telecabine
AppVersion={#AppVersion}
AppPublisher=Telecabine
DefaultDirName={autopf}\Telecabine
DefaultGroupName=Telecabine
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=telecabine-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\telecabine.exe
CloseApplications=yes
#ifdef Sign
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "french"; MessagesFile: "compiler:Languages\French.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
french.KioskTask=Démarrer Télécabine en mode kiosque à l'ouverture de session
english.KioskTask=Start Telecabine in kiosk mode at sign-in
french.PurgeData=Supprimer aussi les données patients locales de ce compte ? Elles sont chiffrées ; ne le faites qu'une fois la facturation synchronisée.
english.PurgeData=Also delete this account's local patient data? It is encrypted; only do this once billing has been synced.

[Tasks]
Name: "kiosk"; Description: "{cm:KioskTask}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "telecabine-kiosk.ps1"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\Telecabine"; Filename: "{app}\telecabine.exe"; Parameters: "run"
Name: "{group}\{cm:UninstallProgram,Telecabine}"; Filename: "{uninstallexe}"
; Kiosk autostart for every user of the machine (the cabin's account), only if chosen.
; Full screen only when started this way: the Start Menu entry stays a normal window.
; Started through telecabine-kiosk.ps1: it restarts the station after a crash (not after a
; normal exit), at most 5 times in 5 minutes, as Restart=on-failure does on Linux.
Name: "{commonstartup}\Telecabine (kiosk)"; Filename: "{sys}\WindowsPowerShell\v1.0\powershell.exe"; Parameters: "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File ""{app}\telecabine-kiosk.ps1"""; WorkingDir: "{app}"; IconFilename: "{app}\telecabine.exe"; Tasks: kiosk

[Run]
Filename: "{app}\telecabine.exe"; Parameters: "run"; Description: "{cm:LaunchProgram,Telecabine}"; Flags: nowait postinstall skipifsilent

[Code]
// Uninstall keeps patient data (in %LOCALAPPDATA%\telecabine) unless the user asks to purge.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\telecabine');
    if DirExists(DataDir) and (not UninstallSilent) then
      if MsgBox(CustomMessage('PurgeData'), mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
