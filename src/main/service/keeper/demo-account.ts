/**
 * The account a keeper next to a demo data center signs in with (the Electron app's embedded one,
 * src/main/keeper-host.ts): the demo wall account (src/datacenter/auth/demo.ts, docs/auth.md), the least
 * privileged that may replicate the district (wall_viewer, district scope: the sync feed's canReadScope admits
 * it, and it may run no command). It exists only on a data center seeded with the demo. A module of its own,
 * without imports, so that main can take it without loading the data service.
 */
export const DEMO_KEEPER_ACCOUNT = { login: 'wall', password: 'huying-demo' } as const;
