/**
 * What the signed-in role may call, read from the same contract main enforces, so the console hides
 * exactly what main would refuse (main refuses anyway: this is for the eye, not for security).
 */
import { channels, type Channel } from '../../shared/ipc/contract';
import type { Role } from '../../shared/model/domain';

/** Whether an operator in `role` (or nobody, when null) may call `channel`. */
export function canCall(role: Role | null, channel: Channel): boolean {
  const access = channels[channel].access;
  if (access === 'public') return true;
  if (role === null) return false;
  if (access === 'session') return true;
  return access.includes(role);
}

/** Whether a role may create operators once the first one exists (main allows only leads then). */
export function canCreateOperators(role: Role | null): boolean {
  return role === 'lead';
}
