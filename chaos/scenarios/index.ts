export { apiKill } from './api-kill.js';
export { clockJump } from './clock-jump.js';
export { diskFull } from './disk-full.js';
export { receiverDown } from './receiver-down.js';
export { receiverMisbehaving } from './receiver-misbehaving.js';
export { temporalKill } from './temporal-kill.js';
export { workerKill } from './worker-kill.js';
