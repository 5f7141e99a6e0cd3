/** `app/info`: who is answering, for the renderer's about box and status bar. */
import type { AppInfo, Handlers } from '../../../core/index';

export interface AppInfoSource {
  name: string;
  version: string;
  shell: AppInfo['shell'];
  dataCenterUrl: string;
  locale: string;
}

export function createAppHandlers(info: AppInfoSource): Pick<Handlers, 'app/info'> {
  return {
    'app/info': () => ({ ...info }),
  };
}
