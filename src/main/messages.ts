/**
 * The few texts main shows itself (error boxes, the offline status while the
 * data service restarts). zh-CN is the default; English when the system
 * locale is English. Everything else is translated in the renderer.
 */
const zhCN = {
  serviceOffline: '数据服务已停止，正在重新启动…',
  serviceStarting: '正在启动数据中心和数据服务…',
  startFailedTitle: '呼应无法启动',
  configFailed: '配置有误：',
  dataCenterFailed: '内置数据中心未能启动：',
};

const en: typeof zhCN = {
  serviceOffline: 'The data service stopped; restarting…',
  serviceStarting: 'Starting the data center and the data service…',
  startFailedTitle: 'Huying could not start',
  configFailed: 'The configuration is wrong: ',
  dataCenterFailed: 'The embedded data center did not start: ',
};

export type MainMessages = typeof zhCN;

export function mainMessages(locale: string): MainMessages {
  return locale.toLowerCase().startsWith('en') ? en : zhCN;
}
