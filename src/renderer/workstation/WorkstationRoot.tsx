/**
 * The workstation behind its login gate: nobody signed in → the login screen;
 * signed in → the reference, outbox and map providers and the view, all keyed
 * by the account so signing out and in as someone else starts clean. Also the
 * officer's badge for the app header (name, role, sign-out).
 */
import { useState } from 'react';
import { Dialog } from '../components/Dialog';
import { ToastProvider } from '../components/Toasts';
import { useI18n } from '../i18n';
import { ErrorPanel, LoadingPanel } from '../shell/StatusPanel';
import { DomainProvider } from './domain';
import { LoginScreen } from './LoginScreen';
import { MapDataProvider } from './map-data';
import { OutboxProvider } from './outbox';
import { useSession } from './session';
import { WorkstationView, type WorkstationViewProps } from './WorkstationView';

export { SessionProvider } from './session';

export function WorkstationRoot(props: WorkstationViewProps) {
  const { t } = useI18n();
  const session = useSession();
  if (session.state.status === 'loading') return <LoadingPanel text={t.workstation.login.checking} />;
  if (session.state.status === 'error') return <ErrorPanel error={session.state.error} onRetry={session.reload} />;
  const user = session.state.session.user;
  if (!user) return <LoginScreen />;
  return (
    <ToastProvider closeLabel={t.workstation.dialog.close} key={user.id}>
      <DomainProvider>
        <OutboxProvider>
          <MapDataProvider>
            <WorkstationView {...props} />
          </MapDataProvider>
        </OutboxProvider>
      </DomainProvider>
    </ToastProvider>
  );
}

/** 值班员 in the header: who is signed in, in which role, and sign-out. */
export function OfficerBadge() {
  const { t } = useI18n();
  const w = t.workstation;
  const session = useSession();
  const [confirm, setConfirm] = useState(false);
  const user = session.user;
  if (!user) return null;
  const offline = session.state.status === 'ready' && session.state.session.offline;
  return (
    <div className="officer" data-testid="officer" data-role={user.role} data-login={user.login}>
      <span className="officer__name" data-testid="officer-name">
        {w.session.signedInAs(user.name, w.roles[user.role])}
      </span>
      {offline && <span className="officer__offline">{w.login.offline}</span>}
      <button type="button" className="button button--ghost button--small" onClick={() => setConfirm(true)} data-testid="logout">
        {w.session.logout}
      </button>
      {confirm && (
        <Dialog title={w.session.logout} onClose={() => setConfirm(false)} closeLabel={w.dialog.close} testId="logout-dialog" size="small">
          <p>{w.session.confirmLogout}</p>
          <footer className="dialog__footer">
            <button type="button" className="button" onClick={() => setConfirm(false)}>
              {w.dialog.cancel}
            </button>
            <button
              type="button"
              className="button button--primary"
              data-testid="logout-confirm"
              onClick={() => {
                setConfirm(false);
                void session.logout();
              }}
            >
              {w.session.logout}
            </button>
          </footer>
        </Dialog>
      )}
    </div>
  );
}
