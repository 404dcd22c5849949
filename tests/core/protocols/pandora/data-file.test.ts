import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkResultModules,
  pandoraLevel,
} from '../../../../main/core/protocols/pandora/modules.ts';
import type { CheckResult } from '../../../../main/core/contract/check-results.ts';
import { isRange, parseRange } from '../../../../main/core/checks/thresholds.ts';
import {
  buildDataFile,
  dataFileName,
  formatPandoraNumber,
  formatPandoraTimestamp,
  stripForbiddenXmlChars,
  type PandoraAgentHeader,
} from '../../../../main/core/protocols/pandora/data-file.ts';
import { parseXml, readDataFile } from './data-rules.ts';

const header: PandoraAgentHeader = {
  agentName: 'ws-0042',
  interval: 300,
  timestamp: new Date(2026, 10, 22, 15, 0, 0),
  osName: 'Linux',
  version: 'Outpost 0.1.0',
};
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function result(partial: Partial<CheckResult>): CheckResult {
  return {
    check: 'check_http',
    state: 0,
    stateName: 'OK',
    exitCode: 0,
    output: 'HTTP OK',
    longOutput: '',
    perfdata: [],
    perfdataErrors: [],
    scheduleStart: 1,
    executionStart: 1,
    executionEnd: 2,
    truncated: false,
    ...partial,
  };
}

describe('Pandora agent data file', () => {
  it('is the Unix agent shape: declaration, agent_data attributes, CDATA module children', () => {
    const xml = buildDataFile(header, [{ name: 'Outpost alive', type: 'generic_proc', data: 1 }]);
    expect(xml).toBe(
      [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<agent_data description='' group='' os_name='Linux' os_version='' interval='300' version='Outpost 0.1.0' timestamp='2026/11/22 15:00:00' agent_name='ws-0042' agent_alias='ws-0042' timezone_offset='0' custom_id='' url_address=''>",
        '<module>',
        '\t<name><![CDATA[Outpost alive]]></name>',
        '\t<type>generic_proc</type>',
        '\t<module_interval><![CDATA[1]]></module_interval>',
        '\t<data><![CDATA[1]]></data>',
        '</module>',
        '</agent_data>',
        '',
      ].join('\n'),
    );
    const read = readDataFile(dataFileName('ws-0042', 1795370000), bytes(xml));
    expect(read.agent.agent_name).toBe('ws-0042');
    expect(read.modules).toEqual([
      expect.objectContaining({
        name: 'Outpost alive',
        type: 'generic_proc',
        data: '1',
        valueAccepted: true,
      }),
    ]);
  });

  it('names files <agent_name>.<unix_time>.data, hashing names Tentacle would refuse', () => {
    expect(dataFileName('ws-0042', 1795370000.9)).toBe('ws-0042.1795370000.data');
    // md5("WS 42 (Finance)") as the Unix agent does since 2023 (pandora-data.md §2).
    expect(dataFileName('WS 42 (Finance)', 1)).toMatch(/^[0-9a-f]{32}\.1\.data$/);
    expect(dataFileName("a'b", 1)).not.toContain("'");
  });

  it('escapes what the Unix agent does not: quotes in attributes, ]]> in CDATA, forbidden characters', () => {
    const nasty = "it's <b>&\u001b[31mred]]>\ttab\uD800";
    const xml = buildDataFile({ ...header, agentName: "Finance & HR's <pc>", description: nasty }, [
      { name: nasty, type: 'generic_data_string', description: nasty, data: nasty },
    ]);
    const read = readDataFile('x.1.data', bytes(xml));
    expect(read.agent.agent_name).toBe("Finance & HR's <pc>");
    // TAB survives in attributes as &#9; (literal TAB would become a space).
    expect(read.agent.description).toBe("it's <b>&[31mred]]>\ttab\uFFFD");
    expect(read.modules[0]!.data).toBe("it's <b>&[31mred]]>\ttab\uFFFD");
    expect(read.modules[0]!.name).toBe("it's <b>&[31mred]]>\ttab\uFFFD");
  });

  it('writes plain decimals and the Unix timestamp format', () => {
    expect([1, 0.5, -2.25, 1e-7, 123456789.123456, 1e21, -0].map(formatPandoraNumber)).toEqual([
      '1',
      '0.5',
      '-2.25',
      '0',
      '123456789.123456',
      '1000000000000000000000',
      '0',
    ]);
    expect(formatPandoraTimestamp(new Date(2026, 0, 2, 3, 4, 5))).toBe('2026/01/02 03:04:05');
  });

  it('any text in any field still gives a file the server reads, with the text intact (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
        (agent, text, name) => {
          fc.pre(agent.trim() !== '' && stripForbiddenXmlChars(agent).trim() !== '');
          fc.pre(
            stripForbiddenXmlChars(name)
              .replace(/[\r\n]+/g, ' ')
              .trim() !== '',
          );
          const xml = buildDataFile({ ...header, agentName: agent, description: text }, [
            { name, type: 'generic_data_string', description: text, data: text },
          ]);
          const read = readDataFile(dataFileName(agent, 1), bytes(xml));
          expect(read.agent.agent_name).toBe(stripForbiddenXmlChars(agent));
          expect(read.agent.description).toBe(stripForbiddenXmlChars(text));
          const clean = stripForbiddenXmlChars(text);
          expect(read.modules[0]!.data).toBe(clean.trim() === '' ? undefined : clean);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the strict reader refuses what expat refuses', () => {
    expect(() => parseXml(bytes("<a b='1' b='2'/>"))).toThrow(/duplicate/);
    expect(() => parseXml(bytes('<a>\u001b</a>'))).toThrow(/forbidden/);
    expect(() =>
      parseXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])),
    ).toThrow();
    expect(() => parseXml(bytes('<a><b></a></b>'))).toThrow(/closes/);
    expect(() => parseXml(bytes('<a>x ]]> y</a>'))).toThrow(/]]>/);
    expect(() => readDataFile('x.data', bytes("<agent_data agent_name='a'/>"))).toThrow(
      /never picked up/,
    );
    expect(() =>
      readDataFile(
        'x.1.data',
        bytes("<agent_data agent_name='a' timestamp='2026-11-22T15:00:00Z'/>"),
      ),
    ).toThrow(/timestamp/);
  });
});

describe('check result → Pandora modules (pandora-data.md §7)', () => {
  it('maps the four states to generic_proc data and status', () => {
    const rows = [0, 1, 2, 3].map((state) => {
      const [m] = checkResultModules(
        result({ state: state as 0, output: state === 3 ? 'no answer' : 'text' }),
        'check_http',
      );
      return [m!.type, m!.data, m!.status, m!.description, m!.minWarning, m!.maxWarning];
    });
    expect(rows).toEqual([
      ['generic_proc', 1, 'NORMAL', 'text', 2, 3],
      ['generic_proc', 2, 'WARNING', 'text', 2, 3],
      ['generic_proc', 0, 'CRITICAL', 'text', 2, 3],
      ['generic_proc', undefined, undefined, 'UNKNOWN: no answer', 2, 3],
    ]);
  });

  it('gives each perfdata value a numeric module with thresholds and a locally evaluated status', () => {
    const modules = checkResultModules(
      result({
        state: 1,
        perfdata: [
          { label: 'time', value: 1.84, uom: 's', warn: '1', crit: '5', min: 0 },
          { label: 'free', value: 37.5, uom: '%', warn: '20:', crit: '10:' },
          { label: 'unknown', value: undefined, uom: '' },
          { label: 'bytes in', value: 918273645, uom: 'c' },
        ],
      }),
      'check_http',
    );
    expect(modules.slice(1)).toEqual([
      {
        name: 'check_http time',
        type: 'generic_data',
        moduleInterval: 1,
        data: 1.84,
        moduleParent: 'check_http',
        unit: 's',
        minWarning: 0,
        maxWarning: 1,
        warningInverse: true,
        minCritical: 0,
        maxCritical: 5,
        criticalInverse: true,
        status: 'WARNING',
      },
      {
        name: 'check_http free',
        type: 'generic_data',
        moduleInterval: 1,
        data: 37.5,
        moduleParent: 'check_http',
        unit: '%',
        minWarning: 20,
        maxWarning: 19,
        warningInverse: true,
        minCritical: 10,
        maxCritical: 9,
        criticalInverse: true,
        status: 'NORMAL',
      },
      {
        name: 'check_http bytes in',
        type: 'generic_data_inc',
        moduleInterval: 1,
        data: 918273645,
        moduleParent: 'check_http',
      },
    ]);
    const xml = buildDataFile(header, modules);
    const read = readDataFile('ws-0042.1.data', bytes(xml));
    expect(read.modules.map((m) => [m.name, m.valueAccepted, m.children.status])).toEqual([
      ['check_http', true, 'WARNING'],
      ['check_http time', true, 'WARNING'],
      ['check_http free', true, 'NORMAL'],
      ['check_http bytes in', true, undefined],
    ]);
    expect(read.modules[1]!.children).toMatchObject({
      unit: 's',
      min_warning: '0',
      max_warning: '1',
      warning_inverse: '1',
      module_parent: 'check_http',
    });
  });

  it('an UNKNOWN state sends empty data (value rejected, description refreshed)', () => {
    const xml = buildDataFile(
      header,
      checkResultModules(result({ state: 3, output: 'UNKNOWN - timed out' }), 'slow'),
    );
    const read = readDataFile('a.1.data', bytes(xml));
    expect(read.modules[0]).toMatchObject({ name: 'slow', data: undefined, valueAccepted: false });
    expect(read.modules[0]!.children.description).toBe('UNKNOWN - timed out');
  });

  it('translates plugin ranges as the §7 table says', () => {
    const level = (t: string) => {
      const r = parseRange(t);
      if (!isRange(r)) throw new Error(r.error);
      return pandoraLevel(r);
    };
    expect(level('10')).toEqual({ min: 0, max: 10, inverse: true });
    expect(level('10:')).toEqual({ min: 10, max: 9, inverse: true });
    expect(level('~:10')).toEqual({ min: 10, max: 9, inverse: false });
    expect(level('5:10')).toEqual({ min: 5, max: 10, inverse: true });
    expect(level('@5:10')).toEqual({ min: 5, max: 10, inverse: false });
    expect(level('5:5')).toBeUndefined();
  });
});
