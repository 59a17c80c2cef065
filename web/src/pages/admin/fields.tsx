import type { ComponentChildren } from 'preact';
import { useI18n } from '../../i18n';
import { fmt, integer } from '../../lib/format';

// The console's form fields.

/** A labelled input; the id ties label and field together. */
export function Field(props: { id: string; label: string; help?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.help && (
        <p class="help" id={`${props.id}-help`}>
          {props.help}
        </p>
      )}
    </div>
  );
}

/**
 * A per-key limit that overrides the plan's: empty means the plan's value, which the field shows as
 * its placeholder and in its help line (0 = unlimited).
 */
export function LimitField(props: { id: string; label: string; planValue: number | undefined; value: string; onInput(value: string): void }) {
  const { t, lang } = useI18n();
  const shown = props.planValue === undefined ? '' : props.planValue === 0 ? t.common.unlimited : integer(props.planValue, lang);
  return (
    <Field id={props.id} label={props.label} help={fmt(t.admin.keys.limitHelp, { value: shown || t.common.dash })}>
      <input
        id={props.id}
        inputMode="numeric"
        placeholder={shown}
        value={props.value}
        onInput={(e) => props.onInput(value(e))}
        aria-describedby={`${props.id}-help`}
      />
    </Field>
  );
}

/** Text from an <input> event. */
export const value = (e: Event) => (e.currentTarget as HTMLInputElement).value;

/** "" → undefined, otherwise an integer. */
export function intOrUndefined(text: string): number | undefined {
  const n = Number.parseInt(text, 10);
  return text.trim() === '' || !Number.isFinite(n) ? undefined : n;
}
