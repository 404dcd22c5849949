import { X509Certificate } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import { commonName, normalizeFingerprint } from '../../identity/x509.ts';
import { DEFAULT_PORT, icingaTargetConfigSchema } from '../../protocols/icinga/config.ts';
import { assertTargetName } from '../../targets/registry.ts';
import type { ChecksService } from '../service.ts';
import {
  parseIcingaConf,
  resolveValue,
  type IcingaObject,
  type IcingaValue,
} from './icinga-conf.ts';
import { emptyReport } from './report.ts';
import { type ImportReport } from '../../contract/import-report.ts';

const SYSTEM_CERTS_DIR = '/var/lib/icinga2/certs';

export interface IcingaImportRequest {
  dir: string;
  certsDir?: string | undefined;
  target?: string | undefined;
  dryRun: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function str(value: IcingaValue | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/**
 * An Icinga agent (what `icinga2 node setup` left in /etc/icinga2 and
 * /var/lib/icinga2/certs) → an Icinga target with the same endpoint name,
 * zone, parent endpoint and certificates, so the master sees the same agent.
 */
export async function importIcingaAgent(
  ctx: AgentContext,
  _service: ChecksService,
  request: IcingaImportRequest,
): Promise<ImportReport> {
  const zonesPath = join(request.dir, 'zones.conf');
  const constantsPath = join(request.dir, 'constants.conf');
  const zonesText = await readOptional(zonesPath);
  if (zonesText === undefined) {
    throw new AgentError(
      'not-found',
      `no zones.conf in ${request.dir}: give the Icinga configuration directory (e.g. /etc/icinga2)`,
      { field: 'dir' },
    );
  }
  const targetName = request.target ?? 'icinga';
  assertTargetName(targetName, 'target');
  const report = emptyReport(request.dir, request.dryRun);
  const constantsText = await readOptional(constantsPath);
  const constants =
    constantsText === undefined ? undefined : parseIcingaConf(constantsText, constantsPath);
  if (constants !== undefined) {
    report.unmapped.push(...constants.problems);
    for (const o of constants.objects)
      report.unmapped.push({
        file: constantsPath,
        line: o.line,
        text: `object ${o.type} "${o.name}"`,
        reason: 'objects in constants.conf are not read',
      });
  } else {
    report.notes.push(
      `no constants.conf in ${request.dir}: NodeName and ZoneName come from zones.conf alone`,
    );
  }
  // Icinga's built-in default: ZoneName = NodeName.
  const seeded = new Map(constants?.constants);
  const declaredNode = seeded.get('NodeName');
  if (!seeded.has('ZoneName') && declaredNode !== undefined) seeded.set('ZoneName', declaredNode);
  const zones = parseIcingaConf(zonesText, zonesPath, seeded);
  report.unmapped.push(...zones.problems);
  const known = zones.constants;
  const nodeName = str(known.get('NodeName')?.value);
  if (nodeName === undefined) {
    throw new AgentError(
      'invalid-request',
      `${constantsPath} does not define NodeName: cannot tell this agent's endpoint name`,
      { field: 'dir' },
    );
  }
  const zoneName = str(known.get('ZoneName')?.value) ?? nodeName;
  const byName = (type: string, name: string): IcingaObject | undefined =>
    zones.objects.find((o) => o.type === type && o.name === name);
  const attr = (o: IcingaObject, key: string): IcingaValue | undefined => {
    const a = o.attrs.get(key);
    return a === undefined ? undefined : resolveValue(a.value, known);
  };
  const ownZone = byName('Zone', zoneName);
  if (ownZone === undefined) {
    throw new AgentError(
      'invalid-request',
      `${zonesPath} has no Zone "${zoneName}" (ZoneName): not an agent's zones.conf?`,
      { field: 'dir' },
    );
  }
  const parentName = str(attr(ownZone, 'parent'));
  if (parentName === undefined) {
    throw new AgentError(
      'invalid-request',
      `Zone "${zoneName}" in ${zonesPath} (line ${ownZone.line}) has no parent: there is no master to connect to`,
      { field: 'dir' },
    );
  }
  const parentZone = byName('Zone', parentName);
  const parentEndpoints =
    parentZone === undefined
      ? []
      : ((attr(parentZone, 'endpoints') as IcingaValue[] | undefined) ?? [])
          .map(str)
          .filter((e): e is string => e !== undefined);
  if (parentZone === undefined || parentEndpoints.length === 0) {
    throw new AgentError(
      'invalid-request',
      `${zonesPath}: the parent zone "${parentName}" is not defined with its endpoints`,
      { field: 'dir' },
    );
  }
  const candidates = parentEndpoints
    .map((name) => byName('Endpoint', name))
    .filter((e): e is IcingaObject => e !== undefined);
  // Icinga's rule: the agent connects to every endpoint of its parent zone that has a host (HA, issue #18).
  const masters = candidates.filter((e) => attr(e, 'host') !== undefined);
  if (masters.length === 0) {
    throw new AgentError(
      'invalid-request',
      `${zonesPath}: no endpoint of zone "${parentName}" has a host attribute: the agent never connected itself (master-connects mode), Outpost needs an address`,
      { field: 'dir' },
    );
  }
  for (const other of candidates) {
    if (!masters.includes(other))
      report.unmapped.push({
        file: zonesPath,
        line: other.line,
        text: `object Endpoint "${other.name}"`,
        reason:
          'endpoint of the parent zone without host: that master connects to the agent, which Outpost does not accept; give it a host to have Outpost connect to it',
      });
  }
  const masterAddress = (master: IcingaObject): { host: string | undefined; port: number } => {
    const portValue = attr(master, 'port');
    const port = portValue === undefined ? DEFAULT_PORT : Number(str(portValue));
    return {
      host: str(attr(master, 'host')),
      port: Number.isInteger(port) && port > 0 && port < 65_536 ? port : DEFAULT_PORT,
    };
  };
  // trusted-parent.crt is the certificate of the master `node setup` was pointed at: pinned for that one.
  const certsDir =
    request.certsDir ??
    ((await exists(join(request.dir, 'certs'))) ? join(request.dir, 'certs') : SYSTEM_CERTS_DIR);
  const parentPem = await readOptional(join(certsDir, 'trusted-parent.crt'));
  const parentCert = parentPem === undefined ? undefined : new X509Certificate(parentPem);
  const parentFingerprint =
    parentCert === undefined ? undefined : normalizeFingerprint(parentCert.fingerprint256);
  const parentCn = parentCert === undefined ? undefined : commonName(parentCert.subject);
  // The master the pin is for: the one trusted-parent.crt names (the first when it names none, as masterPins reads it).
  const pinned =
    parentCert === undefined
      ? undefined
      : parentCn === undefined
        ? masters[0]
        : masters.find((m) => m.name === parentCn);
  const config = icingaTargetConfigSchema.parse({
    masters: masters.map((m) => ({
      ...masterAddress(m),
      endpoint: m.name,
      ...(parentFingerprint !== undefined && parentCn === m.name
        ? { fingerprint: parentFingerprint.replace(/:/g, '').toLowerCase() }
        : {}),
    })),
    cn: nodeName,
    zone: zoneName,
  });
  const mapped = new Set([ownZone, parentZone, ...masters, byName('Endpoint', nodeName)]);
  for (const o of zones.objects) {
    if (mapped.has(o)) continue;
    if (o.type === 'Zone' && attr(o, 'global') === true) {
      report.unmapped.push({
        file: zonesPath,
        line: o.line,
        text: `object Zone "${o.name}"`,
        reason: 'global zone: config sync is not supported by Outpost (results only)',
      });
    } else if (!(o.type === 'Endpoint' && candidates.includes(o))) {
      report.unmapped.push({
        file: zonesPath,
        line: o.line,
        text: `object ${o.type} "${o.name}"`,
        reason: 'not needed to reach the parent zone',
      });
    }
  }

  // Certificates: node setup writes NodeName.crt/.key, ca.crt and trusted-parent.crt.
  const certPem = await readOptional(join(certsDir, `${nodeName}.crt`));
  const keyPem = await readOptional(join(certsDir, `${nodeName}.key`));
  const caPem = await readOptional(join(certsDir, 'ca.crt'));
  const missing = [
    [certPem, `${nodeName}.crt`],
    [keyPem, `${nodeName}.key`],
    [caPem, 'ca.crt'],
  ]
    .filter(([v]) => v === undefined)
    .map(([, n]) => n!);
  if (missing.length > 0) {
    report.unmapped.push({
      file: certsDir,
      reason: `missing ${missing.join(', ')}: pair the target again (outpost pair icinga) to get a certificate`,
    });
  }
  const parentSubject = parentCert?.subject;
  const unpinned = masters.filter((m) => m !== pinned).map((m) => m.name);
  if (parentCert === undefined) {
    report.notes.push(
      masters.length === 1
        ? 'no trusted-parent.crt: the master certificate will be checked against ca.crt only, not pinned'
        : `no trusted-parent.crt: the certificates of the masters ${unpinned.join(', ')} will be checked against ca.crt only, not pinned`,
    );
  } else if (pinned === undefined) {
    report.notes.push(
      `trusted-parent.crt is the certificate of '${parentCn ?? ''}', no master of zone "${parentName}" (${unpinned.join(', ')}): nothing pinned, their certificates will be checked against ca.crt only`,
    );
  }
  if (certPem !== undefined) {
    const cert = new X509Certificate(certPem);
    if (!cert.subject.split('\n').includes(`CN=${nodeName}`)) {
      report.unmapped.push({
        file: join(certsDir, `${nodeName}.crt`),
        reason: `certificate subject is '${cert.subject}', not CN=${nodeName}`,
      });
    }
  }

  const existing = ctx.targets.find(targetName);
  if (existing !== undefined) {
    throw new AgentError(
      'conflict',
      `target '${targetName}' already exists: remove it or pass another target name`,
      { field: 'target' },
    );
  }
  report.target = { name: targetName, kind: 'icinga', config, created: false };
  const material = {
    ...(certPem === undefined ? {} : { certPem }),
    ...(keyPem === undefined ? {} : { keyPem }),
    ...(caPem === undefined ? {} : { caPem }),
  };
  report.certificates = Object.keys(material).map(
    (k) => ({ certPem: `${nodeName}.crt`, keyPem: `${nodeName}.key (0600)`, caPem: 'ca.crt' })[k]!,
  );
  if (!request.dryRun) {
    ctx.targets.save(targetName, 'icinga', config);
    report.target.created = true;
    // The checks below are checked against Icinga's driver, whose module may load only now.
    await ctx.targets.loaded('icinga');
    if (Object.keys(material).length > 0) await ctx.identity.saveCertificates(targetName, material);
    if (parentFingerprint !== undefined && pinned !== undefined) {
      await ctx.identity.setPin({
        target: targetName,
        kind: 'tls-sha256',
        value: parentFingerprint,
        ...(parentSubject === undefined ? {} : { subject: parentSubject }),
      });
    }
  }
  if (parentFingerprint !== undefined && pinned !== undefined) {
    report.notes.push(
      `master certificate of ${pinned.name} pinned from trusted-parent.crt: SHA-256 ${parentFingerprint}`,
    );
    // trusted-parent.crt holds one master's certificate; `outpost icinga pair` pins each.
    if (unpinned.length > 0)
      report.notes.push(
        `the certificates of the other masters of zone "${parentName}" (${unpinned.join(', ')}) will be checked against ca.crt only, not pinned`,
      );
  }
  report.notes.push(
    `checks feeding '${targetName}' report for host "${nodeName}" by default (override with --host/--service).`,
  );
  return report;
}
