/**
 * Plausible, deterministic Chinese names and phone numbers for the demo district. Place names are
 * two syllables in the style of the Pearl River Delta (岗, 塘, 涌, 坑, 边 …) and unique across the
 * district, so a name alone finds a place in the demo; people's names follow the common surnames
 * of Guangzhou. None of them is meant to match a real person or a real 村/社区.
 */
import type { Random } from './random';

const COMMUNITY_FIRST = [...'新建云曙宝公龙培花秀天凤紫锦金碧翠东南西北康乐和平安兴华盛明阳光富荣丰泰嘉怡景'];
const COMMUNITY_SECOND = [...'苑园华城景港都山湖庭峰园湾苑溪岭街坊里源华辉兴塘'];
const VILLAGE_FIRST = [...'东西南北上下大小新旧高长清白黄红青水山田石平岐联龙凤马象狮莲梅兰松竹桂洛杨李陈朱罗邝骆毕汤江乌金银沙鸭'];
const VILLAGE_SECOND = [...'边头围岗塘湖田岭山溪坑星光明丰安兴和庄园洲口角美元华源阳峰坪塱步埔涌冈陂圳潭湾社岭寨'];

const SURNAMES = [...'陈李黄梁何罗林张刘吴郑谢邓冯曾王杨朱徐骆邝毕汤江钟叶潘蔡周胡赖彭廖卢苏许温'];
const GIVEN = [...'志伟文华建国明辉丽芳婷敏丹燕玲嘉欣俊杰浩然子轩梓涵诗琪思颖家乐伟强永健国栋锦荣秀英惠玲少华淑贤晓东振宇'];

const MOBILE_PREFIXES = ['130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156', '157', '158', '159', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '199'];

/** Hands out names and numbers that are never repeated within one generation run. */
export class NameBook {
  private readonly usedPlaces = new Set<string>();
  private readonly usedPhones = new Set<string>();

  constructor(private readonly rng: Random) {}

  /** 社区 community name without its suffix, e.g. 云景 → 云景社区 */
  communityBase(): string {
    return this.place(COMMUNITY_FIRST, COMMUNITY_SECOND);
  }

  /** 村 village name without its suffix, e.g. 岐山 → 岐山村 */
  villageBase(): string {
    return this.place(VILLAGE_FIRST, VILLAGE_SECOND);
  }

  private place(first: readonly string[], second: readonly string[]): string {
    for (let tries = 0; tries < 10_000; tries++) {
      const a = this.rng.pick(first);
      const b = this.rng.pick(second);
      if (a === b) continue;
      const name = a + b;
      if (!this.usedPlaces.has(name)) {
        this.usedPlaces.add(name);
        return name;
      }
    }
    throw new Error('NameBook: ran out of place names');
  }

  /** a person's name, e.g. 陈志伟 or 黄敏 */
  person(): string {
    const given = this.rng.next() < 0.7 ? this.rng.pick(GIVEN) + this.rng.pick(GIVEN) : this.rng.pick(GIVEN);
    return this.rng.pick(SURNAMES) + given;
  }

  /** an 11-digit mobile number, unique in this run */
  mobile(): string {
    return this.unique(() => this.rng.pick(MOBILE_PREFIXES) + this.digits(8));
  }

  /** a Guangzhou landline, e.g. 020-36861234, unique in this run */
  landline(): string {
    return this.unique(() => `020-3${this.rng.pick(['686', '689', '690', '693', '696', '698'])}${this.digits(4)}`);
  }

  /** marks a number that came from configuration as taken */
  reservePhone(phone: string): void {
    this.usedPhones.add(phone);
  }

  private unique(make: () => string): string {
    for (let tries = 0; tries < 10_000; tries++) {
      const phone = make();
      if (!this.usedPhones.has(phone)) {
        this.usedPhones.add(phone);
        return phone;
      }
    }
    throw new Error('NameBook: ran out of phone numbers');
  }

  private digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.rng.int(0, 9));
    return s;
  }
}
