/** The intake form names the field of every problem and builds the payload the data center's manual intake takes. */
import { describe, expect, it } from 'vitest';
import { EMPTY_INTAKE, validateIntake, type IntakeValues } from './intake-form';

const good: IntakeValues = { ...EMPTY_INTAKE, title: '井盖缺失', categoryCode: '040201', address: '新华街道公益路 3 号', callerName: '张先生', callerPhone: '138 0000 1234' };

describe('validateIntake', () => {
  it('names each missing or wrong field once, in form order', () => {
    const r = validateIntake({ ...EMPTY_INTAKE, title: ' ', callerPhone: 'call me' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      { field: 'title', code: 'required' },
      { field: 'categoryCode', code: 'required' },
      { field: 'address', code: 'need_place' },
      { field: 'callerPhone', code: 'bad_phone' },
    ]);
  });

  it('checks coordinates: numbers, inside China, both or neither', () => {
    const bad = validateIntake({ ...good, lon: 'abc', lat: '' });
    expect(!bad.ok && bad.errors).toEqual([
      { field: 'lon', code: 'bad_number' },
      { field: 'lat', code: 'required' },
    ]);
    const far = validateIntake({ ...good, lon: '13.2', lat: '23.4' });
    expect(!far.ok && far.errors).toEqual([{ field: 'lon', code: 'lon_range' }]);
    const long = validateIntake({ ...good, title: 'x'.repeat(201) });
    expect(!long.ok && long.errors).toEqual([{ field: 'title', code: 'too_long', max: 200 }]);
  });

  it('asks for a place when there is neither an address nor a point', () => {
    const r = validateIntake({ ...good, address: '', lon: '', lat: '' });
    expect(!r.ok && r.errors).toEqual([{ field: 'address', code: 'need_place' }]);
    expect(validateIntake({ ...good, address: '', lon: '113.2', lat: '23.4' }).ok).toBe(true);
  });

  it('refuses a category the taxonomy does not have', () => {
    const r = validateIntake({ ...good, categoryCode: '999' }, (c) => c === '040201');
    expect(!r.ok && r.errors).toEqual([{ field: 'categoryCode', code: 'unknown_category' }]);
  });

  it('sends a point with its coordinate system, the caller and the filing choice', () => {
    const r = validateIntake({ ...good, lon: '113.2251', lat: '23.4012', coordSystem: 'gcj02', urgency: 'urgent' });
    expect(r).toEqual({
      ok: true,
      payload: {
        title: '井盖缺失',
        address: '新华街道公益路 3 号',
        location: { lon: 113.2251, lat: 23.4012, coordSystem: 'gcj02' },
        urgency: 'urgent',
        categoryCode: '040201',
        reporter: { name: '张先生', phone: '138 0000 1234' },
        file: true,
      },
    });
  });
});
