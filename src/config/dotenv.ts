import { config } from 'dotenv';
import { CONFIG_VARIABLES } from './env';

/**
 * Loads `.env` (variables already in the environment win). A blank value means "unset", as
 * .env.example says, whether it comes from .env or from the shell (compose passes `${X:-}`).
 * Blanks are removed from process.env because some libraries read it themselves at import time
 * and take '' as a value (the AI SDK rejects an empty *_BASE_URL). Import this first in every
 * entry point.
 */
config({ quiet: true });
for (const key of CONFIG_VARIABLES) {
  if (process.env[key]?.trim() === '') delete process.env[key];
}
