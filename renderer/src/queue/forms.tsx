import { useState, type DragEvent, type FormEvent } from 'react';
import { useAgent } from '../agent.tsx';
import {
  Banner,
  EmptyState,
  Field,
  formErrors,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import {
  CheckboxField,
  FormError,
  FormFooter,
  InputField,
  SelectField,
  TextareaField,
} from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';

/** One checkbox per target: a result or file can go to several servers at once (fan-out). */
function TargetPicker(props: {
  targets: string[];
  chosen: string[];
  onChange(next: string[]): void;
  error: string | undefined;
}) {
  const { t } = useI18n();
  return (
    <fieldset className={props.error === undefined ? undefined : 'field-invalid'}>
      <legend>{t('queue.targets')}</legend>
      <div className="target-picks">
        {props.targets.map((name) => (
          <CheckboxField
            key={name}
            label={name}
            checked={props.chosen.includes(name)}
            onChange={(checked) =>
              props.onChange(
                checked ? [...props.chosen, name] : props.chosen.filter((n) => n !== name),
              )
            }
          />
        ))}
      </div>
      <FormError message={props.error} />
    </fieldset>
  );
}

/** Until the person picks, the first target (the list arrives after the first render). */
function useTargetChoice(targets: string[]): [string[], (next: string[]) => void] {
  const [chosen, setChosen] = useState<string[] | undefined>();
  return [(chosen ?? targets.slice(0, 1)).filter((c) => targets.includes(c)), setChosen];
}

function Queued(props: { count: number | undefined }) {
  const { t } = useI18n();
  return props.count === undefined ? null : (
    <Banner tone="success">{t('queue.queued', { count: props.count })}</Banner>
  );
}

/** `file:///x/y` URIs (what file managers put in a drag) → local paths. */
export function pathsFromUriList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('file://'))
    .map((uri) => {
      const url = new URL(uri);
      const path = decodeURIComponent(url.pathname);
      // file:///C:/x on Windows
      return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
    });
}

/**
 * Files to a Tentacle target: a path typed, or files dropped here. The agent
 * reads the file on this machine, so a drop must carry its path: the desktop
 * app asks the preload for it, a browser gets it from the file manager's
 * `text/uri-list`.
 */
export function FileDrop(props: { targets: string[]; onQueued(): void }) {
  const { t } = useI18n();
  const agent = useAgent();
  const [chosenTargets, setChosen] = useTargetChoice(props.targets);
  const [path, setPath] = useState('');
  const [over, setOver] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [queued, setQueued] = useState<number | undefined>();

  const send = async (paths: string[]): Promise<void> => {
    setErrors(NO_ERRORS);
    setQueued(undefined);
    let count = 0;
    try {
      for (const p of paths)
        count += (await agent.call('enqueueFile', { targets: chosenTargets, path: p })).items
          .length;
      setQueued(count);
      setPath('');
      props.onQueued();
    } catch (error) {
      setErrors(formErrors(error, ['targets', 'path', 'name']));
    }
  };

  const onDrop = (event: DragEvent): void => {
    event.preventDefault();
    setOver(false);
    const fromBridge = [...event.dataTransfer.files]
      .map((file) => window.outpost?.pathForFile(file) ?? '')
      .filter((p) => p !== '');
    const paths =
      fromBridge.length > 0
        ? fromBridge
        : pathsFromUriList(event.dataTransfer.getData('text/uri-list'));
    if (paths.length === 0) {
      setErrors({ fields: { path: t('queue.dropNoPath') }, general: undefined });
      return;
    }
    void send(paths);
  };

  if (props.targets.length === 0) return <EmptyState title={t('queue.noTentacle')} />;
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void send([path]);
      }}
      noValidate
    >
      <TargetPicker
        targets={props.targets}
        chosen={chosenTargets}
        onChange={setChosen}
        error={errors.fields.targets}
      />
      <div
        className={over ? 'drop-zone over' : 'drop-zone'}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        {t('queue.dropHere')}
      </div>
      <InputField
        label={t('queue.filePath')}
        hint={t('queue.filePathHint')}
        error={errors.fields.path}
        value={path}
        onChange={setPath}
        spellCheck={false}
      />
      <FormFooter
        error={errors.general}
        status={<Queued count={queued} />}
        submit={t('queue.queueFile')}
      />
    </form>
  );
}

const RESULT_FIELDS = [
  'targets',
  'result.host',
  'result.service',
  'result.state',
  'result.output',
  'result.performanceData',
] as const;

/** A passive check result (host, service, state, output, perfdata) for Icinga and the other result targets. */
export function CheckResultForm(props: { targets: string[]; onQueued(): void }) {
  const { t } = useI18n();
  const agent = useAgent();
  const [chosenTargets, setChosen] = useTargetChoice(props.targets);
  const [host, setHost] = useState('');
  const [service, setService] = useState('');
  const [state, setState] = useState('0');
  const [output, setOutput] = useState('');
  const [perfdata, setPerfdata] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [queued, setQueued] = useState<number | undefined>();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setQueued(undefined);
    agent
      .call('enqueueCheckResult', {
        targets: chosenTargets,
        result: {
          host: host.trim(),
          ...(service.trim() === '' ? {} : { service: service.trim() }),
          state: Number(state),
          output,
          performanceData: perfdata
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== ''),
        },
      })
      .then(
        (r) => {
          setQueued(r.items.length);
          props.onQueued();
        },
        (error: unknown) => setErrors(formErrors(error, RESULT_FIELDS)),
      );
  };

  if (props.targets.length === 0) return <EmptyState title={t('queue.noResultTarget')} />;
  return (
    <form onSubmit={submit} noValidate>
      <TargetPicker
        targets={props.targets}
        chosen={chosenTargets}
        onChange={setChosen}
        error={errors.fields.targets}
      />
      <div className="form-grid">
        <InputField
          label={t('queue.host')}
          error={errors.fields['result.host']}
          value={host}
          onChange={setHost}
          spellCheck={false}
        />
        <InputField
          label={t('queue.service')}
          hint={t('queue.serviceHint')}
          error={errors.fields['result.service']}
          value={service}
          onChange={setService}
          spellCheck={false}
        />
        <SelectField
          label={t('queue.stateField')}
          error={errors.fields['result.state']}
          value={state}
          onChange={setState}
        >
          <option value="0">0 · OK</option>
          <option value="1">1 · WARNING</option>
          <option value="2">2 · CRITICAL</option>
          <option value="3">3 · UNKNOWN</option>
        </SelectField>
      </div>
      <InputField
        label={t('queue.output')}
        error={errors.fields['result.output']}
        value={output}
        onChange={setOutput}
      />
      <TextareaField
        label={t('queue.perfdata')}
        hint={t('queue.perfdataHint')}
        error={errors.fields['result.performanceData']}
        value={perfdata}
        onChange={setPerfdata}
        spellCheck={false}
        className="mono"
      />
      <FormFooter
        error={errors.general}
        status={<Queued count={queued} />}
        submit={t('queue.submitResult')}
      />
    </form>
  );
}

/** An OnSphere value: id, value (number, text or true/false), optional quality. */
export function ValueForm(props: { targets: string[]; onQueued(): void }) {
  const { t } = useI18n();
  const agent = useAgent();
  const [chosenTargets, setChosen] = useTargetChoice(props.targets);
  const [valueId, setValueId] = useState('');
  const [type, setType] = useState<'number' | 'text' | 'boolean'>('number');
  const [value, setValue] = useState('');
  const [quality, setQuality] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [queued, setQueued] = useState<number | undefined>();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setQueued(undefined);
    const typed =
      type === 'boolean'
        ? value === 'true'
        : type === 'number' && value.trim() !== '' && !Number.isNaN(Number(value))
          ? Number(value)
          : value;
    agent
      .call('enqueueValue', {
        targets: chosenTargets,
        value: {
          valueId: valueId.trim(),
          value: typed,
          ...(quality.trim() === '' ? {} : { quality: quality.trim() }),
        },
      })
      .then(
        (r) => {
          setQueued(r.items.length);
          props.onQueued();
        },
        (error: unknown) =>
          setErrors(
            formErrors(error, ['targets', 'value.valueId', 'value.value', 'value.quality']),
          ),
      );
  };

  if (props.targets.length === 0) return <EmptyState title={t('queue.noOnsphere')} />;
  return (
    <form onSubmit={submit} noValidate>
      <TargetPicker
        targets={props.targets}
        chosen={chosenTargets}
        onChange={setChosen}
        error={errors.fields.targets}
      />
      <div className="form-grid">
        <InputField
          label={t('queue.valueId')}
          error={errors.fields['value.valueId']}
          value={valueId}
          onChange={setValueId}
          spellCheck={false}
        />
        <SelectField
          label={t('queue.valueType')}
          value={type}
          onChange={(value) => setType(value as 'number' | 'text' | 'boolean')}
        >
          <option value="number">{t('queue.typeNumber')}</option>
          <option value="text">{t('queue.typeText')}</option>
          <option value="boolean">{t('queue.typeBoolean')}</option>
        </SelectField>
        <Field label={t('queue.valueField')} error={errors.fields['value.value']}>
          {type === 'boolean' ? (
            <select value={value} onChange={(e) => setValue(e.target.value)}>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              type="text"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              inputMode={type === 'number' ? 'decimal' : 'text'}
            />
          )}
        </Field>
        <InputField
          label={t('queue.quality')}
          error={errors.fields['value.quality']}
          value={quality}
          onChange={setQuality}
        />
      </div>
      <FormFooter
        error={errors.general}
        status={<Queued count={queued} />}
        submit={t('queue.submitValue')}
      />
    </form>
  );
}
