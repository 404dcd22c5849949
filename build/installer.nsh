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
  ${if} $R3 == "1"
  ${andIf} $installMode == "all"
    ; The first user whose agent starts consumes the seed: it must be able to
    ; delete it (BUILTIN\Users = S-1-5-32-545), and nobody else needs it after.
    nsExec::Exec 'icacls "$R2\seed.ini" /inheritance:r /grant:r *S-1-5-18:F *S-1-5-32-544:F *S-1-5-32-545:M'
    Pop $R1
  ${endIf}
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
!macroend
