// Slows down token guessing, per remote address. The token is 192 random bits, so guessing is
// hopeless anyway; this keeps a script from trying thousands a second (Jupyter and JupyterHub
// throttle their logins the same way). The first few wrong tokens cost nothing (a mistyped URL);
// after that each further token from that address is checked only after a delay that doubles with
// every failure, one at a time, and when too many requests already wait, the next is answered
// 429 at once. A right token resets the address. Requests that present no token are not guesses
// and are never delayed.

export interface GuessLimitOptions {
  /** Wrong tokens an address may present before delays start. */
  freeFailures: number
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseDelayMs: number
  maxDelayMs: number
  /** Requests of one address that may wait for their turn; more are refused with 429. */
  maxWaiting: number
  /** An address without failures for this long is forgotten. */
  forgetMs: number
  /** Addresses remembered at most (the oldest are forgotten first). */
  maxAddresses: number
}

export const DEFAULT_GUESS_LIMITS: GuessLimitOptions = {
  freeFailures: 5,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  maxWaiting: 8,
  forgetMs: 10 * 60_000,
  maxAddresses: 10_000
}

interface AddressState {
  failures: number
  /** Earliest time the next token of this address may be checked. */
  nextCheckAt: number
  waiting: number
  lastFailure: number
}

export type Admission = { admitted: true } | { admitted: false; retryAfterS: number }

export class TokenGuessLimiter {
  private readonly options: GuessLimitOptions
  private readonly addresses = new Map<string, AddressState>()

  constructor(options: Partial<GuessLimitOptions> = {}) {
    this.options = { ...DEFAULT_GUESS_LIMITS, ...options }
  }

  private delayFor(failures: number): number {
    const over = failures - this.options.freeFailures
    if (over <= 0) return 0
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(30, over - 1))
  }

  private state(address: string, now: number): AddressState | undefined {
    const state = this.addresses.get(address)
    if (state && state.waiting === 0 && now - state.lastFailure > this.options.forgetMs) {
      this.addresses.delete(address)
      return undefined
    }
    return state
  }

  /** Waits until a token from `address` may be checked; refuses when too many already wait. */
  async admit(address: string, now = Date.now()): Promise<Admission> {
    const state = this.state(address, now)
    if (!state || state.failures < this.options.freeFailures) return { admitted: true }
    if (state.waiting >= this.options.maxWaiting) {
      return { admitted: false, retryAfterS: Math.max(1, Math.ceil((state.nextCheckAt - now) / 1000)) }
    }
    // Reserve the next slot: waiting requests are checked one per delay, not all at once.
    const slot = Math.max(now, state.nextCheckAt)
    state.nextCheckAt = slot + this.delayFor(state.failures)
    const wait = slot - now
    if (wait <= 0) return { admitted: true }
    state.waiting++
    try {
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref())
    } finally {
      state.waiting--
    }
    return { admitted: true }
  }

  failed(address: string, now = Date.now()): void {
    let state = this.state(address, now)
    if (!state) {
      if (this.addresses.size >= this.options.maxAddresses) {
        const oldest = this.addresses.keys().next().value
        if (oldest !== undefined) this.addresses.delete(oldest)
      }
      state = { failures: 0, nextCheckAt: now, waiting: 0, lastFailure: now }
      this.addresses.set(address, state)
    }
    state.failures++
    state.lastFailure = now
    state.nextCheckAt = Math.max(state.nextCheckAt, now + this.delayFor(state.failures))
  }

  succeeded(address: string): void {
    const state = this.addresses.get(address)
    if (state && state.waiting === 0) this.addresses.delete(address)
    else if (state) {
      state.failures = 0
      state.nextCheckAt = 0
    }
  }

  /** Failures recorded for an address (for tests and logs). */
  failures(address: string): number {
    return this.addresses.get(address)?.failures ?? 0
  }
}
