/**
 * The image keeper process's exit codes that mean "do not start me again as is" (./process.ts sets them,
 * src/main/keeper-host.ts reads them): a restart would fail the same way, so main stops retrying. Any other
 * code (1: a failed start such as a refused sign-in, or a crash) is retried with a backoff.
 */
export const KEEPER_EXIT = {
  /** its settings in the environment are incomplete or invalid */
  settings: 2,
  /** its images folder is kept for the scope by another keeper that still runs (ImagesLockedError) */
  locked: 3,
} as const;
