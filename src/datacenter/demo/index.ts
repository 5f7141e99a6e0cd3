/**
 * The demo district: the facts it is drawn from, the seeded generator, and what it produces.
 * The data center seeds its store from `generateDemoDistrict()`.
 */
export { DEMO_DEFAULT_SEED, generateDemoDistrict, orderWestEastNorthSouth } from './generate';
export { DemoDepartmentFacts, DemoFacts, DemoTownFacts, HUADU_FACTS, parseDemoFacts } from './facts';
export type { DemoDistrict } from './types';
