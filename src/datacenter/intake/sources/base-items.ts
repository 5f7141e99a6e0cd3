/**
 * 基础事项: the 109 base items grid workers inspect on patrol, each mapped to the taxonomy code its
 * reports are filed under. The official list is not public; this is a plausible demo list in the
 * spirit of DOMAIN.md (people, places, things, organisations, hazards), numbered 001–109 in
 * groups. A site replaces it with its own as configuration. Where the demo taxonomy has a finer
 * class for an item (道路不洁 → 040101) the item maps there, otherwise to its group's category.
 */

export interface BaseItem {
  /** three digits, 001–109 */
  code: string;
  name: string;
  /** taxonomy code reports on this item are filed under */
  categoryCode: string;
}

type Entry = string | [name: string, categoryCode: string];

const GROUPS: { categoryCode: string; items: Entry[] }[] = [
  // 11 消防安全
  {
    categoryCode: '11',
    items: [
      ['消防通道堵塞', '1101'],
      ['消防设施损坏', '1102'],
      ['三小场所火灾隐患', '1103'],
      '电动自行车违规停放充电',
      '易燃杂物堆放',
      '违规用火用电',
      '灭火器缺失过期',
      '楼道堵塞',
      '出租屋消防隐患',
      '高层建筑消防隐患',
      '电气线路老化',
    ],
  },
  // 10 安全生产
  {
    categoryCode: '10',
    items: [
      ['企业安全隐患', '1001'],
      ['危险化学品违规存放', '1002'],
      ['建设工地安全隐患', '1003'],
      '燃气使用隐患',
      '特种设备隐患',
      '有限空间作业隐患',
      '违规生产经营',
      '高空坠物隐患',
      '广告牌松动',
      '临时用电隐患',
      '电梯故障',
    ],
  },
  // 04 城市管理
  {
    categoryCode: '04',
    items: [
      ['道路不洁', '040101'],
      ['垃圾满溢', '040102'],
      ['乱张贴乱涂写', '040103'],
      ['占道经营', '040104'],
      ['井盖缺失破损', '040201'],
      ['路灯不亮', '040202'],
      ['道路破损', '040203'],
      ['树木倒伏', '040301'],
      ['绿地脏乱', '040302'],
      ['乱堆乱放', '0401'],
      ['违规搭建遮阳篷', '0401'],
      ['机动车乱停放', '0401'],
      ['共享单车乱停放', '0401'],
      ['建筑垃圾乱倒', '0401'],
      ['户外广告破损', '0401'],
      ['违规户外广告', '0401'],
      ['公共设施损坏', '0402'],
    ],
  },
  // 06 两违查控
  {
    categoryCode: '06',
    items: [
      ['在建违法建设', '060101'],
      ['既有违法建设', '060102'],
      ['非法占用耕地', '060201'],
      ['违规改变房屋用途', '0601'],
      ['擅自加建阁楼', '060101'],
      ['违规搭建铁皮房', '060101'],
      ['擅自开挖道路', '0601'],
    ],
  },
  // 08 治水
  {
    categoryCode: '08',
    items: [
      ['河涌污染', '0801'],
      ['河涌漂浮物', '0801'],
      ['违法排污口', '0801'],
      ['排水管道堵塞', '0802'],
      ['内涝积水', '0802'],
      ['供水管道破裂', '0803'],
      ['河岸违法建设', '0801'],
      ['水闸泵站异常', '0802'],
    ],
  },
  // 07 污染防治
  {
    categoryCode: '07',
    items: [
      ['露天焚烧', '0701'],
      ['扬尘污染', '0701'],
      ['餐饮油烟', '0701'],
      ['工业废气', '0701'],
      ['噪声扰民', '0702'],
      ['工业废水废渣', '0703'],
      '散乱污场所',
      '畜禽养殖污染',
    ],
  },
  // 05 平安建设
  {
    categoryCode: '05',
    items: [
      ['治安隐患', '0501'],
      ['矛盾纠纷', '0502'],
      ['出租屋未登记', '0503'],
      ['来穗人员未登记', '0503'],
      ['重点人员异常', '0501'],
      ['涉黄涉赌线索', '0501'],
      ['寄递物流安全', '0501'],
      ['校园周边安全', '0501'],
      ['邻里纠纷', '0502'],
      ['劳资纠纷', '0502'],
      ['非法营运', '0501'],
    ],
  },
  // 09 应急管理
  {
    categoryCode: '09',
    items: [
      ['山体滑坡隐患', '0901'],
      ['危险边坡', '0901'],
      ['危房隐患', '0901'],
      ['台风防御隐患', '0901'],
      ['地面塌陷', '0902'],
      ['突发事件报告', '0902'],
      ['森林火险', '0901'],
      ['水浸黑点', '0901'],
    ],
  },
  // 12 疫情防控
  {
    categoryCode: '12',
    items: [['传染病疫情报告', '1201'], ['病媒生物孳生', '1202'], '农贸市场卫生', ['发热人员报告', '1201'], '动物疫情'],
  },
  // 03 社会服务
  {
    categoryCode: '03',
    items: [
      ['困难群众救助需求', '0301'],
      ['独居老人探访', '0302'],
      ['残疾人服务需求', '0301'],
      ['就业需求', '0303'],
      ['社保咨询', '0303'],
      '未成年人保护',
      ['流浪乞讨人员', '0301'],
      '心理援助需求',
    ],
  },
  // 02 政务服务
  { categoryCode: '02', items: [['办事难办事慢', '0201'], ['政策咨询', '0202'], ['证照办理', '0203'], '公共服务设施损坏'] },
  // 01 党建引领
  { categoryCode: '01', items: [['党员联系服务群众诉求', '0101'], ['党员志愿服务需求', '0102'], '党组织活动阵地维护'] },
  // 13 企业诉求
  {
    categoryCode: '13',
    items: [
      ['营商环境', '1301'],
      ['用工需求', '1302'],
      ['融资需求', '1302'],
      ['水电气保障', '1303'],
      ['市场秩序', '1304'],
      ['食品安全隐患', '1304'],
      ['无证经营', '1304'],
      ['价格违法', '1304'],
    ],
  },
];

export const BASE_ITEMS: readonly BaseItem[] = GROUPS.flatMap((g) => g.items).map((entry, i) => {
  const code = String(i + 1).padStart(3, '0');
  return typeof entry === 'string' ? { code, name: entry, categoryCode: GROUPS.find((g) => g.items.includes(entry))!.categoryCode } : { code, name: entry[0], categoryCode: entry[1] };
});
