import type { InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from 'react';
import { Field } from './components.tsx';

/** What every labelled control here takes; onChange hands over the new value, not the event. */
interface Labelled<T> {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  value: T;
  onChange(value: T): void;
}

type InputAttributes = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'id'>;
type TextareaAttributes = Omit<
  TextareaHTMLAttributes<HTMLTextAreaElement>,
  'value' | 'onChange' | 'id'
>;

export function InputField(props: Labelled<string> & InputAttributes) {
  const { label, hint, error, onChange, type = 'text', ...input } = props;
  return (
    <Field label={label} hint={hint} error={error}>
      <input type={type} {...input} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

export function TextareaField(props: Labelled<string> & TextareaAttributes) {
  const { label, hint, error, onChange, ...textarea } = props;
  return (
    <Field label={label} hint={hint} error={error}>
      <textarea {...textarea} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

/** A select in a Field; its options are the children. */
export function SelectField(props: Labelled<string> & { children: ReactNode }) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.children}
      </select>
    </Field>
  );
}

/** A checkbox whose label is the text beside it, with an optional hint below that text. */
export function CheckboxField(props: {
  label: ReactNode;
  hint?: string;
  checked: boolean;
  onChange(checked: boolean): void;
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      <span>
        {props.label}
        {props.hint !== undefined && <span className="hint block">{props.hint}</span>}
      </span>
    </label>
  );
}

export function RadioCards<T extends string>(props: {
  name: string;
  value: T;
  onChange(value: NoInfer<T>): void;
  options: Array<{ value: NoInfer<T>; title: string; hint: string }>;
}) {
  return (
    <div className="radio-cards">
      {props.options.map((option) => (
        <label key={option.value} className="radio-card">
          <input
            type="radio"
            name={props.name}
            checked={props.value === option.value}
            onChange={() => props.onChange(option.value)}
          />
          <span>
            <strong>{option.title}</strong>
            <span className="hint block">{option.hint}</span>
          </span>
        </label>
      ))}
    </div>
  );
}

/** An error that belongs to the form as a whole rather than to one field. */
export function FormError(props: { message: string | undefined }) {
  if (props.message === undefined) return null;
  return (
    <p className="field-error" role="alert">
      {props.message}
    </p>
  );
}

/** The end of a form that saves in one click: its error, how the last submit went, the button. */
export function FormFooter(props: {
  error: string | undefined;
  status: ReactNode;
  submit: string;
}) {
  return (
    <>
      <FormError message={props.error} />
      {props.status}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary">
          {props.submit}
        </button>
      </div>
    </>
  );
}
