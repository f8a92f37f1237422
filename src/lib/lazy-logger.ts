import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogMethod = (...args: unknown[]) => void;
type LevelCheck = (level: string) => boolean;

/**
 * A request's child logger, created only when something is actually logged at an enabled
 * level. Fastify makes one child per request (to bind the request id); with pino and its
 * redaction that costs CPU on every request although most requests log nothing at the
 * configured level. The real child is made from the same parent and bindings on first use,
 * so each line still carries the request id and goes through the same redaction.
 */
class LazyChildLogger implements FastifyBaseLogger {
  #real: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #enabled: LevelCheck;
  readonly #options: ChildOptions | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, enabled: LevelCheck, options?: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#enabled = enabled;
    this.#options = options;
  }

  #materialize(): FastifyBaseLogger {
    this.#real ??= this.#options
      ? this.#parent.child(this.#bindings, this.#options)
      : this.#parent.child(this.#bindings);
    return this.#real;
  }

  #log(level: Level, args: unknown[]): void {
    // Like a pino child, which follows its parent's level until its own is set.
    const real = this.#real ?? (this.#enabled.call(this.#parent, level) ? this.#materialize() : undefined);
    if (real) (real[level] as LogMethod).apply(real, args);
  }

  get level(): FastifyBaseLogger['level'] {
    return this.#real?.level ?? (this.#options?.level as FastifyBaseLogger['level'] | undefined) ?? this.#parent.level;
  }

  set level(value: FastifyBaseLogger['level']) {
    this.#materialize().level = value;
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#log('error', args);
  }

  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }

  info(...args: unknown[]): void {
    this.#log('info', args);
  }

  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#materialize().child(bindings, options);
  }
}

/**
 * The level check of a child made with `{ level }` only (a route's `logLevel`, e.g. the proxy's):
 * a pino child with its own level logs a line when the line's level value reaches that level's,
 * whatever the parent's level. Undefined when the level is unknown to the parent.
 */
function ownLevelCheck(logger: FastifyBaseLogger, level: string): LevelCheck | undefined {
  const values = (logger as Partial<{ levels: { values: Record<string, number> } }>).levels?.values;
  const floor = values?.[level];
  if (values === undefined || floor === undefined) return undefined;
  return (l: string) => (values[l] ?? -Infinity) >= floor;
}

/**
 * Fastify childLoggerFactory: a lazy child for pino-like parents (they answer isLevelEnabled)
 * when no per-route options apply or only a route log level does (the proxy route sets one on
 * every call: making its real child each time cost about 2 % of a proxied call's CPU, most of it
 * pino's redaction set-up, docs/performance.md); otherwise the parent's own child.
 */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions | undefined,
): FastifyBaseLogger {
  const enabled = (logger as Partial<{ isLevelEnabled: LevelCheck }>).isLevelEnabled;
  if (typeof enabled !== 'function') return logger.child(bindings, options);
  const keys = options === undefined ? [] : Object.keys(options);
  if (keys.length === 0) return new LazyChildLogger(logger, bindings, enabled);
  const level = options?.level;
  const own = keys.length === 1 && typeof level === 'string' ? ownLevelCheck(logger, level) : undefined;
  if (own === undefined) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, own, options);
}
