import { useState, type FormEvent } from 'react';
import { Banner, formErrors, NO_ERRORS, type FormErrors } from '../components.tsx';
import { CheckboxField, FormFooter, InputField, TextareaField } from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';

/** The remote command policy as the core stores it (main/core/exec/policy.ts). */
export interface CommandPolicyValue {
  enabled: boolean;
  allow: string[];
  allowShell: boolean;
  maxTimeoutSeconds: number;
  maxOutputBytes: number;
}

/** What the form edits. */
export type CommandPolicyEdit = Pick<CommandPolicyValue, 'enabled' | 'allow' | 'maxTimeoutSeconds'>;

export const DISABLED_POLICY: CommandPolicyValue = {
  enabled: false,
  allow: [],
  allowShell: false,
  maxTimeoutSeconds: 60,
  maxOutputBytes: 1024 * 1024,
};

/** `name = command line`, one per line, for a form; back to a record. */
export function commandsToText(commands: Record<string, string>): string {
  return Object.entries(commands)
    .map(([name, line]) => `${name} = ${line}`)
    .join('\n');
}

export function textToCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    // A line without '=' is kept whole as a name, so the core's schema names it.
    out[(eq < 0 ? line : line.slice(0, eq)).trim()] = eq < 0 ? '' : line.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Opt-in to commands a server may run here (Icinga command endpoint,
 * Gorgone COMMAND): off by default, allow-listed command lines only.
 */
export function CommandPolicyEditor(props: {
  initial: CommandPolicyValue;
  /** Named command lines (Icinga's CheckCommand names); undefined when the protocol has none. */
  commands?: Record<string, string>;
  /** Errors name these fields (the request's); others are shown under the form. */
  save(edit: CommandPolicyEdit, commands: Record<string, string> | undefined): Promise<unknown>;
}) {
  const { t } = useI18n();
  const [enabled, setEnabled] = useState(props.initial.enabled);
  const [allow, setAllow] = useState(props.initial.allow.join('\n'));
  const [timeout, setTimeoutText] = useState(String(props.initial.maxTimeoutSeconds));
  const [commands, setCommands] = useState(
    props.commands === undefined ? '' : commandsToText(props.commands),
  );
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    const edit: CommandPolicyEdit = {
      enabled,
      allow: allow
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
      maxTimeoutSeconds: (/^\d+$/.test(timeout.trim()) ? Number(timeout) : timeout) as number,
    };
    props.save(edit, props.commands === undefined ? undefined : textToCommands(commands)).then(
      () => setSaved(true),
      (error: unknown) => setErrors(formErrors(error, ['allow', 'maxTimeoutSeconds', 'commands'])),
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <CheckboxField
        label={t('policy.enabled')}
        hint={t('policy.enabledHint')}
        checked={enabled}
        onChange={setEnabled}
      />
      <div className="form-grid">
        <TextareaField
          label={t('policy.allow')}
          hint={t('policy.allowHint')}
          error={errors.fields.allow}
          value={allow}
          onChange={setAllow}
          spellCheck={false}
          className="mono"
        />
        <InputField
          label={t('policy.timeout')}
          error={errors.fields.maxTimeoutSeconds}
          inputMode="numeric"
          value={timeout}
          onChange={setTimeoutText}
        />
        {props.commands !== undefined && (
          <TextareaField
            label={t('policy.commands')}
            hint={t('policy.commandsHint')}
            error={errors.fields.commands}
            value={commands}
            onChange={setCommands}
            spellCheck={false}
            className="mono"
          />
        )}
      </div>
      <FormFooter
        error={errors.general}
        status={saved && <Banner tone="success">{t('settings.saved')}</Banner>}
        submit={t('common.save')}
      />
    </form>
  );
}
