/**
 * Simplified-Chinese messages, the default locale. This object defines the
 * shape of the catalogue (`Messages`): every other locale is typed against it,
 * so a missing or extra key fails type-checking rather than showing a blank.
 * Messages that take values are functions, so their parameters are typed too.
 */
import type { ErrorCode } from '../../core/errors';
import type { SyncState } from '../../core/rpc/contract';
import { wallZhCN } from '../wall/i18n/zh-cn';
import { workstationZhCN } from '../workstation/i18n/zh-cn';

export const zhCN = {
  app: {
    title: '呼应 · Huying 综合指挥调度',
    tagline: '综合指挥调度',
    clock: '当前时间',
  },
  mode: {
    label: '视图',
    wall: '大屏',
    workstation: '工作台',
    map: '网格地图',
  },
  language: {
    label: '语言',
  },
  sync: {
    label: '同步',
    states: {
      connecting: '连接中',
      snapshot: '下载快照',
      catching_up: '追赶更新',
      live: '实时',
      offline: '离线',
    } satisfies Record<SyncState, string>,
    dataCenter: '数据中心',
    offlineSince: (time: string) => `离线自 ${time}`,
    lastBatch: (time: string) => `最近更新 ${time}`,
    progress: (rows: string, total: string | null) => (total === null ? `已接收 ${rows} 行` : `已接收 ${rows} / ${total} 行`),
    rate: (rowsPerSecond: string, received: string) => `${rowsPerSecond} 行/秒，已收 ${received}`,
    /** a replica image (副本镜像): its download, then its copy into the replica; amount like "120 / 523 MB" */
    image: (phase: 'download' | 'copy', amount: string) => (phase === 'download' ? `正在下载副本镜像 ${amount}` : `正在切换副本镜像 ${amount}`),
    eta: (left: string) => `约剩 ${left}`,
    unknown: '同步状态未知',
  },
  status: {
    loading: '正在加载…',
    loadingMap: '正在加载辖区地图…',
    retry: '重试',
    errorTitle: '出错了',
  },
  errors: {
    invalid_args: '请求参数无效',
    unknown_method: '未知的请求',
    forbidden_sender: '来源不被允许',
    forbidden: '无权执行此操作',
    unauthenticated: '尚未登录',
    rate_limited: '尝试次数过多，请稍后再试',
    not_found: '未找到',
    illegal_transition: '当前状态不允许此操作',
    conflict: '数据冲突',
    unavailable: '无法连接数据中心',
    must_refetch: '需要重新下载数据',
    timeout: '请求超时',
    internal: '内部错误',
    invalid_command: '指令无效',
    forbidden_role: '当前角色无权执行此操作',
    out_of_scope: '超出管辖范围',
    not_assigned_unit: '本单位不是承办单位',
    not_lead_unit: '只有主办单位可以执行此操作',
    missing_reason: '请填写原因',
    deadline_passed: '已超过办理时限',
    extension_pending: '已有待审批的延期申请',
    no_pending_extension: '没有待审批的延期申请',
    bounce_not_allowed: '当前不允许退单',
    check_required: '需先完成现场核查',
    invalid_target: '目标无效',
  } satisfies Record<ErrorCode, string>,
  district: {
    towns: '镇街',
    villages: '村居',
    grids: '网格',
    townList: '镇街列表',
    resetView: '全区',
    resetViewHint: '回到全区视图',
    zoomTo: (name: string) => `定位到${name}`,
    villagesOf: (n: string) => `${n} 个村居`,
    gridsOf: (n: string) => `${n} 个网格`,
    kinds: {
      district: '区',
      subdistrict: '街道',
      town: '镇',
      community: '社区',
      village: '村',
    },
    gridKinds: {
      community: '社区网格',
      rural: '农村网格',
    },
  },
  tooltip: {
    gridCode: '网格编码',
    gridName: '网格名称',
    village: '村居',
    town: '镇街',
    workers: '网格员',
    noWorker: '未配置网格员',
  },
  map: {
    ariaLabel: '辖区网格地图',
    legend: '图例：网格按镇街着色',
    zoomIn: '放大',
    zoomOut: '缩小',
    resetBearing: '重置方向',
  },
  wall: wallZhCN,
  workstation: workstationZhCN,
};

export type Messages = typeof zhCN;
