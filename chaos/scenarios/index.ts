import type { Scenario } from '../scenario.js';
import { apiKill } from './api-kill.js';
import { clockJump } from './clock-jump.js';
import { diskFull } from './disk-full.js';
import { postgresRestart } from './postgres-restart.js';
import { receiverDown } from './receiver-down.js';
import { receiverMisbehaving } from './receiver-misbehaving.js';
import { temporalKill } from './temporal-kill.js';
import { workerKill } from './worker-kill.js';

/** Every scenario, in the order `npm run chaos` runs them and RELIABILITY.md lists them. */
export const SCENARIOS: readonly Scenario[] = [
  workerKill,
  temporalKill,
  postgresRestart,
  apiKill,
  receiverDown,
  receiverMisbehaving,
  diskFull,
  clockJump,
];
