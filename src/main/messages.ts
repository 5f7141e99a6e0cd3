/**
 * The few texts main shows itself (error boxes, the status while the data
 * service starts or restarts or the embedded data center migrates its store).
 * zh-CN is the default; English when the system locale is English. Everything
 * else is translated in the renderer.
 */
const zhCN = {
  serviceOffline: '数据服务已停止，正在重新启动…',
  serviceStarting: '正在启动数据中心和数据服务…',
  /** while the embedded data center runs schema migration `index` of `count` (docs/electron.md) */
  dataCenterMigrating: (index: number, count: number, name: string) =>
    `数据中心正在升级存储（迁移 ${index}/${count}：${name}），大库可能需要几分钟，请勿关闭…`,
  startFailedTitle: '呼应无法启动',
  configFailed: '配置有误：',
  dataCenterFailed: '内置数据中心未能启动：',
};

const en: typeof zhCN = {
  serviceOffline: 'The data service stopped; restarting…',
  serviceStarting: 'Starting the data center and the data service…',
  dataCenterMigrating: (index, count, name) =>
    `The data center is upgrading its store (migration ${index}/${count}: ${name}); a large store can take several minutes — please do not close the app…`,
  startFailedTitle: 'Huying could not start',
  configFailed: 'The configuration is wrong: ',
  dataCenterFailed: 'The embedded data center did not start: ',
};

export type MainMessages = typeof zhCN;

export function mainMessages(locale: string): MainMessages {
  return locale.toLowerCase().startsWith('en') ? en : zhCN;
}
