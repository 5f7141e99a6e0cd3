/**
 * Payloads in each source system's own format, as that system would POST them to
 * `POST /api/v1/intake/{source}` (docs/intake.md): 12345 work orders with Chinese appeal types,
 * local times and GCJ-02 positions (geocoded on AMap); grid-patrol reports with a base item, the
 * grid code and on-site photos; 数字城管 cases with a minor class in CGCS2000, AI camera alarms
 * with a camera id and a confidence; one-key calls with a phone and a call type; enterprise calls
 * with a valid unified social credit code; Open311 requests with a service code (now and then
 * from a Baidu-based app in BD-09); 来穗 and 政务服务 cases through the generic API.
 *
 * The simulator sends them through the real intake path, so the adapters validate, convert and
 * place them exactly as for a real sender. `badPayload` spoils one now and then (a missing
 * field, swapped coordinates, a report from the future, a body that is not JSON) so the
 * quarantine has something to show.
 */
import { createHash } from 'node:crypto';
import gcoord from 'gcoord';
import type { RawBody } from '../intake/body';
import { DEMO_HOTLINE_LABELS, DEMO_URBAN_MANAGEMENT_CLASSES } from '../intake/categories';
import type { IntakeSourceName } from '../intake/draft';
import { BASE_ITEMS, type BaseItem } from '../intake/sources/base-items';
import type { SimSource } from './model';
import type { SimRandom } from './random';
import type { Hotspot, LonLat, SimGrid } from './world';

/** What the arrival is about, decided by the model before a payload is written. */
export interface ArrivalFacts {
  /** the arrival's number within its run (external references are built from it) */
  index: number;
  at: Date;
  source: SimSource;
  /** the taxonomy code the reporter means (a label may not map to it; the officer then classifies) */
  categoryCode: string;
  /** WGS84 position, null for the few reports without one */
  position: LonLat | null;
  grid: SimGrid | null;
  hotspot: Hotspot | null;
  storm: boolean;
  urgent: boolean;
}

export interface SimPayload {
  /** the intake path (`POST /api/v1/intake/{path}`) */
  path: IntakeSourceName;
  /** the body as sent */
  body: RawBody;
  /** the external reference the adapter will read, null for Open311 */
  externalRef: { system: string; id: string } | null;
}

/** Taxonomy names the payloads may use as labels (code → name). */
export type CategoryNames = ReadonlyMap<string, string>;

const SURNAMES = [...'陈李黄梁何罗林张刘吴郑谢邓冯曾王杨朱徐钟叶潘蔡周胡赖彭廖卢苏许温'];
const GIVEN = [...'志伟文华建国明辉丽芳婷敏丹燕玲嘉欣俊杰浩然子轩梓涵诗琪思颖家乐伟强永健国栋锦荣秀英惠玲少华淑贤晓东振宇'];
const MOBILE = ['135', '136', '137', '138', '139', '150', '158', '159', '186', '188', '189', '199'];

export function personName(rng: SimRandom): string {
  return rng.pick(SURNAMES) + rng.pick(GIVEN) + (rng.chance(0.7) ? rng.pick(GIVEN) : '');
}

export function mobile(rng: SimRandom): string {
  let digits = '';
  for (let i = 0; i < 8; i++) digits += String(rng.int(0, 9));
  return rng.pick(MOBILE) + digits;
}

/** What people say, per category (the node name is used for the rest). */
const DESCRIPTIONS: Record<string, string[]> = {
  '040101': ['路面有大量泥沙和积存垃圾，行人通行不便', '道路两侧落叶和垃圾未及时清扫'],
  '040102': ['垃圾桶满溢，垃圾散落地面，异味明显', '垃圾收集点垃圾堆积两天无人清运'],
  '040103': ['墙面和电线杆上贴满小广告', '围墙被乱涂乱画'],
  '040104': ['流动摊贩占用人行道经营，影响通行', '商铺在店外摆卖占道经营'],
  '040201': ['人行道井盖缺失，存在安全隐患', '井盖破损松动，车辆经过有响声'],
  '040202': ['整段路灯晚上不亮，夜间出行不安全', '路灯闪烁不亮已有数日'],
  '040203': ['路面坑洼破损，雨天积水', '道路塌陷开裂，车辆绕行'],
  '040301': ['大树倒伏压住道路', '树枝折断悬挂在路边'],
  '040302': ['绿化带内垃圾杂物堆积', '绿地被占用堆放杂物'],
  '0501': ['路段夜间无照明，常有可疑人员逗留', '发现治安隐患，请求加强巡查'],
  '0502': ['邻里因漏水问题发生纠纷，多次协商未果', '业主与物业发生纠纷'],
  '0503': ['出租屋新入住人员未登记', '出租屋群租，人员流动频繁'],
  '060101': ['有人在楼顶加建铁皮房，正在施工', '村内空地有人违规搭建砖房'],
  '060102': ['楼顶存在违法搭建构筑物', '既有违建影响消防通道'],
  '060201': ['农田被倾倒泥土填平，疑似非法占用耕地', '耕地上搭建临时厂房'],
  '0701': ['附近有人露天焚烧垃圾，烟雾很大', '工地扬尘严重'],
  '0702': ['夜间施工噪音扰民，影响休息', '商铺音响声音过大，扰民严重', '广场舞音量过大'],
  '0703': ['工厂向河涌排放不明污水', '厂区外堆放工业废渣'],
  '0801': ['河涌水体发黑发臭，有漂浮物', '河涌岸边有排污口排放污水'],
  '0802': ['路面积水严重，车辆无法通行', '排水渠堵塞，雨后积水不退', '小区地下车库进水'],
  '0803': ['小区停水，未收到通知', '供水管道破裂，路面冒水'],
  '0901': ['山体出现裂缝，有滑坡危险', '低洼地段水浸，居民被困'],
  '0902': ['路口发生交通事故，有人受伤', '地面突然塌陷'],
  '1001': ['企业车间消防通道堆放货物，安全出口被锁', '厂房电线私拉乱接'],
  '1002': ['仓库违规存放危险化学品', '危化品运输车辆违规停放'],
  '1003': ['工地脚手架不稳，无防护网', '工地夜间施工无安全措施'],
  '1101': ['楼道消防通道被杂物堵塞', '小区消防车通道被车辆占用'],
  '1102': ['消防栓损坏漏水', '灭火器过期未更换'],
  '1103': ['小作坊人员住宿与生产混在一起', '出租屋内电动车充电，存在火灾隐患'],
  '1201': ['社区发现发热病人，疑似传染病', '学校出现多名学生发热'],
  '1202': ['积水处蚊虫滋生', '垃圾点老鼠出没'],
  '0201': ['办理业务多次往返仍未办结', '窗口排队时间过长'],
  '0202': ['咨询社保政策', '咨询老旧小区改造政策'],
  '0203': ['证照办理进度查询', '营业执照变更咨询'],
  '0301': ['独居老人生活困难，需要救助', '困难家庭申请临时救助'],
  '0302': ['社区长者饭堂服务需求', '居家养老服务申请'],
  '0303': ['咨询就业补贴政策', '失业人员求职登记'],
  '0101': ['党员反映群众诉求', '群众向党员联系户反映困难'],
  '0102': ['社区活动需要党员志愿者协助', '志愿服务需求对接'],
  '1301': ['企业反映审批手续繁琐', '企业反映政策兑现慢'],
  '1302': ['企业招工难，需要用工对接', '企业申请融资支持'],
  '1303': ['工业园区频繁停电影响生产', '企业用地手续办理困难'],
  '1304': ['市场内有无证经营', '商家哄抬价格'],
};

export function describe(code: string, names: CategoryNames, rng: SimRandom, storm: boolean): string {
  const options = DESCRIPTIONS[code] ?? DESCRIPTIONS[code.slice(0, 4)] ?? [`${names.get(code) ?? '问题'}，请尽快处理`];
  const text = rng.pick(options);
  return storm ? `暴雨期间，${text}` : text;
}

/** 数字城管 minor-class names by taxonomy code. */
const URBAN_CLASS_OF = new Map<string, string[]>();
for (const [name, code] of Object.entries(DEMO_URBAN_MANAGEMENT_CLASSES)) URBAN_CLASS_OF.set(code, [...(URBAN_CLASS_OF.get(code) ?? []), name]);
const HOTLINE_LABEL_OF = new Map<string, string[]>();
for (const [label, code] of Object.entries(DEMO_HOTLINE_LABELS)) HOTLINE_LABEL_OF.set(code, [...(HOTLINE_LABEL_OF.get(code) ?? []), label]);
/** 基础事项 items by the code they file under (exact first, else the major's). */
const BASE_ITEMS_OF = new Map<string, BaseItem[]>();
for (const item of BASE_ITEMS) BASE_ITEMS_OF.set(item.categoryCode, [...(BASE_ITEMS_OF.get(item.categoryCode) ?? []), item]);
/** What an AI camera recognises. */
const AI_CLASSES = new Set(['040101', '040102', '040103', '040104', '060101']);
const ONE_KEY_TYPE: Record<string, 'fire' | 'medical' | 'security' | 'disaster'> = { '0501': 'security', '0901': 'disaster', '0902': 'medical', '1201': 'medical', '1101': 'fire', '1102': 'fire', '1103': 'fire' };

/** Whether `source` can report category `code` in its own vocabulary. */
export function canReport(source: SimSource, code: string): boolean {
  switch (source) {
    case 'urban_management':
      return URBAN_CLASS_OF.has(code);
    case 'ai_camera':
      return AI_CLASSES.has(code);
    case 'grid_patrol':
      return BASE_ITEMS_OF.has(code) || BASE_ITEMS_OF.has(code.slice(0, 2));
    case 'one_key':
      return code in ONE_KEY_TYPE;
    case 'enterprise':
      return code.startsWith('13') || code === '1001' || code === '0703';
    default:
      return true;
  }
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** `YYYY-MM-DD HH:mm:ss` in China Standard Time, as most Chinese systems send it. */
export function localStamp(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** ISO 8601 with the +08:00 offset, as the grid app sends it. */
export function cstIso(at: Date): string {
  return `${new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

const ymd = (at: Date) => localStamp(at).slice(0, 10).replaceAll('-', '');

function convert(p: LonLat, to: 'GCJ02' | 'BD09'): LonLat {
  const [lon, lat] = gcoord.transform([p[0], p[1]], gcoord.WGS84, gcoord[to]) as [number, number];
  return [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6];
}

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A valid 统一社会信用代码 (GB 32100-2015) of an enterprise registered in the district. */
export function uscc(rng: SimRandom, districtCode: string): string {
  let body = '91' + districtCode.slice(0, 6);
  for (let i = 0; i < 9; i++) body += USCC_CHARSET[rng.int(0, i < 8 ? 30 : 9)];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARSET.indexOf(body[i]!) * USCC_WEIGHTS[i]!;
  return body + USCC_CHARSET[(31 - (sum % 31)) % 31];
}

const ENTERPRISE_NAMES = ['皮具有限公司', '汽车零部件有限公司', '电子科技有限公司', '物流有限公司', '食品有限公司', '五金制品厂', '服装有限公司', '新材料有限公司'];
const ENTERPRISE_PREFIX = ['华', '盛', '粤', '花', '鹏', '隆', '嘉', '富', '恒', '骏', '宏', '联'];

function address(facts: ArrivalFacts, rng: SimRandom): string | undefined {
  if (facts.hotspot) return `${facts.hotspot.name}${rng.chance(0.5) ? '门口' : '附近'}`;
  if (!facts.grid) return undefined;
  return `${rng.pick(['建设路', '迎宾大道', '龙珠路', '新华路', '公益路', '花城路', '凤凰路', '站前路', '田美路', '工业大道'])}${rng.int(1, 300)}号`;
}

function photo(rng: SimRandom, facts: ArrivalFacts, host: string): string {
  return `https://${host}/files/${ymd(facts.at)}/${rng.uuid().slice(0, 8)}.jpg`;
}

/**
 * The payload an arrival sends. `tag` makes external references unique to the run (a simulator
 * restarted with the same seed does not reuse another run's work-order numbers).
 */
export function buildPayload(facts: ArrivalFacts, rng: SimRandom, ctx: { names: CategoryNames; districtCode: string; tag: string }): SimPayload {
  const { at, categoryCode: code, position: p } = facts;
  const seq = `${ymd(at)}${pad(facts.index % 1_000_000, 6)}${ctx.tag}`;
  const desc = describe(code, ctx.names, rng, facts.storm);
  const addr = address(facts, rng);
  const json = (path: IntakeSourceName, value: Record<string, unknown>, externalRef: SimPayload['externalRef']): SimPayload => ({
    path,
    body: { text: JSON.stringify(value), contentType: 'application/json' },
    externalRef,
  });
  switch (facts.source) {
    case 'hotline_12345': {
      const orderNo = `GZ12345-${seq}`;
      const labels = HOTLINE_LABEL_OF.get(code);
      // now and then the platform's classification is one nobody mapped: the officer classifies
      const classification = rng.chance(0.06) ? '其他' : labels && rng.chance(0.5) ? rng.pick(labels) : (ctx.names.get(code) ?? '其他');
      const appeal = facts.urgent ? '紧急' : rng.weighted<string>([['投诉', 35], ['求助', 25], ['咨询', code.startsWith('02') || code === '0303' ? 60 : 15], ['举报', 10], ['建议', 7]]);
      const gcj = p ? convert(p, 'GCJ02') : null;
      const order: Record<string, unknown> = {
        orderNo,
        appealType: appeal,
        isUrgent: facts.urgent,
        content: desc,
        classification,
        caller: { name: personName(rng), phone: mobile(rng) },
        acceptedAt: localStamp(new Date(at.getTime() - rng.int(60, 900) * 1000)),
        dispatchingUnit: '广州市12345政务服务便民热线',
      };
      if (addr) order.address = addr;
      if (gcj) Object.assign(order, { longitude: gcj[0], latitude: gcj[1], coordinateSystem: 'gcj02' });
      return json('hotline_12345', order, { system: '12345', id: orderNo });
    }
    case 'grid_patrol': {
      const items = BASE_ITEMS_OF.get(code) ?? BASE_ITEMS_OF.get(code.slice(0, 2)) ?? BASE_ITEMS;
      const item = rng.pick(items);
      const worker = facts.grid?.workers.length ? rng.pick(facts.grid.workers) : { id: `W${facts.grid?.code ?? '0'}`, name: personName(rng), phone: mobile(rng) };
      const reportId = `GP-${seq}`;
      const report: Record<string, unknown> = {
        reportId,
        workerId: worker.id,
        workerName: worker.name,
        workerPhone: worker.phone,
        gridCode: facts.grid?.code,
        baseItem: item.code,
        description: desc,
        photos: [photo(rng, facts, 'grid.huadu.gov.cn'), ...(rng.chance(0.4) ? [photo(rng, facts, 'grid.huadu.gov.cn')] : [])],
        selfHandled: false,
        urgency: facts.urgent ? 'urgent' : 'normal',
        reportedAt: cstIso(new Date(at.getTime() - rng.int(10, 300) * 1000)),
      };
      if (addr) report.address = addr;
      // a phone without a GPS fix: placed by the grid code
      if (p && !rng.chance(0.05)) report.location = { lon: p[0], lat: p[1] };
      return json('grid_patrol', report, { system: 'grid-app', id: reportId });
    }
    case 'urban_management':
    case 'ai_camera': {
      const ai = facts.source === 'ai_camera';
      const classes = URBAN_CLASS_OF.get(code) ?? ['道路不洁'];
      const caseNo = `SZCG-${seq}`;
      const doc: Record<string, unknown> = {
        caseNo,
        caseType: code.startsWith('0402') ? 'component' : 'event',
        majorClass: code.startsWith('0402') ? '市政公用设施' : code.startsWith('06') ? '违法建设' : '市容环境',
        minorClass: rng.pick(classes),
        description: ai ? `AI视频识别：${desc}` : desc,
        aiAlarm: ai,
        urgency: facts.urgent ? 'urgent' : 'normal',
        reportedAt: localStamp(new Date(at.getTime() - rng.int(5, 120) * 1000)),
        attachments: [photo(rng, facts, 'szcg.gz.gov.cn')],
      };
      if (addr) doc.address = addr;
      if (p) doc.location = { lon: p[0], lat: p[1], coordSystem: 'cgcs2000' };
      if (ai) Object.assign(doc, { cameraId: `CAM-${facts.grid?.townCode.slice(6, 9) ?? '000'}-${pad(rng.int(1, 400), 4)}`, confidence: Math.round((0.55 + 0.44 * rng.next()) * 100) / 100 });
      else doc.supervisorId = `JDY-${pad(rng.int(1, 120), 3)}`;
      return json('urban_management', doc, { system: 'szcg', id: caseNo });
    }
    case 'one_key': {
      const callId = `YJ-${seq}`;
      const call: Record<string, unknown> = {
        callId,
        deviceId: `BOX-${pad(rng.int(1, 900), 4)}`,
        caller: { name: personName(rng), phone: mobile(rng), ...(facts.hotspot ? { organisation: facts.hotspot.name } : {}) },
        location: { lon: p?.[0] ?? facts.grid?.label[0], lat: p?.[1] ?? facts.grid?.label[1] },
        callType: ONE_KEY_TYPE[code] ?? 'help',
        message: desc,
        calledAt: cstIso(at),
      };
      if (addr) call.address = addr;
      return json('one_key', call, { system: 'one-key', id: callId });
    }
    case 'enterprise': {
      const ticketId = `QYYH-${seq}`;
      const name = `广州市花都区${rng.pick(ENTERPRISE_PREFIX)}${rng.pick(ENTERPRISE_PREFIX)}${rng.pick(ENTERPRISE_NAMES)}`;
      const ticket: Record<string, unknown> = {
        ticketId,
        enterprise: { name, creditCode: uscc(rng, ctx.districtCode), ...(addr ? { address: addr } : {}) },
        contact: { name: personName(rng), phone: mobile(rng), position: rng.pick(['总经理', '行政主管', '厂长', '财务经理']) },
        title: ctx.names.get(code) ?? '企业诉求',
        content: desc,
        submittedAt: cstIso(at),
        urgency: facts.urgent ? 'urgent' : 'normal',
      };
      if (code.startsWith('13')) ticket.categoryCode = code;
      else ticket.category = ctx.names.get(code);
      if (p) ticket.location = { lon: p[0], lat: p[1] };
      return json('enterprise', ticket, { system: 'enterprise', id: ticketId });
    }
    case 'open311': {
      const bd = p && rng.chance(0.3);
      const pos = p ? (bd ? convert(p, 'BD09') : p) : null;
      const req: Record<string, unknown> = {
        service_code: code,
        description: desc,
        first_name: rng.pick(GIVEN) + rng.pick(GIVEN),
        last_name: rng.pick(SURNAMES),
        phone: mobile(rng),
        device_id: `app-${rng.uuid().slice(0, 8)}`,
      };
      if (pos) Object.assign(req, { lat: pos[1], long: pos[0], ...(bd ? { coordinate_system: 'bd09' } : {}) });
      else req.address_string = addr ?? '花都区';
      if (rng.chance(0.3)) req.media_url = photo(rng, facts, 'open311.example.cn');
      return json('open311', req, null);
    }
    case 'migrant':
    case 'gov_service': {
      const system = facts.source === 'migrant' ? 'laisui' : 'zwfw';
      const id = `${system.toUpperCase()}-${seq}`;
      const doc: Record<string, unknown> = {
        externalRef: { system, id },
        title: ctx.names.get(code) ?? '事项',
        description: desc,
        categoryCode: code,
        reportedAt: cstIso(at),
        reporter: { name: personName(rng), phone: mobile(rng) },
      };
      if (addr) doc.address = addr;
      if (p) doc.location = { lon: p[0], lat: p[1] };
      return json(facts.source, doc, { system, id });
    }
  }
}

/** Ways a sender gets it wrong; each is refused by the adapter and kept in quarantine. */
export type Spoil = 'missing_field' | 'swapped_coordinates' | 'future_time' | 'unknown_category' | 'not_json' | 'bad_phone';

/** A broken copy of a good payload: refused before its reference is claimed, so the good one can still come in. */
export function badPayload(good: SimPayload, rng: SimRandom, at: Date): { payload: SimPayload; spoil: Spoil } {
  const value = JSON.parse(good.body.text) as Record<string, unknown>;
  const positioned = 'longitude' in value || 'lat' in value || 'location' in value;
  const spoils: Spoil[] = ['missing_field', 'future_time', 'unknown_category', 'not_json', ...(positioned ? (['swapped_coordinates'] as const) : [])];
  if (good.path === 'one_key' || good.path === 'enterprise') spoils.push('bad_phone');
  const spoil = rng.pick(spoils);
  const future = cstIso(new Date(at.getTime() + 3 * 86_400_000));
  switch (spoil) {
    case 'missing_field': {
      const required: Partial<Record<IntakeSourceName, string>> = {
        hotline_12345: 'content',
        grid_patrol: 'photos',
        urban_management: 'minorClass',
        one_key: 'location',
        enterprise: 'contact',
        open311: 'service_code',
        migrant: 'title',
        gov_service: 'title',
      };
      delete value[required[good.path] ?? 'title'];
      break;
    }
    case 'swapped_coordinates': {
      if ('longitude' in value) [value.longitude, value.latitude] = [value.latitude, value.longitude];
      else if ('lat' in value) [value.lat, value.long] = [value.long, value.lat];
      else {
        const loc = value.location as { lon: number; lat: number; coordSystem?: string };
        value.location = { ...loc, lon: loc.lat, lat: loc.lon };
      }
      break;
    }
    case 'future_time':
      for (const k of ['acceptedAt', 'reportedAt', 'calledAt', 'submittedAt']) if (k in value) value[k] = future;
      if (good.path === 'open311') value.service_code = '99'; // Open311 has no time of its own
      break;
    case 'unknown_category':
      if (good.path === 'grid_patrol') value.baseItem = '999';
      else if (good.path === 'open311') value.service_code = '9999';
      else value.categoryCode = '99';
      break;
    case 'bad_phone':
      if (good.path === 'one_key') (value.caller as Record<string, unknown>).phone = 'call me';
      else (value.contact as Record<string, unknown>).phone = 'n/a';
      break;
    case 'not_json':
      break;
  }
  const text = spoil === 'not_json' ? good.body.text.slice(0, Math.max(10, Math.floor(good.body.text.length / 2))) : JSON.stringify(value);
  return { payload: { path: good.path, body: { text, contentType: 'application/json' }, externalRef: null }, spoil };
}

/** A short tag that keeps external references of different runs apart. */
export function runTag(seed: number, startMs: number): string {
  return createHash('sha256').update(`${seed}:${startMs}`).digest('hex').slice(0, 4).toUpperCase();
}
