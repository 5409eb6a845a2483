import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';

/** 429 for an address that failed to log in too often; the controller sends retryAfterSeconds as Retry-After. */
export class TooManyLoginFailuresException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `too many failed log-ins from your address: try again in ${retryAfterSeconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** What a failed log-in did to its address's allowance. */
export interface LoginFailureOutcome {
  failures: number;
  /** This failure used up the allowance: the address's next attempt gets 429 (audit it now, once). */
  nowLimited: boolean;
  retryAfterSeconds: number;
}

// Addresses kept before a sweep drops those whose failures have all aged out (a scan from many addresses).
const SWEEP_ABOVE = 10_000;

/**
 * Failed log-ins per client address in a sliding window (`portal.loginFailuresPerAddress` within
 * `portal.loginFailureWindowMinutes`). An address at its allowance is refused with 429 before its password is
 * checked, until its oldest failure ages out. It is counted by address, never by account, so a stranger
 * cannot keep someone else out; a successful log-in costs nothing. Kept in the portal process's memory: a
 * restart forgets it, and several portals each count their own.
 */
@Injectable()
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(@Inject(HUB_CONFIG) private readonly config: HubConfig) {}

  /** Seconds the address must wait before its next attempt, or 0 when it may try now. */
  retryAfterSeconds(address: string | undefined, now = Date.now()): number {
    const recent = this.recent(key(address), now);
    return recent.length >= this.config.portal.loginFailuresPerAddress ? this.wait(recent, now) : 0;
  }

  recordFailure(address: string | undefined, now = Date.now()): LoginFailureOutcome {
    if (this.failures.size > SWEEP_ABOVE) {
      this.sweep(now);
    }
    const recent = [...this.recent(key(address), now), now];
    this.failures.set(key(address), recent);
    const limit = this.config.portal.loginFailuresPerAddress;
    return {
      failures: recent.length,
      nowLimited: recent.length === limit,
      retryAfterSeconds: recent.length >= limit ? this.wait(recent, now) : 0,
    };
  }

  private get windowMs(): number {
    return this.config.portal.loginFailureWindowMinutes * 60_000;
  }

  /** The address's failures still inside the window, oldest first. */
  private recent(address: string, now: number): number[] {
    const times = (this.failures.get(address) ?? []).filter((at) => at > now - this.windowMs);
    if (times.length === 0) {
      this.failures.delete(address);
    }
    return times;
  }

  /** Until enough of the oldest failures age out for one more attempt. */
  private wait(recent: number[], now: number): number {
    const limit = this.config.portal.loginFailuresPerAddress;
    const freedAt = recent[recent.length - limit] + this.windowMs;
    return Math.max(1, Math.ceil((freedAt - now) / 1000));
  }

  private sweep(now: number): void {
    for (const address of [...this.failures.keys()]) {
      this.recent(address, now);
    }
  }
}

function key(address: string | undefined): string {
  return address ?? 'unknown';
}
