/**
 * The simulator (docs/simulator.md): realistic arrivals through the real intake path and unit
 * behaviour through the real command path, at a chosen speed, deterministic from a seed.
 */
export { createSimulator, parseSimulateArg, DEFAULT_RATE_PER_HOUR, MAX_SPEED, type RainstormOptions, type Simulator, type SimulatorLogger, type SimulatorOptions, type SimulatorStats } from './simulator';
export { registerSimulatorRoutes } from './routes';
export { buildSimWorld, loadSimWorld, type Hotspot, type HotspotKind, type SimGrid, type SimTown, type SimWorld } from './world';
export { createArrivalStream, createStormStream, describeArrival, historyArrivals, type ArrivalTime, type Storm } from './arrivals';
export { buildPayload, badPayload, canReport, type ArrivalFacts, type SimPayload, type Spoil } from './payloads';
export { drawTraits, nextAction, BEHAVIOUR_RATES, type EventTraits, type PlannedAction, type SimRole } from './behaviour';
export { createSimActors, loadSimAccounts, type SimActors } from './actors';
export { simRandom, simStream, type SimRandom } from './random';
export * from './model';
