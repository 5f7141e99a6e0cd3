import { describe, expect, it } from 'vitest';
import { adaptIntake, createIntakeContext } from './index';
import { expectFieldError, fieldsOf, NOW, ok } from './test-helpers';

const ctx = createIntakeContext({ now: NOW });

const supervisorCase = {
  caseNo: 'SZCG-440114-2025-11-0931',
  majorClass: '市容环境',
  minorClass: { code: '0104', name: '道路不洁' },
  description: '人行道有大量泥沙',
  address: '新华街公益路 3 号',
  location: { lon: 113.2212, lat: 23.3881 },
  supervisorId: 'JD-017',
  reportedAt: '2025-11-26T14:00:00+08:00',
};

const aiAlarm = {
  caseNo: 'SZCG-AI-88812',
  minorClass: '占道经营',
  description: 'AI 识别：店外经营',
  location: { lon: 113.2301, lat: 23.3722 },
  aiAlarm: true,
  cameraId: 'CAM-XY-0042',
  confidence: 0.93,
  attachments: ['https://ai.example.cn/snap/88812.jpg'],
  reportedAt: '2025-11-26T14:05:00+08:00',
};

describe('digital urban management cases', () => {
  it('maps a supervisor case: case number, minor class → category, CGCS2000 kept as is', () => {
    const d = ok(adaptIntake('urban_management', supervisorCase, ctx));
    expect(d).toMatchObject({
      source: 'urban_management',
      externalRef: { system: 'szcg', id: 'SZCG-440114-2025-11-0931' },
      categoryCode: '040101',
      sourceCategory: '市容环境/道路不洁',
      location: [113.2212, 23.3881],
      sourceLocation: { system: 'cgcs2000' },
      sourceClocks: [],
      sourceFields: { caseNo: 'SZCG-440114-2025-11-0931', caseType: 'event', minorClass: '道路不洁', minorClassCode: '0104', aiAlarm: false, supervisorId: 'JD-017' },
    });
    expect(d.title).toBe('道路不洁（新华街公益路 3 号）');
  });

  it('maps an AI camera alarm with its camera and confidence', () => {
    const d = ok(adaptIntake('urban_management', aiAlarm, ctx));
    expect(d.title).toBe('AI告警：占道经营');
    expect(d.categoryCode).toBe('040104');
    expect(d.sourceFields).toMatchObject({ aiAlarm: true, cameraId: 'CAM-XY-0042', confidence: 0.93 });
    expect(d.attachments).toHaveLength(1);
  });

  it('reports a cross-field problem together with a bad field', () => {
    const fields = fieldsOf(adaptIntake('urban_management', { ...aiAlarm, cameraId: undefined, caseType: 'x' }, ctx)).map((e) => e.field);
    expect(fields.sort()).toEqual(['cameraId', 'caseType']);
  });

  it("a case's own deadline becomes the urban clock", () => {
    const d = ok(adaptIntake('urban_management', { ...supervisorCase, deadline: '2025-11-26T19:00:00+08:00' }, ctx));
    expect(d.sourceClocks).toEqual([{ id: 'urban', kind: 'urban', deadline: '2025-11-26T11:00:00.000Z', warnAt: 0.8 }]);
  });

  it('an unknown minor class is kept for the officer, not refused', () => {
    const d = ok(adaptIntake('urban_management', { ...supervisorCase, majorClass: undefined, minorClass: '其他' }, ctx));
    expect(d.categoryCode).toBeNull();
    expect(d.sourceCategory).toBe('其他');
  });

  it.each([
    ['cameraId', { ...aiAlarm, cameraId: undefined }, /required for an AI camera alarm/],
    ['confidence', { ...aiAlarm, confidence: 1.5 }, /between 0 and 1/],
    ['confidence', { ...supervisorCase, confidence: 0.5 }, /only AI camera alarms/],
    ['minorClass.name', { ...supervisorCase, minorClass: { code: '0104' } }, /required/],
    ['minorClass', { ...supervisorCase, minorClass: undefined }, /./],
    ['caseType', { ...supervisorCase, caseType: 'incident' }, /event or component/],
    ['deadline', { ...supervisorCase, deadline: '2025-11-26T13:00:00+08:00' }, /after reportedAt/],
    ['location.lon', { ...supervisorCase, location: { lon: 200, lat: 23.4 } }, /between -180 and 180/],
  ])('names the bad field %s', (field, payload, message) => {
    expectFieldError(adaptIntake('urban_management', payload, ctx), field, message);
  });
});
