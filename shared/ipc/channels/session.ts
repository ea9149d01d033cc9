/** Channels about operators and the unlocked session. */
import { z } from 'zod';
import { Role } from '../../model/domain';
import { channel } from '../define';

/** An operator as the console shows one (never a private key). */
export const OperatorView = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  email: z.string().nullable(),
  keyId: z.string(),
  createdAt: z.string(),
});
export type OperatorView = z.infer<typeof OperatorView>;

/** The unlocked session, or null when locked. */
export const SessionView = z
  .object({
    operator: OperatorView,
    unlockedAt: z.string(),
    /** When the session locks if idle. */
    locksAt: z.string(),
  })
  .nullable();
export type SessionView = z.infer<typeof SessionView>;

const OperatorName = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(64, 'name is at most 64 characters')
  .regex(/^[\p{L}\p{N} ._-]+$/u, 'name may hold letters, digits, space, dot, dash and underscore');

const Passphrase = z.string().min(12, 'a passphrase needs at least 12 characters').max(1024);

/** The session channels. */
export const sessionChannels = {
  /** Who is signed in, if anyone. */
  'session:current': channel({
    summary: 'The unlocked operator, if any',
    input: z.object({}).strict(),
    output: SessionView,
    access: 'public',
  }),
  /** Unlocks an operator's key with their passphrase; failures are audited and rate-limited. */
  'session:unlock': channel({
    summary: "Unlock an operator's signing key",
    input: z.object({ name: OperatorName, passphrase: Passphrase }).strict(),
    output: SessionView,
    access: 'public',
  }),
  /** Locks the session now. */
  'session:lock': channel({
    summary: 'Lock the session',
    input: z.object({}).strict(),
    output: z.object({ locked: z.literal(true) }),
    access: 'public',
  }),
  /** Lists operators. */
  'operator:list': channel({
    summary: 'List operators',
    input: z.object({}).strict(),
    output: z.array(OperatorView).readonly(),
    access: 'public',
  }),
  /**
   * Creates an operator with a new Ed25519 key pair.
   *
   * With no operators yet (first run) anyone may create the first one; afterwards only a lead.
   */
  'operator:create': channel({
    summary: 'Create an operator (first run, or by a lead)',
    input: z
      .object({
        name: OperatorName,
        role: Role,
        passphrase: Passphrase,
        /** Matched against git authors so nobody approves their own change. */
        email: z.string().trim().email('an email address').max(254).optional(),
      })
      .strict(),
    output: OperatorView,
    access: 'public',
  }),
} as const;
