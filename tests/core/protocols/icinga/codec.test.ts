import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { asEpochSeconds } from '../../../../main/core/clock.ts';
import {
  AUTHENTICATED_MAX_PAYLOAD,
  checkResultParams,
  decodeMessage,
  encodeMessage,
  encodeNetstring,
  FramingError,
  heartbeatMessage,
  NetstringDecoder,
  parseCertificateAnswer,
  parseExecuteCommand,
  toIcingaState,
  zoneHostsFromConfigUpdate,
  type JsonObject,
} from '../../../../main/core/protocols/icinga/codec.ts';
import { commandPolicySchema } from '../../../../main/core/contract/command-policy.ts';
import {
  displayCommandLine,
  executeCommand,
  expandCommand,
  parsePluginOutput,
} from '../../../../main/core/protocols/icinga/command-endpoint.ts';
import { VECTORS_DIR } from '../../../vectors.ts';

describe('netstring framing (spec icinga2.md §2.3, vectors §4)', () => {
  it('encodes the byte-exact frames of the vectors', () => {
    expect(encodeMessage(heartbeatMessage()).toString('utf8')).toBe(
      '57:{"jsonrpc":"2.0","method":"event::Heartbeat","params":{}},',
    );
    const cr =
      '{"jsonrpc":"2.0","method":"event::CheckResult","params":{"host":"agent1.test","service":"passive","cr":{"type":"CheckResult","output":"Grüße","state":0,"exit_status":0,"performance_data":[]}}}';
    // 192 characters, 194 bytes.
    expect(encodeNetstring(cr).toString('utf8')).toBe(`194:${cr},`);
  });

  it('applies the master decoder verdicts of vectors §4', () => {
    expect(new NetstringDecoder().push(Buffer.from('2:{},')).map(String)).toEqual(['{}']);
    expect(new NetstringDecoder().push(Buffer.from('0:,')).map(String)).toEqual(['']);
    expect(() => decodeMessage(Buffer.alloc(0))).toThrow(FramingError);
    expect(() => new NetstringDecoder().push(Buffer.from('01:x,'))).toThrow(/leading zero/);
    expect(() => new NetstringDecoder().push(Buffer.from('1234567890:'))).toThrow(/9 digits/);
    expect(() => new NetstringDecoder().push(Buffer.from(':{},'))).toThrow(/empty length/);
    expect(() => new NetstringDecoder().push(Buffer.from('2:{}X'))).toThrow(/missing ,/);
    expect(() =>
      new NetstringDecoder(1024 * 1024).push(Buffer.from(`${1024 * 1024 + 1}:`)),
    ).toThrow(/exceeds/);
    expect(() => decodeMessage(Buffer.from('[1,2]'))).toThrow(/not a JSON object/);
  });

  it('waits for the rest of a frame without buffering past the cap', () => {
    const decoder = new NetstringDecoder(10);
    expect(decoder.push(Buffer.from('5:ab'))).toEqual([]);
    expect(decoder.pending).toBe(4);
    expect(decoder.push(Buffer.from('cde,3:x')).map(String)).toEqual(['abcde']);
    expect(decoder.push(Buffer.from('yz,')).map(String)).toEqual(['xyz']);
    expect(decoder.pending).toBe(0);
  });

  /** Feeds `wire` in chunks of the given sizes (cycled); returns the payloads and the bytes Buffer.concat copied. */
  function decodeCounting(
    wire: Buffer,
    sizes: number[],
    decoder = new NetstringDecoder(AUTHENTICATED_MAX_PAYLOAD),
  ): { payloads: Buffer[]; copied: number; chunks: number } {
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const payloads: Buffer[] = [];
      let chunks = 0;
      for (let offset = 0; offset < wire.length; chunks++) {
        const size = sizes[chunks % sizes.length]!;
        payloads.push(...decoder.push(wire.subarray(offset, offset + size)));
        offset += size;
      }
      const copied = concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0);
      return { payloads, copied, chunks };
    } finally {
      concat.mockRestore();
    }
  }

  it('joins a frame spread over many chunks once: an 8 MiB frame in 16 KiB chunks is copied once', () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const wire = encodeNetstring(payload);
    const { payloads, copied } = decodeCounting(wire, [16 * 1024]);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]!.equals(payload)).toBe(true);
    // Joining per chunk copied ~4 GiB here (512 chunks, each join copying all before it).
    expect(copied).toBe(payload.length + 1);
  });

  it('copies each byte at most twice whatever the frame sizes and chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        (lengths, sizes) => {
          const frames = lengths.map((n, i) => Buffer.alloc(n, i));
          const wire = Buffer.concat(frames.map((f) => encodeNetstring(f)));
          const { payloads, copied, chunks } = decodeCounting(wire, sizes);
          expect(payloads.map((p) => p.length)).toEqual(lengths);
          expect(payloads.every((p, i) => p.equals(frames[i]!))).toBe(true);
          // A length prefix split over chunks is copied again with each (≤ 9 digits).
          expect(copied).toBeLessThanOrEqual(2 * wire.length + 9 * chunks);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips any sequence of payloads however the bytes are chunked (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const wire = Buffer.concat(payloads.map((p) => encodeNetstring(p)));
          const decoder = new NetstringDecoder(1 << 20);
          const out: string[] = [];
          let offset = 0;
          let i = 0;
          while (offset < wire.length) {
            const size = cuts[i++ % cuts.length]!;
            out.push(
              ...decoder.push(wire.subarray(offset, offset + size)).map((b) => b.toString('utf8')),
            );
            offset += size;
          }
          expect(out).toEqual(payloads);
          expect(decoder.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws anything but FramingError on arbitrary bytes, and never yields more than the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 64 }),
        (bytes, cap) => {
          const decoder = new NetstringDecoder(cap);
          try {
            for (const payload of decoder.push(Buffer.from(bytes))) {
              expect(payload.length).toBeLessThanOrEqual(cap);
              try {
                decodeMessage(payload);
              } catch (error) {
                expect(error).toBeInstanceOf(FramingError);
              }
            }
          } catch (error) {
            expect(error).toBeInstanceOf(FramingError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes only JSON objects and drops mistyped envelope fields (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const payload = Buffer.from(JSON.stringify(value));
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          const message = decodeMessage(payload);
          if (message.ts !== undefined) expect(typeof message.ts).toBe('number');
          if (message.params !== undefined) expect(typeof message.params).toBe('object');
        } else {
          expect(() => decodeMessage(payload)).toThrow(FramingError);
        }
      }),
    );
  });
});

describe('JSON-RPC params parsers on anything a master may send (property)', () => {
  const anyParams = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(
      fc.constantFrom('host', 'command', 'macros', 'update', 'status_code', 'cert', '__proto__'),
      fc.jsonValue(),
    ),
  );

  it('never throw, and give typed fields or nothing', () => {
    fc.assert(
      fc.property(anyParams, fc.string(), (value, zone) => {
        const params =
          typeof value === 'object' && value !== null && !Array.isArray(value)
            ? (value as JsonObject)
            : undefined;
        const request = parseExecuteCommand(params);
        if (request !== undefined) {
          expect(typeof request.host).toBe('string');
          expect(typeof request.command).toBe('string');
          expect(typeof request.macros).toBe('object');
        }
        const answer = parseCertificateAnswer(value);
        if (answer !== undefined) expect(typeof answer.statusCode).toBe('number');
        const hosts = zoneHostsFromConfigUpdate(params, zone);
        if (hosts !== undefined) for (const host of hosts) expect(typeof host).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('session transcript replayed through the codec', () => {
  const transcript = readFileSync(join(VECTORS_DIR, 'icinga2-session-transcript.txt'), 'utf8');

  it('decodes every unabbreviated netstring frame of the real agent/master exchange (part 1)', () => {
    const methods: string[] = [];
    let decodedFrames = 0;
    for (const line of transcript.split('\n')) {
      const match = /(agent->master|master->agent) (\d+:.*,)$/.exec(line);
      if (match === null) continue;
      const frame = Buffer.from(match[2]!, 'utf8');
      const declared = Number(/^(\d+):/.exec(match[2]!)![1]);
      const decoder = new NetstringDecoder();
      if (frame.length !== String(declared).length + declared + 2) {
        // PEM and config bodies are abbreviated in the transcript: a short frame must stay pending.
        expect(() => decoder.push(frame)).not.toThrow(/leading zero|9 digits/);
        continue;
      }
      const payloads = decoder.push(frame);
      expect(payloads).toHaveLength(1);
      methods.push(`${match[1]}:${String(decodeMessage(payloads[0]!).method)}`);
      decodedFrames++;
    }
    expect(decodedFrames).toBeGreaterThan(20);
    expect(methods.slice(0, 3)).toEqual([
      'agent->master:icinga::Hello',
      'agent->master:pki::RequestCertificate',
      'master->agent:icinga::Hello',
    ]);
    expect(methods).toContain('agent->master:event::CheckResult');
    expect(methods).toContain('master->agent:log::SetLogPosition');
    expect(methods).toContain('master->agent:event::Heartbeat');
  });

  it('re-encodes the probe messages (part 2) to the byte counts the transcript shows', () => {
    let checked = 0;
    for (const line of transcript.split('\n')) {
      const match = /(>>|<<) \[(\d+)B\] (\{.*\})$/.exec(line);
      if (match === null || match[3]!.includes('<PEM')) continue;
      const payload = Buffer.from(match[3]!, 'utf8');
      if (payload.length !== Number(match[2])) continue; // abbreviated config bodies
      const [decoded] = new NetstringDecoder().push(encodeNetstring(payload));
      const message = decodeMessage(decoded!);
      if (message.method === undefined) {
        expect(typeof message.id).toBe('string');
        const answer = parseCertificateAnswer(message.result);
        if (answer !== undefined) expect([0, 1, 2]).toContain(answer.statusCode);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe('check result encoding (spec §4.2)', () => {
  it('always carries type and performance_data, and state = exit_status', () => {
    const params = checkResultParams({
      host: 'h',
      state: 2,
      exitStatus: 2,
      output: 'x',
      performanceData: [],
      checkSource: 'a',
      executionStart: asEpochSeconds(1),
      executionEnd: asEpochSeconds(2),
      scheduleStart: asEpochSeconds(1),
      scheduleEnd: asEpochSeconds(2),
      active: false,
    });
    expect(params).not.toHaveProperty('service');
    expect(params.cr).toMatchObject({
      type: 'CheckResult',
      performance_data: [],
      state: 2,
      exit_status: 2,
      active: false,
    });
  });

  it('maps host states to UP/DOWN and leaves services alone', () => {
    expect([0, 1, 2, 3].map((s) => toIcingaState(s, true))).toEqual([0, 0, 2, 2]);
    expect([0, 1, 2, 3].map((s) => toIcingaState(s, false))).toEqual([0, 1, 2, 3]);
  });

  it('reads the zone hosts out of a config::Update', () => {
    const params = {
      update: {
        'agent1.test': {
          '/_etc/agent.conf':
            'object Host "agent1.test" {\n}\nobject Service "passive" { host_name = "agent1.test" }\nobject Host "we\\"ird" {}',
        },
      },
    };
    expect(zoneHostsFromConfigUpdate(params, 'agent1.test')).toEqual(
      new Set(['agent1.test', 'we"ird']),
    );
    expect(zoneHostsFromConfigUpdate(params, 'other')).toBeUndefined();
    expect(
      zoneHostsFromConfigUpdate({ update: { z: { 'a.conf': 'apply Service "x" {}' } } }, 'z'),
    ).toBeUndefined();
  });
});

describe('command endpoint helpers (spec §4.6)', () => {
  it('expands macros per argument so a value cannot add arguments', () => {
    const argv = expandCommand('/usr/lib/nagios/plugins/check_dummy $dummy_state$ "$dummy_text$"', {
      dummy_state: 0,
      dummy_text: 'hello; rm -rf / $(x)',
    });
    expect(argv).toEqual(['/usr/lib/nagios/plugins/check_dummy', '0', 'hello; rm -rf / $(x)']);
    expect(displayCommandLine(argv)).toBe(
      "/usr/lib/nagios/plugins/check_dummy 0 'hello; rm -rf / $(x)'",
    );
  });

  it('expands a macro named like an Object.prototype member to nothing, like any unknown macro', () => {
    expect(expandCommand('/bin/echo $constructor$ "$toString$" $__proto__$ $x$', {})).toEqual([
      '/bin/echo',
      '',
      '',
      '',
      '',
    ]);
  });

  const allowAll = {
    policy: commandPolicySchema.parse({ enabled: true, allow: ['.*'] }),
    commands: { dummy: '/bin/true', program: '$program$ --version' },
  };

  it('answers "does not exist" for any unmapped command name, Object.prototype members included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype)), fc.string()),
        async (command) => {
          fc.pre(command !== 'dummy' && command !== 'program');
          const fields = await executeCommand(
            { command, commandType: 'check_command', host: 'h', macros: {} },
            allowAll,
            'agent1.test',
            'test',
          );
          expect(fields).toMatchObject({
            state: 3,
            output: `Check command '${command}' does not exist.`,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers UNKNOWN when the master leaves the program macro empty', async () => {
    const fields = await executeCommand(
      { command: 'program', commandType: 'check_command', host: 'h', macros: {} },
      allowAll,
      'agent1.test',
      'test',
    );
    expect(fields).toMatchObject({ state: 3, output: expect.stringMatching(/^cannot run/) });
  });

  it('splits plugin output into text, perfdata and long output', () => {
    expect(
      parsePluginOutput("DISK OK - free 9GB | /=91%;80;90;0;100 'free space'=9GB\nline 2\n"),
    ).toEqual({
      output: 'DISK OK - free 9GB\nline 2',
      performanceData: ['/=91%;80;90;0;100', "'free space'=9GB"],
    });
    expect(parsePluginOutput('OK')).toEqual({ output: 'OK', performanceData: [] });
  });
});
