/**
 * textWithCaseNo: the written record's JSON text made from the prepared record's (caseNo PENDING_CASE_NO) by
 * replacing that member, so that intake serialises an event's document once (encodeNewEvents) for both its
 * insert statement and its replicated row. It must equal JSON.stringify of withCaseNo's record exactly, or
 * give up when the member is not found exactly once.
 */
import { describe, expect, it } from 'vitest';
import { PENDING_CASE_NO, textWithCaseNo } from './create';

const record = (over: Record<string, unknown> = {}) => ({
  id: 'E1',
  title: '标题 "caseNo":"pending" \\ 𠀀',
  caseNo: PENDING_CASE_NO,
  source: 'hotline_12345',
  workflow: { status: 'reported', note: '{"caseNo":"pending"}' },
  duplicateCandidates: [],
  ...over,
});

describe('textWithCaseNo', () => {
  it('equals JSON.stringify of the record with its case number, wherever the member is', () => {
    for (const r of [record(), { caseNo: PENDING_CASE_NO, id: 'E2' }, { id: 'E3', caseNo: PENDING_CASE_NO }]) {
      for (const caseNo of ['HD202611280016', '带"引号"\\的编号']) {
        expect(textWithCaseNo(JSON.stringify(r), caseNo)).toBe(JSON.stringify({ ...r, caseNo }));
      }
    }
  });

  it('gives up when the member is not there exactly once', () => {
    expect(textWithCaseNo(JSON.stringify(record({ merged: { caseNo: PENDING_CASE_NO } })), 'X')).toBeUndefined();
    expect(textWithCaseNo(JSON.stringify(record({ caseNo: 'HD1' })), 'X')).toBeUndefined();
  });
});
