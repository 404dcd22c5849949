'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
const { createHash } = require('node:crypto');
const { readFile, writeFile } = require('node:fs/promises');

/**
 * The seed parameters an MSI accepts as public properties
 * (`msiexec /i Outpost-x.y.z-x64.msi /qn ICINGA_MASTER=… ICINGA_TICKET=…`),
 * the same names as the NSIS switches and seed.ini keys
 * (declared by each protocol's main/core/protocols/<name>/seed.ts, agent-wide ones in
 * main/core/deploy/seed.ts; tests/build/config.test.ts checks both lists match).
 */
const PARAMETERS = [
  'AGENT_NAME',
  'AUTO_UPDATE',
  'ICINGA_MASTER',
  'ICINGA_TICKET',
  'ICINGA_FINGERPRINT',
  'ICINGA_CN',
  'ICINGA_TARGET',
  'TENTACLE_SERVER',
  'TENTACLE_PASSWORD',
  'TENTACLE_TLS',
  'TENTACLE_CA',
  'TENTACLE_TARGET',
  'TENTACLE_SECONDARY',
  'TENTACLE_SECONDARY_MODE',
  'TENTACLE_SECONDARY_TLS',
  'TENTACLE_SECONDARY_CA',
  'TENTACLE_SECONDARY_PASSWORD',
  'GORGONE_SERVER',
  'GORGONE_NODE_ID',
  'GORGONE_PUBKEY',
  'GORGONE_THUMBPRINT',
  'GORGONE_TARGET',
  'ONSPHERE_DISPATCHER',
  'ONSPHERE_CA',
  'ONSPHERE_CERT',
  'ONSPHERE_KEY',
  'ONSPHERE_TARGET',
  'PANDORA_CONF',
  'PANDORA_AGENT',
];
/** Kept out of msiexec's verbose log (Property/@Hidden). */
const SECRETS = new Set(['ICINGA_TICKET', 'TENTACLE_PASSWORD', 'TENTACLE_SECONDARY_PASSWORD']);

/** A stable component GUID per parameter (a registry key path cannot have an auto GUID). */
function guidFor(name) {
  // 'path' is not a seed parameter: its GUID cannot collide with one of theirs.
  const hex = createHash('sha1').update(`outpost-msi-seed/${name}`).digest('hex');
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}}`.toUpperCase();
}

/** WiX fragment: each property given on the command line becomes a line of %ProgramData%\Outpost\seed.ini. */
function seedFragment() {
  const properties = PARAMETERS.map(
    (p) => `    <Property Id="${p}" Secure="yes"${SECRETS.has(p) ? ' Hidden="yes"' : ''}/>`,
  );
  const components = PARAMETERS.map(
    (p) => `      <Component Id="OutpostSeed_${p}" Directory="OUTPOSTSEEDDIR" Guid="${guidFor(p)}">
        <Condition>${p}</Condition>
        <RegistryValue Root="HKMU" Key="Software\\Outpost\\Seed" Name="${p}" Type="integer" Value="1" KeyPath="yes"/>
        <IniFile Id="OutpostSeedIni_${p}" Action="addLine" Directory="OUTPOSTSEEDDIR" Name="seed.ini" Section="seed" Key="${p}" Value="[${p}]"/>
      </Component>`,
  );
  return `
    <!-- Outpost silent-deployment seed (build/hooks/msi-project.cjs) -->
${properties.join('\n')}
    <DirectoryRef Id="TARGETDIR">
      <Directory Id="CommonAppDataFolder">
        <Directory Id="OUTPOSTSEEDDIR" Name="Outpost"/>
      </Directory>
    </DirectoryRef>
    <Feature Id="OutpostSeed" Level="1" Absent="disallow">
${components.join('\n')}
    </Feature>
`;
}

/**
 * WiX fragment: the `outpost` command (issue #17), [APPLICATIONFOLDER]resources\bin,
 * appended to the machine's PATH and removed with the product; ADD_TO_PATH=0
 * on the msiexec command line leaves PATH alone (give it to every version you
 * deploy: an upgrade installs afresh).
 */
function pathFragment() {
  return `
    <!-- Outpost command on PATH (build/hooks/msi-project.cjs) -->
    <Property Id="ADD_TO_PATH" Value="1" Secure="yes"/>
    <Feature Id="OutpostPath" Level="1" Absent="disallow">
      <Component Id="OutpostPath" Directory="APPLICATIONFOLDER" Guid="${guidFor('path')}">
        <Condition>ADD_TO_PATH = "1"</Condition>
        <Environment Id="OutpostPathEntry" Name="PATH" Value="[APPLICATIONFOLDER]resources\\bin" Action="set" Part="last" Permanent="no" System="yes"/>
        <RegistryValue Root="HKMU" Key="Software\\Outpost" Name="OnPath" Type="integer" Value="1" KeyPath="yes"/>
      </Component>
    </Feature>
`;
}

/** electron-builder `msiProjectCreated`: adds the seed properties and the PATH entry to the generated project.wxs. */
exports.default = async function msiProjectCreated(projectFile) {
  const wxs = await readFile(projectFile, 'utf8');
  if (!wxs.includes('</Product>'))
    throw new Error(`[outpost] ${projectFile} has no </Product>: the MSI template changed`);
  await writeFile(
    projectFile,
    wxs.replace('</Product>', `${seedFragment()}${pathFragment()}  </Product>`),
  );
};
exports.PARAMETERS = PARAMETERS;
exports.seedFragment = seedFragment;
exports.pathFragment = pathFragment;
