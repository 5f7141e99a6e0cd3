import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distanceMetres } from '../../core/geo/geometry';
import { normaliseCoordSystem, toWgs84 } from './coords';

/**
 * An independent implementation of the published forward transforms (WGS84 → GCJ-02, the
 * Krasovsky-ellipsoid offset every open-source converter reproduces; GCJ-02 → BD-09, Baidu's
 * rotation), used as the oracle for gcoord's inverse.
 */
const A = 6378245.0;
const EE = 0.006693421622965943;
const PI = Math.PI;
function transformLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
  r += ((20 * Math.sin(y * PI) + 40 * Math.sin((y / 3) * PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * PI) + 320 * Math.sin((y * PI) / 30)) * 2) / 3;
  return r;
}
function transformLon(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2) / 3;
  r += ((20 * Math.sin(x * PI) + 40 * Math.sin((x / 3) * PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * PI) + 300 * Math.sin((x / 30) * PI)) * 2) / 3;
  return r;
}
function wgsToGcj(lon: number, lat: number): [number, number] {
  let dLat = transformLat(lon - 105, lat - 35);
  let dLon = transformLon(lon - 105, lat - 35);
  const radLat = (lat / 180) * PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * PI);
  dLon = (dLon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * PI);
  return [lon + dLon, lat + dLat];
}
const X_PI = (PI * 3000) / 180;
function gcjToBd(lon: number, lat: number): [number, number] {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

/** Town centres of Huadu (DOMAIN.md) in WGS84 with their GCJ-02 and BD-09 positions (7 decimals). */
const HUADU_PAIRS: { name: string; wgs: [number, number]; gcj: [number, number]; bd: [number, number] }[] = [
  { name: '新华街', wgs: [113.22, 23.39], gcj: [113.225356, 23.3874147], bd: [113.2319114, 23.3930858] },
  { name: '花东镇', wgs: [113.38, 23.42], gcj: [113.3855359, 23.4175791], bd: [113.3920004, 23.4238295] },
  { name: '赤坭镇', wgs: [113.04, 23.4], gcj: [113.0454212, 23.3975106], bd: [113.0518513, 23.4038357] },
  { name: '梯面镇', wgs: [113.29, 23.57], gcj: [113.2953883, 23.5674381], bd: [113.3018513, 23.573676] },
];

/** Guangdong cities from gcoord's public fixture (hujiulong/gcoord test/fixtures/china-cities.json), positions from map APIs. */
const GUANGDONG_FIXTURE: { name: string; wgs: [number, number]; gcj: [number, number]; bd: [number, number] }[] = [
  { name: '梅州市', wgs: [116.1174053, 24.2912377], gcj: [116.1222426, 24.2886182], bd: [116.1287823, 24.2944828] },
  { name: '汕头市', wgs: [116.6775114, 23.3567569], gcj: [116.6819735, 23.3540964], bd: [116.6885014, 23.3598884] },
  { name: '河源市', wgs: [114.6962648, 23.7463448], gcj: [114.7009627, 23.7436914], bd: [114.7074093, 23.7498752] },
];

describe('coordinate conversion on intake', () => {
  it('the known Huadu pairs agree with the forward oracle (so the table is not a typo)', () => {
    for (const p of HUADU_PAIRS) {
      expect(distanceMetres(wgsToGcj(...p.wgs), p.gcj)).toBeLessThan(0.02);
      expect(distanceMetres(gcjToBd(...p.gcj), p.bd)).toBeLessThan(0.02);
    }
  });

  it.each(HUADU_PAIRS)('GCJ-02 and BD-09 positions in $name come back to WGS84 within 0.5 m', (p) => {
    const fromGcj = toWgs84(p.gcj[0], p.gcj[1], 'gcj02');
    const fromBd = toWgs84(p.bd[0], p.bd[1], 'bd09');
    expect(distanceMetres(fromGcj.location, p.wgs)).toBeLessThan(0.5);
    expect(distanceMetres(fromBd.location, p.wgs)).toBeLessThan(0.5);
    // the shift being undone is several hundred metres, so a no-op conversion would fail above
    expect(distanceMetres(p.gcj, p.wgs)).toBeGreaterThan(300);
    expect(fromGcj.sourceLocation).toEqual({ lon: p.gcj[0], lat: p.gcj[1], system: 'gcj02' });
    expect(fromBd.sourceLocation).toEqual({ lon: p.bd[0], lat: p.bd[1], system: 'bd09' });
  });

  it.each(GUANGDONG_FIXTURE)('matches map-API positions for $name within 1 m', (p) => {
    expect(distanceMetres(toWgs84(p.gcj[0], p.gcj[1], 'gcj02').location, p.wgs)).toBeLessThan(1);
    expect(distanceMetres(toWgs84(p.bd[0], p.bd[1], 'bd09').location, p.wgs)).toBeLessThan(1);
  });

  it('inverts the forward transform anywhere in the district to within 0.5 m (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 112.96, max: 113.47, noNaN: true }), fc.double({ min: 23.27, max: 23.62, noNaN: true }), (lon, lat) => {
        const gcj = wgsToGcj(lon, lat);
        const bd = gcjToBd(...gcj);
        return distanceMetres(toWgs84(gcj[0], gcj[1], 'gcj02').location, [lon, lat]) < 0.5 && distanceMetres(toWgs84(bd[0], bd[1], 'bd09').location, [lon, lat]) < 0.5;
      }),
      { numRuns: 300 },
    );
  });

  it('takes WGS84 and CGCS2000 as they are, rounded to 7 decimals', () => {
    expect(toWgs84(113.123456789, 23.4, 'wgs84')).toEqual({ location: [113.1234568, 23.4], sourceLocation: { lon: 113.123456789, lat: 23.4, system: 'wgs84' } });
    expect(toWgs84(113.2, 23.4, 'cgcs2000').location).toEqual([113.2, 23.4]);
  });

  it('reads the usual spellings of coordinate systems', () => {
    expect(normaliseCoordSystem('GCJ-02')).toBe('gcj02');
    expect(normaliseCoordSystem('AMap')).toBe('gcj02');
    expect(normaliseCoordSystem(' Baidu ')).toBe('bd09');
    expect(normaliseCoordSystem('EPSG:4490')).toBe('cgcs2000');
    expect(normaliseCoordSystem('mercator')).toBeNull();
  });
});
