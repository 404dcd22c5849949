import { useState, type FormEvent } from 'react';
import { useAgent, useCall } from '../agent.tsx';
import { Banner, Card, formErrors, NO_ERRORS, type FormErrors } from '../components.tsx';
import { CheckboxField, FormError, InputField, SelectField, TextareaField } from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';
import { ResultView } from './ResultView.tsx';
import {
  namingFields,
  type BuiltinPreset,
  type CheckDefinition,
  type CheckDefinitionInput,
  type CheckResult,
  type CheckTargetNaming,
} from './types.ts';

const FIELDS = ['name', 'command', 'builtin', 'interval', 'timeout', 'targets', 'cwd'] as const;
/** Options a built-in reads besides warn/crit, per kind. */
const EXTRA_OPTIONS: Record<string, string[]> = {
  disk: ['mount'],
  cpu: ['sampleMs'],
  process: ['name'],
  tcp: ['address', 'port'],
  'file-age': ['path'],
};

type Mode = 'command' | 'shell' | 'builtin';

/** Add or edit a check, with "run now" showing the parsed result before anything is saved. */
export function CheckEditor(props: {
  editing: CheckDefinition | undefined;
  preset: BuiltinPreset | undefined;
  onDone(saved: boolean): void;
}) {
  const { t } = useI18n();
  const agent = useAgent();
  const targets = useCall('listTargets', {});
  const presets = useCall('listBuiltinPresets', {});
  const initial = props.editing;
  const [name, setName] = useState(
    initial?.name ?? (props.preset === undefined ? '' : props.preset.kind),
  );
  const [mode, setMode] = useState<Mode>(
    initial?.builtin !== undefined || props.preset !== undefined
      ? 'builtin'
      : initial?.command?.shell === true
        ? 'shell'
        : 'command',
  );
  const [program, setProgram] = useState(
    initial?.command?.shell === false ? (initial.command.argv[0] ?? '') : '',
  );
  const [args, setArgs] = useState(
    initial?.command?.shell === false ? initial.command.argv.slice(1).join('\n') : '',
  );
  const [commandLine, setCommandLine] = useState(
    initial?.command?.shell === true ? (initial.command.argv[0] ?? '') : '',
  );
  const [kind, setKind] = useState(initial?.builtin?.kind ?? props.preset?.kind ?? 'disk');
  const [options, setOptions] = useState<Record<string, string>>(
    Object.fromEntries(
      Object.entries(initial?.builtin?.options ?? props.preset?.defaults ?? {}).map(([k, v]) => [
        k,
        String(v),
      ]),
    ),
  );
  const [interval, setIntervalText] = useState(String(initial?.interval ?? 60));
  const [timeout, setTimeoutText] = useState(String(initial?.timeout ?? 10));
  const [chosen, setChosen] = useState<CheckTargetNaming[]>(initial?.targets ?? []);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [result, setResult] = useState<CheckResult | undefined>();
  const [running, setRunning] = useState(false);

  const draft = (): CheckDefinitionInput => {
    const base = {
      name: name.trim(),
      interval: Number(interval),
      timeout: Number(timeout),
      targets: chosen,
    };
    if (mode === 'builtin') {
      const opts = Object.fromEntries(Object.entries(options).filter(([, v]) => v.trim() !== ''));
      return { ...base, builtin: { kind: kind as 'disk', options: opts } };
    }
    if (mode === 'shell') return { ...base, command: { argv: [commandLine], shell: true } };
    return {
      ...base,
      command: {
        argv: [program.trim(), ...args.split('\n').filter((a) => a !== '')],
        shell: false,
      },
    };
  };

  const runNow = (): void => {
    setErrors(NO_ERRORS);
    setRunning(true);
    const { targets: _ignored, ...definition } = draft();
    agent
      .call('runCheckNow', {
        definition: { ...definition, name: definition.name || 'draft' },
        dryRun: true,
      })
      .then(
        (outcome) => {
          setResult(outcome.result);
          setRunning(false);
        },
        (error: unknown) => {
          setErrors(
            formErrors(
              error,
              FIELDS.map((f) => `definition.${f}`),
            ),
          );
          setRunning(false);
        },
      );
  };

  const save = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    const definition = draft();
    const call =
      initial === undefined
        ? agent.call('addCheck', definition)
        : agent.call('updateCheck', { name: initial.name, definition });
    call.then(
      () => props.onDone(true),
      (error: unknown) => {
        const found = formErrors(
          error,
          FIELDS.map((f) => (initial === undefined ? f : `definition.${f}`)),
        );
        const fields = Object.fromEntries(
          Object.entries(found.fields).map(([k, v]) => [k.replace(/^definition\./, ''), v]),
        );
        setErrors({ fields, general: found.general });
      },
    );
  };

  const toggleTarget = (target: string, on: boolean): void => {
    setChosen((list) => (on ? [...list, { target }] : list.filter((c) => c.target !== target)));
  };
  const setNaming = (target: string, field: keyof CheckTargetNaming, value: string): void => {
    setChosen((list) =>
      list.map((c) =>
        c.target === target ? { ...c, [field]: value === '' ? undefined : value } : c,
      ),
    );
  };

  const preset = presets.data?.find((p) => p.kind === kind);
  const optionNames = ['warn', 'crit', ...(EXTRA_OPTIONS[kind] ?? [])];

  return (
    <form
      onSubmit={save}
      aria-label={
        initial === undefined ? t('checks.addTitle') : t('checks.editTitle', { name: initial.name })
      }
    >
      <Card
        title={
          initial === undefined
            ? t('checks.addTitle')
            : t('checks.editTitle', { name: initial.name })
        }
      >
        <div className="form-grid">
          <InputField
            label={t('checks.name')}
            error={errors.fields.name}
            value={name}
            onChange={setName}
            required
          />
          <InputField
            label={t('checks.interval')}
            error={errors.fields.interval}
            type="number"
            min={1}
            value={interval}
            onChange={setIntervalText}
          />
          <InputField
            label={t('checks.timeout')}
            error={errors.fields.timeout}
            type="number"
            min={1}
            value={timeout}
            onChange={setTimeoutText}
          />
        </div>
        <fieldset>
          <legend>{t('checks.what')}</legend>
          <div className="radio-cards">
            {(['command', 'shell', 'builtin'] as const).map((m) => (
              <label key={m} className="radio-card">
                <input type="radio" name="mode" checked={mode === m} onChange={() => setMode(m)} />
                <span>{t(`checks.mode.${m}`)}</span>
              </label>
            ))}
          </div>
          {mode === 'command' && (
            <div className="form-grid">
              <InputField
                label={t('checks.program')}
                hint={t('checks.programHint')}
                error={errors.fields.command}
                className="mono"
                value={program}
                onChange={setProgram}
                placeholder="/usr/lib/nagios/plugins/check_disk"
              />
              <TextareaField
                label={t('checks.arguments')}
                hint={t('checks.argumentsHint')}
                className="mono"
                rows={4}
                value={args}
                onChange={setArgs}
              />
            </div>
          )}
          {mode === 'shell' && (
            <InputField
              label={t('checks.commandLine')}
              hint={t('checks.shellHint')}
              error={errors.fields.command}
              className="mono"
              value={commandLine}
              onChange={setCommandLine}
            />
          )}
          {mode === 'builtin' && (
            <div className="form-grid">
              <SelectField
                label={t('checks.builtin')}
                hint={preset?.description}
                error={errors.fields.builtin}
                value={kind}
                onChange={(value) => setKind(value as typeof kind)}
              >
                {(presets.data ?? []).map((p) => (
                  <option key={p.kind} value={p.kind}>
                    {p.title}
                  </option>
                ))}
              </SelectField>
              {optionNames.map((o) => (
                <InputField
                  key={o}
                  label={t(`checks.option.${o}` as 'checks.option.warn')}
                  hint={
                    o === 'warn' || o === 'crit'
                      ? t('checks.thresholdHint', { on: preset?.thresholdsOn ?? '' })
                      : undefined
                  }
                  className="mono"
                  value={options[o] ?? ''}
                  onChange={(value) => setOptions((x) => ({ ...x, [o]: value }))}
                />
              ))}
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>{t('checks.targets')}</legend>
          <FormError message={errors.fields.targets} />
          {(targets.data ?? []).length === 0 && <p className="hint">{t('checks.noTargets')}</p>}
          <div className="checks">
            {(targets.data ?? []).map((target) => {
              const selected = chosen.find((c) => c.target === target.name);
              return (
                <div key={target.name} className="subcard">
                  <CheckboxField
                    label={
                      <>
                        {target.name} <span className="muted">({target.kind})</span>
                      </>
                    }
                    checked={selected !== undefined}
                    onChange={(checked) => toggleTarget(target.name, checked)}
                  />
                  {selected !== undefined && namingFields(target).length > 0 && (
                    <div className="form-grid">
                      {namingFields(target).map((field) => (
                        <InputField
                          key={field}
                          label={t(`checks.naming.${field}`)}
                          hint={t(`checks.naming.${field}Hint`)}
                          value={selected[field] ?? ''}
                          onChange={(value) => setNaming(target.name, field, value)}
                        />
                      ))}
                    </div>
                  )}
                </div>
              );
            })}
          </div>
        </fieldset>
        <FormError message={errors.general} />
        {result !== undefined && (
          <Banner tone="info">
            <span>{t('checks.dryRunNote')}</span>
          </Banner>
        )}
        {result !== undefined && <ResultView result={result} />}
        <div className="form-actions">
          <button type="button" className="btn" onClick={runNow} disabled={running}>
            {running ? t('checks.running') : t('checks.runNow')}
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => props.onDone(false)}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t('common.save')}
          </button>
        </div>
      </Card>
    </form>
  );
}
