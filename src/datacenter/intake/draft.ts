/**
 * The normalised shape every intake adapter produces (`IntakeDraft`): what a source system told
 * us, in our vocabulary (WGS84, ISO instants, taxonomy codes), before the data center decides
 * anything (placement in a grid, duplicates, the event id and case number). The store turns a
 * draft into an `EventRecord` (src/core/events/types.ts); keeping the two apart lets adapters
 * stay pure and testable without a database.
 */
import { z } from 'zod';
import { IsoInstant } from '../../core/calendar/schema';
import { CoordSystem, EventSource, ExternalRef, Reporter, Urgency } from '../../core/events/types';
import { LonLat } from '../../core/geo/types';
import { Attachment, ClockSpec } from '../../core/workflow/commands';

/** The path segment of `POST /api/v1/intake/{source}`: one per adapter, plus the systems that use the generic API. */
export const IntakeSourceName = z.enum([
  'api',
  /** 来穗人员服务管理系统, through the generic API */
  'migrant',
  /** 区政务服务系统, through the generic API */
  'gov_service',
  'hotline_12345',
  'grid_patrol',
  'one_key',
  'enterprise',
  'urban_management',
  'open311',
]);
export type IntakeSourceName = z.infer<typeof IntakeSourceName>;

/** The position exactly as received, with its coordinate system (EventRecord.sourceLocation). */
export const SourceLocation = z.object({ lon: z.number(), lat: z.number(), system: CoordSystem });
export type SourceLocation = z.infer<typeof SourceLocation>;

/** 12345 诉求类型 appeal types; `urgent` is the 2-hour emergency class. */
export const AppealType = z.enum(['consultation', 'help', 'suggestion', 'complaint', 'report', 'urgent']);
export type AppealType = z.infer<typeof AppealType>;

export const IntakeDraft = z.object({
  source: EventSource,
  /** never entered twice: the store keeps a unique index on (system, id); null for the public (Open311) */
  externalRef: ExternalRef.nullable(),
  title: z.string().min(1),
  description: z.string(),
  address: z.string().nullable(),
  /** WGS84 [lon, lat]; null when the source sent no position */
  location: LonLat.nullable(),
  sourceLocation: SourceLocation.nullable(),
  urgency: Urgency,
  /** taxonomy code, given by the source or mapped from its own category; null = the officer classifies */
  categoryCode: z.string().nullable(),
  /** the source's own category label as received (12345 classification, 数字城管 minor class, base item…) */
  sourceCategory: z.string().nullable(),
  /** 12345 诉求类型, which sets the hotline clock */
  appealType: AppealType.nullable(),
  reporter: Reporter.nullable(),
  attachments: z.array(Attachment),
  /** a deadline fixed by the source (12345 work orders carry one) */
  sourceDeadline: IsoInstant.nullable(),
  /** clocks the source imposes, started at dispatch (the 12345 hotline clock) */
  sourceClocks: z.array(ClockSpec),
  /** a grid the source named (grid-worker reports); used when there is no position */
  declaredGridCode: z.string().nullable(),
  reportedAt: IsoInstant,
  /** source-specific facts shown to the officer (worker id, AI alarm flag, credit code…) */
  sourceFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type IntakeDraft = z.infer<typeof IntakeDraft>;
