/** Loading and error states, translated; errors show their stable code's text and the engineer's message. */
import type { RpcError } from '../../core/errors';
import { useI18n } from '../i18n';

export function LoadingPanel({ text }: { text: string }) {
  return (
    <div className="status-panel" data-testid="loading" role="status" aria-live="polite">
      <span className="status-panel__spinner" aria-hidden="true" />
      <span>{text}</span>
    </div>
  );
}

export function ErrorPanel({ error, onRetry }: { error: RpcError; onRetry?: () => void }) {
  const { t, errorText } = useI18n();
  return (
    <div className="status-panel status-panel--error" data-testid="error-panel" data-code={error.code} role="alert">
      <strong className="status-panel__title">{t.status.errorTitle}</strong>
      <span className="status-panel__reason">{errorText(error.code)}</span>
      <code className="status-panel__message">{error.message}</code>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry} data-testid="retry">
          {t.status.retry}
        </button>
      )}
    </div>
  );
}
