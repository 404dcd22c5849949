; Outpost NSIS additions (electron-builder `nsis.include`).
;
; Silent mass deployment (build/README.md "Installing and deploying"):
;   Outpost-Setup-<version>.exe /S [/allusers] /ICINGA_MASTER=icinga.example.org /ICINGA_TICKET=<ticket> ...
; Every /NAME=VALUE below is written to seed.ini, which the agent applies once
; on its first start (main/core/deploy/seed.ts validates it, moves the secrets
; to the secret store and deletes the file):
;   per-user install (default):  %APPDATA%\Outpost\seed.ini  (the user's data folder)
;   per-machine (/allusers):     %ProgramData%\Outpost\seed.ini
; A value runs up to the next " /": it may contain spaces but not " /".
;
; The `outpost` command (issue #17): $INSTDIR\resources\bin\outpost.exe goes on
; PATH (the user's PATH for a per-user install, the machine's with /allusers),
; unless the installer is given /NOPATH. The choice is kept (Software\Outpost
; NoPath) so that an update, which runs the installer again without the
; switch, does not put it back; uninstalling removes the entry.

!include WinMessages.nsh

; Adds (ACTION add) or removes (remove) $INSTDIR\resources\bin in the PATH of
; this install mode. PowerShell edits the raw registry value (REG_EXPAND_SZ
; kept, %VARIABLES% unexpanded, no length limit); the folder reaches it through
; the environment, so that no quote in a path can break the command.
!macro outpostPath ACTION
  ${if} $installMode == "all"
    StrCpy $R5 "HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
  ${else}
    StrCpy $R5 "HKCU:\Environment"
  ${endIf}
  System::Call 'Kernel32::SetEnvironmentVariable(t "OUTPOST_PATH_KEY", t "$R5")'
  System::Call 'Kernel32::SetEnvironmentVariable(t "OUTPOST_PATH_DIR", t "$INSTDIR\resources\bin")'
  nsExec::ExecToLog `"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -Command "$$k = $$env:OUTPOST_PATH_KEY; $$d = $$env:OUTPOST_PATH_DIR; $$p = (Get-Item -LiteralPath $$k).GetValue('Path', '', 'DoNotExpandEnvironmentNames'); $$parts = @($$p -split ';' | Where-Object { $$_ -and $$_ -ne $$d }); if ('${ACTION}' -eq 'add') { $$parts += $$d }; Set-ItemProperty -LiteralPath $$k -Name Path -Value ($$parts -join ';') -Type ExpandString"`
  Pop $R5
  ; Running programs (Explorer, new consoles) read PATH again.
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
!macroend

!macro outpostSeedParameter NAME
  ClearErrors
  ${GetOptions} $R0 "/${NAME}=" $R1
  ${IfNot} ${Errors}
  ${AndIf} $R1 != ""
    CreateDirectory "$R2"
    WriteINIStr "$R2\seed.ini" "seed" "${NAME}" "$R1"
    StrCpy $R3 "1"
  ${EndIf}
!macroend

!macro customInstall
  Push $R0
  Push $R1
  Push $R2
  Push $R3
  ${GetParameters} $R0
  StrCpy $R3 "0"
  ; The multi-user code set the shell context: $APPDATA is %ProgramData% for an
  ; "all users" install and the user's roaming AppData (the data folder) otherwise.
  StrCpy $R2 "$APPDATA\Outpost"
  !insertmacro outpostSeedParameter AGENT_NAME
  !insertmacro outpostSeedParameter AUTO_UPDATE
  !insertmacro outpostSeedParameter ICINGA_MASTER
  !insertmacro outpostSeedParameter ICINGA_TICKET
  !insertmacro outpostSeedParameter ICINGA_FINGERPRINT
  !insertmacro outpostSeedParameter ICINGA_CN
  !insertmacro outpostSeedParameter ICINGA_TARGET
  !insertmacro outpostSeedParameter TENTACLE_SERVER
  !insertmacro outpostSeedParameter TENTACLE_PASSWORD
  !insertmacro outpostSeedParameter TENTACLE_TLS
  !insertmacro outpostSeedParameter TENTACLE_CA
  !insertmacro outpostSeedParameter TENTACLE_TARGET
  !insertmacro outpostSeedParameter TENTACLE_SECONDARY
  !insertmacro outpostSeedParameter TENTACLE_SECONDARY_MODE
  !insertmacro outpostSeedParameter TENTACLE_SECONDARY_TLS
  !insertmacro outpostSeedParameter TENTACLE_SECONDARY_CA
  !insertmacro outpostSeedParameter TENTACLE_SECONDARY_PASSWORD
  !insertmacro outpostSeedParameter GORGONE_SERVER
  !insertmacro outpostSeedParameter GORGONE_NODE_ID
  !insertmacro outpostSeedParameter GORGONE_PUBKEY
  !insertmacro outpostSeedParameter GORGONE_THUMBPRINT
  !insertmacro outpostSeedParameter GORGONE_TARGET
  !insertmacro outpostSeedParameter ONSPHERE_DISPATCHER
  !insertmacro outpostSeedParameter ONSPHERE_CA
  !insertmacro outpostSeedParameter ONSPHERE_CERT
  !insertmacro outpostSeedParameter ONSPHERE_KEY
  !insertmacro outpostSeedParameter ONSPHERE_TARGET
  !insertmacro outpostSeedParameter PANDORA_CONF
  !insertmacro outpostSeedParameter PANDORA_AGENT
  ${if} $R3 == "1"
  ${andIf} $installMode == "all"
    ; The first user whose agent starts consumes the seed: it must be able to
    ; delete it (BUILTIN\Users = S-1-5-32-545), and nobody else needs it after.
    nsExec::Exec 'icacls "$R2\seed.ini" /inheritance:r /grant:r *S-1-5-18:F *S-1-5-32-544:F *S-1-5-32-545:M'
    Pop $R1
  ${endIf}
  ; The `outpost` command on PATH, unless /NOPATH now or at an earlier install.
  Push $R5
  ClearErrors
  ${GetOptions} $R0 "/NOPATH" $R1
  ${IfNot} ${Errors}
    WriteRegDWORD SHCTX "Software\Outpost" "NoPath" 1
  ${EndIf}
  ClearErrors
  ReadRegDWORD $R1 SHCTX "Software\Outpost" "NoPath"
  ${If} ${Errors}
  ${OrIf} $R1 != 1
    !insertmacro outpostPath add
  ${Else}
    DetailPrint "Outpost: not adding $INSTDIR\resources\bin to PATH (/NOPATH)"
  ${EndIf}
  Pop $R5
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
!macroend

!macro customUnInstall
  ; An update uninstalls the old version first: PATH and the /NOPATH choice stay.
  ${ifNot} ${isUpdated}
    Push $R5
    !insertmacro outpostPath remove
    DeleteRegValue SHCTX "Software\Outpost" "NoPath"
    Pop $R5
  ${endIf}
!macroend
