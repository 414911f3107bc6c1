import { Injectable } from '@nestjs/common';

/** Where CLI login reads the time (ms): a provider, so tests move it past a code's 120 s. */
@Injectable()
export class CliAuthClock {
  now(): number {
    return Date.now();
  }
}
