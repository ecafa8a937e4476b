; Inno Setup 6 script (UTF-8 with BOM, so compilers older than 6.3 read the Chinese too) for POSDesk (分润台): one setup .exe from the PyInstaller folder.
;
;   iscc /DAppVersion=0.1.0 build\posdesk.iss
;
; reads dist\posdesk\ (pyinstaller build\posdesk.spec --distpath dist) and writes
; dist\installer\POSDesk-Setup-<version>.exe.  See build\README.md.
;
; * Per user, no administrator rights by default (PrivilegesRequired=lowest installs under
;   %LOCALAPPDATA%\Programs\POSDesk); the first page lets an administrator choose "all users".
; * Start menu shortcut always, desktop shortcut as an option.
; * Upgrade in place: the same AppId finds the older install and reuses its folder; the old
;   program files are replaced, the data folder is not touched.  The database is migrated
;   by the new version on its first start (app/models/migrations).
; * The user's data (database, backups, logs) lives in %LOCALAPPDATA%\POSDesk, outside the
;   program folder; the uninstaller keeps it unless the user says to delete it.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\posdesk"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist\installer"
#endif
#define AppName "分润台 POSDesk"
#define AppExe "posdesk.exe"
#define IconFile AddBackslash(SourcePath) + "..\resources\icons\posdesk.ico"

[Setup]
; never change AppId: it is how an upgrade finds the installed version
AppId={{5B0E6F3C-7D1A-4C52-9E0B-2F7A3C9D4E81}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=POSDesk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\POSDesk
DefaultGroupName=分润台
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=POSDesk-Setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
; a running POSDesk holds its files: ask it to close (Restart Manager) before replacing them
CloseApplications=yes
RestartApplications=no
#if FileExists(IconFile)
SetupIconFile={#IconFile}
#endif

[Languages]
; Inno Setup 6.5+ ships Simplified Chinese; older compilers fall back to English
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
Name: "chs"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#else
Name: "en"; MessagesFile: "compiler:Default.isl"
#endif

[CustomMessages]
DesktopIcon=在桌面创建快捷方式
ShortcutsGroup=快捷方式:
LaunchApp=立即启动分润台
DeleteDataPrompt=是否同时删除分润台的数据文件夹?%n%n%1%n%n其中有数据库、备份和日志。选“否”则保留,以后重新安装可以接着用。
DataFolderKept=数据文件夹已保留:%1

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"; GroupDescription: "{cm:ShortcutsGroup}"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the whole runtime: stale libraries from an older build must not linger
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\分润台"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\分润台"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchApp}"; Flags: nowait postinstall skipifsilent

[Code]
{ The data folder is platformdirs' user_data_dir("POSDesk", appauthor=False):
  %LOCALAPPDATA%\POSDesk (the database, backups, Logs).  It is the user's, not the
  program's: keep it unless the user explicitly asks, and never in a silent uninstall. }
function DataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\POSDesk');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataDir()) and not UninstallSilent() then
  begin
    if MsgBox(FmtMessage(CustomMessage('DeleteDataPrompt'), [DataDir()]),
              mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
    begin
      DelTree(DataDir(), True, True, True);
      { window size and other view settings kept by QSettings }
      RegDeleteKeyIncludingSubkeys(HKCU, 'Software\POSDesk');
    end
    else
      MsgBox(FmtMessage(CustomMessage('DataFolderKept'), [DataDir()]), mbInformation, MB_OK);
  end;
end;
