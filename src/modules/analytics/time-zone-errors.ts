import { QueryFailedError } from 'typeorm';
import { RequestValidationError } from '../../common/validation/validation';

/**
 * Runs a query that takes a time-zone name. The name was checked against the runtime's IANA data;
 * should PostgreSQL's copy of the database lack it, the client still gets a 422 on `tz`, not a 500.
 */
export async function withTimeZoneErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const driver = (error as QueryFailedError & { driverError?: { code?: string; message?: string } }).driverError;
    if (error instanceof QueryFailedError && driver?.code === '22023' && /time zone/i.test(driver.message ?? '')) {
      throw new RequestValidationError([{ field: 'tz', message: 'tz is not a time zone the database knows' }]);
    }
    throw error;
  }
}
