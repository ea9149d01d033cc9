/**
 * zod compiles fast parsers with `new Function`, which our CSP forbids (no 'unsafe-eval'); jitless
 * mode skips even the probe, which a strict CSP would report as a violation.
 */
import { z } from 'zod';

z.config({ jitless: true });
