import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { useI18n } from '../../i18n';
import { errorText } from '../hooks';

export function KeySettings(props: { apiKey: string; showReasoning: boolean }) {
  const { t } = useI18n();
  const d = t.dashboard;
  const [value, setValue] = useState(props.showReasoning);
  const [state, setState] = useState<{ busy: boolean; saved: boolean; error: unknown }>({ busy: false, saved: false, error: null });
  useEffect(() => setValue(props.showReasoning), [props.showReasoning]);

  const toggle = async (next: boolean) => {
    setValue(next);
    setState({ busy: true, saved: false, error: null });
    try {
      const result = await api.setShowReasoning(props.apiKey, next);
      setValue(result.show_reasoning);
      setState({ busy: false, saved: true, error: null });
    } catch (error) {
      setValue(!next);
      setState({ busy: false, saved: false, error });
    }
  };

  return (
    <div class="field">
      <label class="check">
        <input
          type="checkbox"
          id="show-reasoning"
          checked={value}
          disabled={state.busy}
          aria-describedby="show-reasoning-help"
          onChange={(e) => toggle(e.currentTarget.checked)}
        />
        <span>{d.showReasoning}</span>
      </label>
      <p class="help" id="show-reasoning-help">
        {d.showReasoningHelp}
      </p>
      <p class="help" role="status">
        {state.saved ? d.saved : ''}
      </p>
      {state.error !== null && (
        <p class="field-error" role="alert">
          {errorText(state.error, t)}
        </p>
      )}
    </div>
  );
}
