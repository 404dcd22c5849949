import { useState } from 'react';
import { InputField } from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';

/** Locked when a target is reopened: pairing it under another name would make a second target. */
export function TargetNameField(props: {
  value: string;
  onChange(value: string): void;
  error: string | undefined;
  locked: boolean;
}) {
  const { t } = useI18n();
  return (
    <InputField
      label={t('pair.targetName')}
      hint={t('pair.targetNameHint')}
      error={props.error}
      value={props.value}
      onChange={props.onChange}
      disabled={props.locked}
    />
  );
}

export interface ServerAddress {
  host: string;
  port: string;
  setHost(host: string): void;
  setPort(port: string): void;
  /**
   * A port that is not a number goes to the core as typed, so its schema
   * names the field and says what is right.
   */
  portValue: number;
}

/** `defaultPort`: the protocol's, from the contract's ports.ts (one place for every UI). */
export function useServerAddress(defaultPort: number): ServerAddress {
  const [host, setHost] = useState('');
  const [port, setPort] = useState(String(defaultPort));
  return { host, port, setHost, setPort, portValue: portValue(port) };
}

/** A port field's text as the core takes it (see ServerAddress.portValue). */
export function portValue(port: string): number {
  return (/^\d+$/.test(port.trim()) ? Number(port) : port) as number;
}

export function HostPortFields(props: {
  address: ServerAddress;
  hostLabel: string;
  hostHint?: string;
  hostError: string | undefined;
  placeholder?: string;
  portLabel: string;
  portError: string | undefined;
}) {
  return (
    <>
      <InputField
        label={props.hostLabel}
        hint={props.hostHint}
        error={props.hostError}
        value={props.address.host}
        onChange={props.address.setHost}
        placeholder={props.placeholder}
        spellCheck={false}
      />
      <InputField
        label={props.portLabel}
        error={props.portError}
        inputMode="numeric"
        value={props.address.port}
        onChange={props.address.setPort}
      />
    </>
  );
}
