/**
 * The `?fake=1` switch's bridge: the whole data service replaced by the demo
 * service (5,000 events, a new one every 20 s, commands settling on their
 * own), for looking at the workstation before the real query layer exists.
 * Loaded only through the dynamic import in main.tsx behind
 * `import.meta.env.DEV || import.meta.env.VITE_HUYING_DEMO`, so an ordinary
 * production build contains none of it.
 */
import { answer, type Bridge } from '../../../core/rpc/wire';
import { createDemoService } from './demo-service';

export function createDemoBridge(search: string): Bridge {
  const params = new URLSearchParams(search);
  const demo = createDemoService({
    events: Number(params.get('events') ?? 5000),
    signedIn: params.get('as'),
    simulateEveryMs: Number(params.get('every') ?? 20_000),
  });
  // for looking around from the browser console
  (globalThis as { huyingDemo?: unknown }).huyingDemo = demo;
  return {
    invoke: (name, args) => answer(demo.handlers, name, args),
    subscribe: (name, listener) => demo.subscribe(name as 'sync/status', listener),
  };
}
