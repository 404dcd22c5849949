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
];
/** Kept out of msiexec's verbose log (Property/@Hidden). */
const SECRETS = new Set(['ICINGA_TICKET', 'TENTACLE_PASSWORD']);

/** A stable component GUID per parameter (a registry key path cannot have an auto GUID). */
function guidFor(name) {
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

/** electron-builder `msiProjectCreated`: adds the seed properties to the generated project.wxs. */
exports.default = async function msiProjectCreated(projectFile) {
  const wxs = await readFile(projectFile, 'utf8');
  if (!wxs.includes('</Product>'))
    throw new Error(`[outpost] ${projectFile} has no </Product>: the MSI template changed`);
  await writeFile(projectFile, wxs.replace('</Product>', `${seedFragment()}  </Product>`));
};
exports.PARAMETERS = PARAMETERS;
exports.seedFragment = seedFragment;
