// Imported first by main.ts, before any module builds a schema. The page's CSP has no
// 'unsafe-eval', so zod must not compile validators with new Function; without jitless it probes
// for that when a schema is built, and the probe alone is a reported CSP violation.
import { config } from 'zod';

config({ jitless: true });
