/** The console's views, each in its own chunk, loadable ahead of use (the queue preloads the review). */
import { lazyWithPreload } from './lazy';

/** The queue. */
export const QueueView = lazyWithPreload(() => import('../features/queue/QueueView').then((module) => module.QueueView));
/** The review of one proposal. */
export const ReviewView = lazyWithPreload(() => import('../features/review/ReviewView').then((module) => module.ReviewView));
/** The audit browser. */
export const AuditView = lazyWithPreload(() => import('../features/audit/AuditView').then((module) => module.AuditView));
/** Checkpoints and rollback. */
export const CheckpointsView = lazyWithPreload(() =>
  import('../features/checkpoints/CheckpointsView').then((module) => module.CheckpointsView),
);
/** Settings. */
export const SettingsView = lazyWithPreload(() => import('../features/settings/SettingsView').then((module) => module.SettingsView));
